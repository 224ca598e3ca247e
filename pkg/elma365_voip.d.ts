/* tslint:disable */
/* eslint-disable */
/**
 * A call stage for ELMA365 (`VoipWebhookRequest`).
 */
export interface Event {
    /**
     * The stage.
     */
    event: EventKind;
    /**
     * The direction.
     */
    direction: Direction;
    /**
     * The outcome so far.
     */
    disposition: Disposition;
    /**
     * Caller: the client on incoming calls, the operator on outgoing ones.
     */
    srcPhone: string;
    /**
     * Callee: the operator on incoming calls, the client on outgoing ones.
     */
    dstPhone: string;
    /**
     * The PBX's id of the whole call.
     */
    callId: string;
}

/**
 * A contract function call, as the shim passes it to `engine::call`.
 */
export type Op = { op: "testConnection" } | { op: "getMembers" } | { op: "generateCall"; src: string; dst: string } | { op: "parseWebhook"; request: WebhookRequest } | { op: "getCallLink"; callData?: unknown } | { op: "onWebhookUpdated"; url?: string };

/**
 * A fetch that produced no HTTP response at all.
 */
export interface Failure {
    /**
     * The error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, ...), from the error or its cause.
     */
    code?: string;
    /**
     * The error message.
     */
    message?: string;
    /**
     * Set when the shim's own timer fired.
     */
    timedOut?: boolean;
    /**
     * Set when the fault is the module's own (its fetch adapter), not the network's.
     */
    module?: boolean;
}

/**
 * A finished call for the activity stream (`VoipCallRecord`).
 */
export interface CallRecord {
    /**
     * What `VoipGetCallLink` will need; `null` when there is nothing to play.
     */
    call: unknown;
    /**
     * The PBX's id of the whole call.
     */
    callId: string;
    /**
     * The direction.
     */
    direction: Direction;
    /**
     * The outcome.
     */
    disposition: Disposition;
    /**
     * Caller (see [`Event::src_phone`]).
     */
    srcPhone: string;
    /**
     * Callee (see [`Event::dst_phone`]).
     */
    dstPhone: string;
    /**
     * Talk time in seconds.
     */
    duration: number;
}

/**
 * A request the core wants the shim to send.
 */
export interface HttpRequest {
    /**
     * `GET` or `POST`.
     */
    method: string;
    /**
     * The absolute URL, query included.
     */
    url: string;
    /**
     * Header name/value pairs.
     */
    headers: [string, string][];
    /**
     * The body, sent byte-for-byte (signatures cover it).
     */
    body?: string;
    /**
     * How long the shim waits for the answer, in milliseconds.
     */
    timeoutMs: number;
    /**
     * Where the URL came from (a settings code), so failures can name it.
     */
    setting: string;
}

/**
 * Canonical names of call directions (members of the host's `VoipCallDirection`).
 */
export type Direction = "In" | "Out" | "Internal";

/**
 * Canonical names of call outcomes (members of the host's `VoipCallDisposition`).
 */
export type Disposition = "Answered" | "Busy" | "NoAnswer" | "Cancel" | "Failed" | "Unknown";

/**
 * Canonical names of the call stages (members of the host's `VoipWebhookEvent`).
 */
export type EventKind = "NotifyStart" | "NotifyAnswer" | "NotifyEnd" | "NotifyOutStart" | "NotifyOutEnd" | "NotifyInternal";

/**
 * One PBX user for ELMA365's user-mapping table. `id` is the same string events carry.
 */
export interface Member {
    /**
     * The PBX-side identity: Rostelecom PIN or Oktell login.
     */
    id: string;
    /**
     * A human name for the table.
     */
    name: string;
}

/**
 * The result of performing an [`HttpRequest`].
 */
export type Outcome = { response: HttpResponse } | { failure: Failure };

/**
 * The webhook request ELMA365 passes to `VoipParseWebhookRequest`, normalised by the shim.
 */
export interface WebhookRequest {
    /**
     * HTTP method, if the host gave one.
     */
    method?: string;
    /**
     * Headers as pairs (any case).
     */
    headers?: [string, string][];
    /**
     * The raw body text, if the body was a string.
     */
    body?: string | null;
    /**
     * What the host handed when the body was neither text nor bytes (`object`, `array`,
     * `number`, ...): the raw text is then unknown. An object or array comes as its JSON in `body`
     * when the shim could write it.
     */
    bodyParsed?: string | null;
    /**
     * Query parameters as pairs (arrays flattened).
     */
    query?: [string, string][];
}

/**
 * What `VoipParseWebhookRequest` returns, before the shim maps names to host enums.
 */
export interface WebhookResult {
    /**
     * The call stage to show, if any.
     */
    event?: Event;
    /**
     * The finished call to store, if any.
     */
    callRecord?: CallRecord;
    /**
     * What the PBX receives.
     */
    response: WebhookResponse;
}

/**
 * What came back from the PBX: a response with any status.
 */
export interface HttpResponse {
    /**
     * HTTP status.
     */
    status: number;
    /**
     * Response headers (names lowercased by the shim).
     */
    headers?: [string, string][];
    /**
     * The body as text (binary bodies are never needed by the core).
     */
    body?: string;
    /**
     * Set when the host's fetch gave no status code, only `ok`: `status` is then 200 or 500.
     */
    noStatus?: boolean;
}

/**
 * What the module answers the PBX's webhook request with.
 */
export interface WebhookResponse {
    /**
     * HTTP status.
     */
    status: number;
    /**
     * Content type of the body.
     */
    contentType: string;
    /**
     * The body.
     */
    body: string;
}

/**
 * `VoipTestConnection`'s result.
 */
export interface TestResult {
    /**
     * Whether the PBX was reached and accepted us.
     */
    success: boolean;
    /**
     * Why not, or on success a note of what was reached (ELMA365 shows it when present).
     */
    failReason?: string;
    /**
     * On success: what we reached, e.g. "Oktell licence 1234567; directory: 4 users".
     */
    message?: string;
}


/**
 * Runs one contract call: `settings` is `Namespace.params.data` as JSON, `op` an `Op` as JSON,
 * `body` a webhook's raw body (beside the op, so it is not escaped), `host` the shim's host object. Resolves to `{"result": …}` or `{"error": {kind, message}}`.
 */
export function call(settings: string, op: string, body: string | null | undefined, host: any): Promise<string>;

/**
 * The settings field table (code, kind, scope, label, help, required, default, example, choices) as JSON.
 */
export function settingsSchema(): string;

/**
 * The core's version.
 */
export function version(): string;
