// The ELMA365 host as the shim sees it (see ../shared/spec/elma365.md). Used only to type-check
// js-glue/shim.ts with `tsc --strict`; the shipped module script does not depend on these names
// being declared, and resolves the enums and HttpResponse at run time.

interface VoipTestConnectionResult { success: boolean; failReason?: string }
interface VoipMember { id: string; name: string }
interface FetchRequest {
  method?: string;
  headers?: Record<string, string> | { forEach(cb: (value: string, key: string) => void): void };
  body?: unknown;
  query?: Record<string, string | string[]>;
}
interface VoipWebhookRequest {
  event: unknown; direction: unknown; disposition: unknown;
  srcPhone: string; dstPhone: string; callId?: string;
}
interface VoipCallRecord {
  call: unknown; callId?: string; direction: unknown; disposition: unknown;
  srcPhone: string; dstPhone: string; duration: number;
}
interface VoipWebhookParseResult { event?: VoipWebhookRequest; callRecord?: VoipCallRecord; response?: unknown }

interface HostHttpResponse {
  status(code: number): HostHttpResponse;
  content(text: string): HostHttpResponse;
  json?(value: unknown): HostHttpResponse;
  header?(name: string, value: string): HostHttpResponse;
  contentType?(type: string): HostHttpResponse;
}
interface HostStorage {
  getItem(key: string): Promise<string | undefined | null> | string | undefined | null;
  setItem(key: string, value: string): Promise<void> | void;
  removeItem?(key: string): Promise<void> | void;
}
interface HostFetchResponse {
  status: number;
  headers: { forEach(cb: (value: string, key: string) => void): void };
  text(): Promise<string>;
  arrayBuffer?(): Promise<ArrayBuffer>;
}

declare const Namespace: { params: { data: Record<string, unknown> }; storage?: HostStorage } | undefined;
declare const HttpResponse: (new () => HostHttpResponse) | undefined;
declare const VoipWebhookEvent: Record<string, unknown> | undefined;
declare const VoipCallDirection: Record<string, unknown> | undefined;
declare const VoipCallDisposition: Record<string, unknown> | undefined;
declare function fetch(url: string, init?: Record<string, unknown>): Promise<HostFetchResponse>;
declare const console: { log(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
declare const AbortController: (new () => { signal: unknown; abort(): void }) | undefined;
declare function setTimeout(cb: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;

/** The host object the core awaits (src/wasm.rs): text in, a promise of text out. */
interface CoreHost {
  fetch(request: string): Promise<string>;
  read(keys: string): Promise<string>;
  write(writes: string): Promise<string>;
  now(): number;
  sleep(ms: number): Promise<string>;
  nonce(): number;
  panic(message: string): void;
}
/** One instance of the core (the wasm-bindgen exports). */
interface CoreInstance {
  call(settings: string, op: string, body: string | undefined, host: CoreHost): Promise<string>;
  settingsSchema(): string;
  version(): string;
}
/** Provided by the bundle (scripts/build.js): the inlined wasm, compiled once, instantiated on demand. */
declare const __elma365voipCore: {
  instantiate(onTrap: (error: unknown) => void, mark?: (phase: string) => void): CoreInstance;
};
