/// <reference path="./host.d.ts" />
// The ELMA365 shim: host adapters (fetch with its timeout, storage, enums, HttpResponse) and the six
// contract functions, one line each. The Rust core (src/wasm.rs) decides everything: each contract
// function is one async call into it, and it awaits the host object built here.

/** The shim's internals, reachable by tests and the sandbox as `__elma365voip`. */
const __elma365voip = (function (Promise: PromiseConstructor, JSON: JSON, Object: ObjectConstructor, String: StringConstructor, Date: DateConstructor, Error: ErrorConstructor, Array: ArrayConstructor) {
  // The builtins above are parameters so that each use is a local read, not a global one (see Globals).
  type Pairs = Array<[string, string]>;
  interface WireRequest { method: string; url: string; headers: Pairs; body?: string; timeoutMs: number }
  interface Outcome {
    response?: { status: number; headers: Pairs; body: string };
    failure?: { code: string; message: string; timedOut: boolean };
  }
  /** Storage used when the host has none (tests and the sandbox without Namespace.storage). */
  const memoryStorage: Record<string, string> = {};

  /**
   * The host's globals as one contract call sees them. They are read once per call: every read of a
   * global in a node:vm context costs about 0.2 µs (V8 cannot cache it behind the context's interceptor).
   */
  interface Globals {
    storage: HostStorage | undefined;
    data: unknown;
    event: Record<string, unknown> | undefined;
    direction: Record<string, unknown> | undefined;
    disposition: Record<string, unknown> | undefined;
    response: (new () => HostHttpResponse) | undefined;
  }

  function readGlobals(): Globals {
    const ns = typeof Namespace !== 'undefined' && Namespace ? Namespace : undefined;
    return {
      storage: ns && ns.storage ? ns.storage : undefined,
      data: ns && ns.params ? ns.params.data : {},
      event: typeof VoipWebhookEvent !== 'undefined' ? VoipWebhookEvent : undefined,
      direction: typeof VoipCallDirection !== 'undefined' ? VoipCallDirection : undefined,
      disposition: typeof VoipCallDisposition !== 'undefined' ? VoipCallDisposition : undefined,
      response: typeof HttpResponse !== 'undefined' ? HttpResponse : undefined,
    };
  }

  function settingsJson(g: Globals): string {
    try {
      return JSON.stringify(g.data || {});
    } catch (e) {
      return '{}';
    }
  }

  async function storageGet(g: Globals, key: string): Promise<string | null> {
    const s = g.storage;
    const v = s ? await s.getItem(key) : memoryStorage[key];
    return typeof v === 'string' && v !== '' ? v : null;
  }

  async function storageSet(g: Globals, key: string, value: string | null): Promise<void> {
    const s = g.storage;
    if (!s) {
      if (value === null) delete memoryStorage[key];
      else memoryStorage[key] = value;
    } else if (value === null && typeof s.removeItem === 'function') {
      await s.removeItem(key);
    } else {
      await s.setItem(key, value === null ? '' : value);
    }
  }

  /** The error's code and message, from the error itself or its `cause` (undici nests them). */
  function describeError(e: unknown): { code: string; message: string } {
    const err = (e || {}) as { code?: unknown; errno?: unknown; type?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
    const cause = err.cause || {};
    const code = String(cause.code || err.code || err.errno || (err.type === 'system' ? '' : err.type) || '');
    const parts = [err.message, cause.message].filter((m) => typeof m === 'string' && m !== '') as string[];
    return { code, message: parts.join(': ') || String(e) };
  }

  /**
   * Performs one request with the host's fetch, under the step's timeout. The timeout is enforced
   * here (Node 14 has no AbortController, and the host's fetch polyfill may ignore a signal); the
   * polyfill's own `timeout` option and an AbortSignal are passed as well where they exist.
   */
  async function perform(req: WireRequest): Promise<Outcome> {
    const headers: Record<string, string> = {};
    for (const [k, v] of req.headers) headers[k] = v;
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    const init: Record<string, unknown> = { method: req.method, headers, timeout: req.timeoutMs };
    if (req.body !== undefined) init.body = req.body;
    if (controller) init.signal = controller.signal;
    let timer: unknown;
    const timedOut = new Promise<Outcome>((resolve) => {
      if (typeof setTimeout !== 'function') return;
      timer = setTimeout(() => {
        if (controller) controller.abort();
        resolve({ failure: { code: 'ETIMEDOUT', message: `no answer within ${req.timeoutMs} ms`, timedOut: true } });
      }, req.timeoutMs);
    });
    const work = (async (): Promise<Outcome> => {
      try {
        const r = await fetch(req.url, init);
        const respHeaders: Pairs = [];
        r.headers.forEach((value, key) => respHeaders.push([String(key).toLowerCase(), String(value)]));
        const type = (respHeaders.find((h) => h[0] === 'content-type') || ['', ''])[1];
        let body: string;
        if (/xml|utf-16/i.test(type) && typeof r.arrayBuffer === 'function') {
          // XML may be UTF-16 (Oktell): pass the bytes as Latin-1 and let the core decode them.
          body = latin1(new Uint8Array(await r.arrayBuffer()));
          respHeaders.push(['x-elma365-voip-raw', 'latin1']);
        } else {
          body = await r.text();
        }
        return { response: { status: r.status, headers: respHeaders, body } };
      } catch (e) {
        return { failure: { ...describeError(e), timedOut: false } };
      }
    })();
    try {
      return await Promise.race([work, timedOut]);
    } finally {
      if (timer !== undefined && typeof clearTimeout === 'function') clearTimeout(timer);
    }
  }

  /** Bytes as a string of one Latin-1 character per byte (the core turns it back into bytes). */
  function latin1(bytes: Uint8Array): string {
    let s = '';
    for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 8192)));
    return s;
  }

  /** A storage or adapter failure as the text the core quotes (a rejection the core reads as a string). */
  function failed(e: unknown): Promise<never> {
    const d = describeError(e);
    return Promise.reject(d.code ? `${d.message} (${d.code})` : d.message);
  }

  /** Storage calls cross as text: keys and values separated by NUL, an absent value as U+0001 (src/wasm.rs). */
  const SEP = '\u0000';
  const ABSENT = '\u0001';

  /**
   * The host the core awaits (see src/wasm.rs): text in, a promise of text out. None of its
   * methods throws: a failure is a rejection with a message, which the core reports.
   */
  function makeHost(instance: Instance, g: Globals): CoreHost {
    return {
      fetch: (request: string) => {
        try {
          return perform(JSON.parse(request) as WireRequest).then((outcome) => JSON.stringify(outcome), failed);
        } catch (e) {
          return failed(e);
        }
      },
      read: async (keys: string) => {
        try {
          // All at once: the keys of one read are independent, and a server's storage answers each in milliseconds.
          const values = await Promise.all(keys.split(SEP).map((key) => storageGet(g, key)));
          // A value the module did not write (it never stores a raw NUL) counts as absent.
          return values.map((v) => (v === null || v.indexOf(SEP) >= 0 ? ABSENT : v)).join(SEP);
        } catch (e) {
          return failed(e);
        }
      },
      write: async (writes: string) => {
        try {
          const parts = writes.split(SEP);
          for (let i = 0; i + 1 < parts.length; i += 2) await storageSet(g, parts[i], parts[i + 1] === ABSENT ? null : parts[i + 1]);
          return '';
        } catch (e) {
          return failed(e);
        }
      },
      now: () => Date.now(),
      // The settling of a claim on a call's end (src/callstore.rs); at once on a host without timers.
      sleep: (ms: number) => (typeof setTimeout === 'function' ? new Promise<string>((resolve) => { setTimeout(() => resolve(''), ms); }) : Promise.resolve('')),
      nonce: () => Math.floor(Math.random() * 9007199254740990) + 1,
      panic: (message: string) => {
        instance.panic = String(message);
      },
    };
  }

  interface InFlight { fn: string; reject(e: Error): void }
  interface Instance { core: CoreInstance | null; inFlight: Set<InFlight>; panic: string }
  let current: Instance | null = null;

  /** The live instance of the core, instantiating one when there is none (first use, or after a trap). */
  function instance(mark?: (phase: string) => void): Instance {
    if (current === null) {
      const fresh: Instance = { core: null, inFlight: new Set(), panic: '' };
      current = fresh;
      try {
        fresh.core = __elma365voipCore.instantiate((e: unknown) => trapped(fresh, e), mark);
      } catch (e) {
        current = null;
        throw e;
      }
    }
    return current;
  }

  /**
   * The instance trapped (a panic in the core): its memory can no longer be trusted and the promises
   * of its calls in flight would never settle. Reject them all, naming the function and the panic,
   * and let the next call instantiate a fresh core.
   */
  function trapped(dead: Instance, e: unknown): void {
    if (current === dead) current = null;
    const reason = dead.panic || describeError(e).message;
    const calls = Array.from(dead.inFlight);
    dead.inFlight.clear();
    for (const c of calls) {
      c.reject(new Error(`elma365-voip: internal error in ${c.fn}: ${reason}. The call was stopped and the module restarted; please report this text.`));
    }
  }

  const FUNCTIONS: Record<string, string> = {
    testConnection: 'VoipTestConnection', getMembers: 'VoipGetMembers', generateCall: 'VoipGenerateCall',
    parseWebhook: 'VoipParseWebhookRequest', getCallLink: 'VoipGetCallLink', onWebhookUpdated: 'VoipOnWebhookUpdated',
  };

  /** Runs one contract call in the core: one crossing in, the core awaits the host, one answer out. */
  async function run(op: Record<string, unknown>, body?: string, g: Globals = readGlobals()): Promise<unknown> {
    const inst = instance();
    const text = await new Promise<string>((resolve, reject) => {
      const entry: InFlight = { fn: FUNCTIONS[String(op.op)] || String(op.op), reject };
      inst.inFlight.add(entry);
      /** Whether the call was still in flight (a trap may have rejected it already). */
      const settle = () => inst.inFlight.delete(entry);
      let answer: Promise<string>;
      try {
        answer = (inst.core as CoreInstance).call(settingsJson(g), JSON.stringify(op), body, makeHost(inst, g));
      } catch (e) {
        trapped(inst, e);
        return;
      }
      answer.then((t) => { if (settle()) resolve(t); }, (e) => { if (settle()) trapped(inst, e); });
    });
    const out = JSON.parse(text) as { result?: unknown; error?: { kind: string; message: string } };
    if (out.error) throw new Error(out.error.message);
    return out.result;
  }

  function pairsOf(value: unknown): Pairs {
    const out: Pairs = [];
    if (!value || typeof value !== 'object') return out;
    const add = (k: unknown, v: unknown) => {
      if (Array.isArray(v)) v.forEach((item) => out.push([String(k), String(item)]));
      else if (v !== undefined && v !== null) out.push([String(k), String(v)]);
    };
    const withForEach = value as { forEach?: (cb: (v: unknown, k: unknown) => void) => void };
    if (typeof withForEach.forEach === 'function' && !Array.isArray(value)) withForEach.forEach((v, k) => add(k, v));
    else for (const k of Object.keys(value as object)) add(k, (value as Record<string, unknown>)[k]);
    return out;
  }

  /**
   * Longest body handed to the core. The core refuses bodies over 64 KB itself (413); a longer one is
   * cut here to this size, which is still over that limit, so only its size ever reaches the core.
   */
  const MAX_BODY = 131072;

  function capped(text: string): string {
    if (text.length <= MAX_BODY) return text;
    const cut = text.slice(0, MAX_BODY);
    const last = cut.charCodeAt(cut.length - 1);
    return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
  }

  /**
   * The webhook request as plain values, and its raw body text apart (kept byte-for-byte for
   * signatures, and passed beside the op so that it is not escaped into it).
   */
  function normaliseRequest(request: FetchRequest): { request: Record<string, unknown>; body: string | undefined } {
    const r = (request || {}) as FetchRequest;
    let body: string | undefined;
    let bodyNotString = false;
    if (typeof r.body === 'string') body = capped(r.body);
    else if (r.body instanceof Uint8Array) body = new TextDecoderLike().decode(r.body.subarray(0, MAX_BODY + 4));
    else if (r.body !== undefined && r.body !== null) bodyNotString = true;
    return { request: { method: String(r.method || ''), headers: pairsOf(r.headers), bodyNotString, query: pairsOf(r.query) }, body };
  }

  /** Minimal UTF-8 decoding for a binary body, without depending on a host TextDecoder. */
  class TextDecoderLike {
    decode(bytes: Uint8Array): string {
      let s = '';
      for (let i = 0; i < bytes.length; i++) s += '%' + (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
      try {
        return decodeURIComponent(s);
      } catch (e) {
        return latin1(bytes);
      }
    }
  }

  /** The host enum member with this canonical name, or undefined when the host has no such member. */
  function member(enumObj: Record<string, unknown> | undefined, name: string): unknown {
    if (!enumObj) return undefined;
    if (Object.prototype.hasOwnProperty.call(enumObj, name)) return enumObj[name];
    const key = Object.keys(enumObj).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : enumObj[key];
  }

  function disposition(g: Globals, name: string): unknown {
    const m = member(g.disposition, name);
    return m !== undefined ? m : member(g.disposition, 'Unknown');
  }

  function hostResponse(g: Globals, r: { status: number; contentType: string; body: string }): unknown {
    const HostResponse = g.response;
    if (typeof HostResponse !== 'function') return { status: r.status, headers: { 'Content-Type': r.contentType }, body: r.body };
    let res = new HostResponse().status(r.status);
    if (typeof res.header === 'function') res = res.header('Content-Type', r.contentType);
    else if (typeof res.contentType === 'function') res = res.contentType(r.contentType);
    return res.content(r.body);
  }

  interface CoreEvent { event: string; direction: string; disposition: string; srcPhone: string; dstPhone: string; callId: string }
  interface CoreRecord extends Omit<CoreEvent, 'event'> { call: unknown; duration: number }
  interface CoreWebhook { event?: CoreEvent; callRecord?: CoreRecord; response: { status: number; contentType: string; body: string } }

  /** Maps the core's canonical names onto the host's enums; drops what the host cannot express. */
  function toHost(g: Globals, result: CoreWebhook): VoipWebhookParseResult {
    const out: VoipWebhookParseResult = { response: hostResponse(g, result.response) };
    const e = result.event;
    if (e) {
      const kind = member(g.event, e.event);
      const direction = member(g.direction, e.direction);
      if (kind !== undefined && direction !== undefined) {
        out.event = { event: kind, direction, disposition: disposition(g, e.disposition), srcPhone: e.srcPhone, dstPhone: e.dstPhone, callId: e.callId };
      }
    }
    const c = result.callRecord;
    if (c) {
      const direction = member(g.direction, c.direction);
      if (direction !== undefined) {
        out.callRecord = {
          call: c.call, callId: c.callId, direction, disposition: disposition(g, c.disposition),
          srcPhone: c.srcPhone, dstPhone: c.dstPhone, duration: c.duration,
        };
      }
    }
    return out;
  }

  return {
    run,
    parseWebhook: async (request: FetchRequest): Promise<VoipWebhookParseResult> => {
      const normal = normaliseRequest(request);
      const g = readGlobals();
      return toHost(g, (await run({ op: 'parseWebhook', request: normal.request }, normal.body, g)) as CoreWebhook);
    },
    /** Loads the core now (cold start) and returns its version; `mark(phase)` is called after each loading phase (for the benchmark). */
    warmUp: (mark?: (phase: string) => void): string => (instance(mark).core as CoreInstance).version(),
    /** The settings field table, as the core defines it. */
    settingsSchema: (): unknown => JSON.parse((instance().core as CoreInstance).settingsSchema()),
  };
})(Promise, JSON, Object, String, Date, Error, Array);

/** «Проверить соединение»: reaches the PBX and says what it found, or why not. Never throws. */
async function VoipTestConnection(): Promise<VoipTestConnectionResult> {
  try {
    return (await __elma365voip.run({ op: 'testConnection' })) as VoipTestConnectionResult;
  } catch (e) {
    return { success: false, failReason: e instanceof Error ? e.message : String(e) };
  }
}

/** «Настроить»: the PBX users for the user-mapping table. */
async function VoipGetMembers(): Promise<VoipMember[]> {
  return (await __elma365voip.run({ op: 'getMembers' })) as VoipMember[];
}

/** Click-to-call: the PBX rings `srcPhone` (the employee), then dials `dstPhone`. Never retried. */
async function VoipGenerateCall(srcPhone: string, dstPhone: string): Promise<void> {
  await __elma365voip.run({ op: 'generateCall', src: String(srcPhone || ''), dst: String(dstPhone || '') });
}

/** Every request to the module's webhook URL: verifies it, maps it to a call event and/or record. */
async function VoipParseWebhookRequest(request: FetchRequest): Promise<VoipWebhookParseResult> {
  return __elma365voip.parseWebhook(request);
}

/** A direct URL the user's browser can play for a call record's `call` data. */
async function VoipGetCallLink(callData: any): Promise<string> {
  return (await __elma365voip.run({ op: 'getCallLink', callData: callData === undefined ? null : callData })) as string;
}

/** Called on «Сохранить» and first publish: keeps the webhook URL in storage. */
async function VoipOnWebhookUpdated(webhookUrl: string): Promise<void> {
  await __elma365voip.run({ op: 'onWebhookUpdated', url: String(webhookUrl || '') });
}
