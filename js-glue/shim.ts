// The ELMA365 shim: host adapters (fetch with its timeout, storage, enums, HttpResponse, the webhook
// request) and the six contract functions, one line each. The Rust core (src/wasm.rs) decides
// everything: each contract function is one async call into it, and it awaits the host object built
// here. What the adapters accept from each host object is the host contract in ARCHITECTURE.md
// («The host contract»); every shape it allows is taken here and nowhere else.
//
// The script type-checks with `tsc --strict` against ELMA365's documented declarations only (the
// contract's types in the six signatures; tests/fixtures/elma365/globals.d.ts): it declares no global
// name, its other types are its own (Elma365Voip…), and it reads each host global in one place
// (hostGlobals) with a `@ts-ignore`, because a host may declare that name or not.

/** The shim's internals, reachable by tests and the sandbox as `__elma365voip`. */
const __elma365voip = (function (Promise: PromiseConstructor, JSON: JSON, Object: ObjectConstructor, String: StringConstructor, Date: DateConstructor, Error: ErrorConstructor, Array: ArrayConstructor) {
  // The builtins above are parameters so that each use is a local read, not a global one (see Globals).
  type Pairs = Array<[string, string]>;
  type Fn = (...args: any[]) => any;
  type Obj = Record<string, unknown>;
  interface WireRequest { method: string; url: string; headers: Pairs; body?: string; timeoutMs: number }
  interface Outcome {
    response?: { status: number; headers: Pairs; body: string; noStatus?: boolean };
    failure?: { code: string; message: string; timedOut: boolean; module?: boolean };
  }
  interface HostStorage {
    getItem(key: string): unknown;
    setItem(key: string, value: string): unknown;
    removeItem?(key: string): unknown;
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
    event: Obj | undefined;
    direction: Obj | undefined;
    disposition: Obj | undefined;
    response: Fn | undefined;
    fetch: Fn | undefined;
    setTimeout: Fn | undefined;
    clearTimeout: Fn | undefined;
    AbortController: Fn | undefined;
    AbortSignal: { timeout?: Fn } | undefined;
    /** Namespace.params.fields: the App settings fields (the caller lookup's apps). */
    fields: Obj | undefined;
    UserStatus: Obj | undefined;
  }

  /** A host object, or undefined when it is not an object (or function) at all. */
  function objectOr<T>(v: unknown): T | undefined {
    return (typeof v === 'object' || typeof v === 'function') && v !== null ? (v as T) : undefined;
  }
  function fnOr(v: unknown): Fn | undefined {
    return typeof v === 'function' ? (v as Fn) : undefined;
  }

  /**
   * Every host global the shim uses, read by its bare name (a host may pass them as variables of a
   * wrapper function, not as properties of the global object), each guarded by `typeof` so that a
   * missing one is undefined. None of these names is declared by this script: each line tells the
   * type checker to accept it whether the host declares it or not.
   */
  function hostGlobals(): Obj {
    return {
      // @ts-ignore
      Namespace: typeof Namespace === 'undefined' ? undefined : Namespace,
      // @ts-ignore
      VoipWebhookEvent: typeof VoipWebhookEvent === 'undefined' ? undefined : VoipWebhookEvent,
      // @ts-ignore
      VoipCallDirection: typeof VoipCallDirection === 'undefined' ? undefined : VoipCallDirection,
      // @ts-ignore
      VoipCallDisposition: typeof VoipCallDisposition === 'undefined' ? undefined : VoipCallDisposition,
      // @ts-ignore
      HttpResponse: typeof HttpResponse === 'undefined' ? undefined : HttpResponse,
      // @ts-ignore
      fetch: typeof fetch === 'undefined' ? undefined : fetch,
      // @ts-ignore
      setTimeout: typeof setTimeout === 'undefined' ? undefined : setTimeout,
      // @ts-ignore
      clearTimeout: typeof clearTimeout === 'undefined' ? undefined : clearTimeout,
      // @ts-ignore
      AbortController: typeof AbortController === 'undefined' ? undefined : AbortController,
      // @ts-ignore
      AbortSignal: typeof AbortSignal === 'undefined' ? undefined : AbortSignal,
      // @ts-ignore
      UserStatus: typeof UserStatus === 'undefined' ? undefined : UserStatus,
    };
  }

  function readGlobals(): Globals {
    const h = hostGlobals();
    const ns = objectOr<{ storage?: unknown; params?: { data?: unknown } }>(h.Namespace);
    const params = ns ? objectOr<{ data?: unknown; fields?: unknown }>(ns.params) : undefined;
    const storage = ns ? objectOr<HostStorage>(ns.storage) : undefined;
    return {
      storage: storage && typeof storage.getItem === 'function' && typeof storage.setItem === 'function' ? storage : undefined,
      data: params ? params.data : {},
      event: objectOr<Obj>(h.VoipWebhookEvent),
      direction: objectOr<Obj>(h.VoipCallDirection),
      disposition: objectOr<Obj>(h.VoipCallDisposition),
      response: fnOr(h.HttpResponse),
      fetch: fnOr(h.fetch),
      setTimeout: fnOr(h.setTimeout),
      clearTimeout: fnOr(h.clearTimeout),
      AbortController: fnOr(h.AbortController),
      AbortSignal: objectOr<{ timeout?: Fn }>(h.AbortSignal),
      fields: params ? objectOr<Obj>(params.fields) : undefined,
      UserStatus: objectOr<Obj>(h.UserStatus),
    };
  }

  /**
   * Whether the `language` setting asks for English. The core renders every message in that language
   * (its catalogue); the few below come from the shim, for when the core cannot run at all.
   */
  function english(): boolean {
    const data = objectOr<{ language?: unknown }>(readGlobals().data);
    return !!data && /^\s*en/i.test(String(data.language));
  }

  function settingsJson(g: Globals): string {
    try {
      return JSON.stringify(g.data || {}) || '{}';
    } catch (e) {
      return '{}';
    }
  }

  /**
   * What the module writes in place of a removed value when the host's storage has no `removeItem`
   * (or it fails): an empty value may be refused, and this one reads back as absent.
   */
  const TOMBSTONE = '(deleted)';

  async function storageGet(g: Globals, key: string): Promise<string | null> {
    const s = g.storage;
    const v: unknown = s ? await s.getItem(key) : memoryStorage[key];
    // A missing key may read as undefined, null or ''; a storage that parses JSON may hand back an object.
    const text = typeof v === 'string' ? v : v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return text === '' || text === TOMBSTONE ? null : text;
  }

  async function storageSet(g: Globals, key: string, value: string | null): Promise<void> {
    const s = g.storage;
    if (!s) {
      if (value === null) delete memoryStorage[key];
      else memoryStorage[key] = value;
      return;
    }
    if (value !== null) {
      await s.setItem(key, value);
      return;
    }
    if (typeof s.removeItem === 'function') {
      try {
        await s.removeItem(key);
        return;
      } catch (e) {
        // Fall back to the tombstone below.
      }
    }
    await s.setItem(key, TOMBSTONE);
  }

  /** The text of a value a host threw or rejected with, whatever it is. */
  function textOf(v: unknown): string {
    if (typeof v === 'string') return v;
    if (v === undefined || v === null) return '';
    if (typeof v !== 'object') return String(v);
    try {
      const json = JSON.stringify(v);
      return json === '{}' || json === undefined ? String(v) : json.slice(0, 300);
    } catch (e) {
      return '';
    }
  }

  /**
   * A host's error as a code and a message: from an Error, its `cause` (undici nests them), a plain
   * object with `message`/`code`/`type`/`errno`/`name`, a string, or nothing at all.
   */
  function describeError(e: unknown): { code: string; message: string } {
    if (e === undefined || e === null) return { code: '', message: `the host failed without a reason (it rejected with ${e === null ? 'null' : 'undefined'})` };
    if (typeof e !== 'object' && typeof e !== 'function') return { code: '', message: textOf(e) || `the host failed with an empty ${typeof e}` };
    const err = e as Obj;
    const cause = objectOr<Obj>(err.cause) || {};
    const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
    const code = str(cause.code) || str(err.code) || str(err.errno) || (err.type === 'system' ? '' : str(err.type));
    const parts = [str(err.message), str(cause.message)].filter((m) => m !== '');
    let message = parts.join(': ');
    if (message === '') {
      const name = str(err.name);
      const shown = textOf(e);
      message = shown && shown !== '[object Object]' ? shown : name ? `${name} without a message` : 'the host failed with an object that says nothing';
    }
    return { code, message };
  }

  /**
   * Calls `add(name, value)` for each pair of a WHATWG Headers, a Map or URLSearchParams (forEach), an object
   * with entries(), a get()-only object (asked for `names`), or a plain object.
   */
  function eachPair(o: Obj, names: string[], add: (k: unknown, v: unknown) => void): void {
    if (typeof o.forEach === 'function' && !Array.isArray(o)) (o.forEach as Fn).call(o, (v: unknown, k: unknown) => add(k, v));
    else if (typeof o.entries === 'function') for (const kv of (o.entries as Fn).call(o) as Iterable<[unknown, unknown]>) add(kv[0], kv[1]);
    else if (typeof o.get === 'function') for (const n of names) add(n, (o.get as Fn).call(o, n));
    else for (const k of Object.keys(o)) add(k, o[k]);
  }

  /** The response's headers as lowercased pairs, from any shape eachPair reads, or none; the content type by get() when the rest fails. */
  function responseHeaders(h: unknown): Pairs {
    const out: Pairs = [];
    const o = objectOr<Obj>(h);
    if (!o) return out;
    const add = (k: unknown, v: unknown) => {
      if (v !== undefined && v !== null && typeof v !== 'function') out.push([String(k).toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v)]);
    };
    try {
      eachPair(o, ['content-type'], add);
    } catch (e) {
      out.length = 0;
    }
    if (!out.some((p) => p[0] === 'content-type') && typeof o.get === 'function') {
      try {
        add('content-type', (o.get as Fn).call(o, 'content-type'));
      } catch (e) {
        // The content type stays unknown.
      }
    }
    return out;
  }

  /** A failure that is the module's own doing (or the host's fetch lacking a documented member), never the network's. */
  function moduleFault(message: string): Outcome {
    return { failure: { code: '', message, timedOut: false, module: true } };
  }

  /** Bytes from whatever a host hands as binary: an ArrayBuffer or a view of one, from any realm. */
  function bytesOf(v: unknown): Uint8Array | null {
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') return new Uint8Array(v as ArrayBuffer);
    return null;
  }

  /**
   * Performs one request with the host's fetch, under the step's timeout. The timeout is enforced
   * here with `setTimeout` (Node 14 has no AbortController, and the host's fetch polyfill may ignore a
   * signal); the polyfill's own `timeout` option and an AbortSignal are passed as well where they exist.
   */
  async function perform(g: Globals, req: WireRequest): Promise<Outcome> {
    const hostFetch = g.fetch;
    if (!hostFetch) return moduleFault('this ELMA365 server gives scripts no fetch function');
    const headers: Record<string, string> = {};
    for (const [k, v] of req.headers) headers[k] = v;
    const init: Obj = { method: req.method, headers, timeout: req.timeoutMs };
    if (req.body !== undefined) init.body = req.body;
    let controller: { signal: unknown; abort(): void } | undefined;
    /** A signal that aborts by itself after the timeout (AbortSignal.timeout), on a host without timers. */
    let selfTiming: { aborted?: boolean } | undefined;
    try {
      if (g.setTimeout && g.AbortController) controller = new (g.AbortController as unknown as new () => { signal: unknown; abort(): void })();
      if (controller) init.signal = controller.signal;
      else if (!g.setTimeout && g.AbortSignal && typeof g.AbortSignal.timeout === 'function') init.signal = selfTiming = g.AbortSignal.timeout(req.timeoutMs);
    } catch (e) {
      controller = undefined;
    }
    const setTimer = g.setTimeout;
    let timer: unknown;
    const timedOut = new Promise<Outcome>((resolve) => {
      if (!setTimer) return;
      timer = setTimer(() => {
        if (controller) controller.abort();
        resolve({ failure: { code: 'ETIMEDOUT', message: `no answer within ${req.timeoutMs} ms`, timedOut: true } });
      }, req.timeoutMs);
    });
    const work = (async (): Promise<Outcome> => {
      let r: Obj | undefined;
      try {
        r = objectOr<Obj>(await hostFetch(req.url, init));
      } catch (e) {
        if (selfTiming && selfTiming.aborted) return { failure: { code: 'ETIMEDOUT', message: `no answer within ${req.timeoutMs} ms`, timedOut: true } };
        return { failure: { ...describeError(e), timedOut: false } };
      }
      if (!r) return moduleFault("the host's fetch resolved to no response object");
      const respHeaders = responseHeaders(r.headers);
      let status = typeof r.status === 'number' ? r.status : typeof r.status === 'string' && /^\d{3}$/.test(r.status) ? Number(r.status) : NaN;
      let noStatus = false;
      if (!(status >= 100 && status <= 999)) {
        if (typeof r.ok !== 'boolean') return moduleFault("the host's fetch response has neither `status` nor `ok`");
        status = r.ok ? 200 : 500;
        noStatus = true;
      }
      const type = (respHeaders.find((h) => h[0] === 'content-type') || ['', ''])[1];
      const xml = /xml|utf-16/i.test(type);
      let body: string;
      try {
        // The bytes when the answer may be XML (which may be UTF-16) or its type is unknown, or when there is no text().
        if ((xml || type === '' || typeof r.text !== 'function') && typeof r.arrayBuffer === 'function') {
          const bytes = bytesOf(await (r.arrayBuffer as Fn).call(r));
          if (!bytes) return moduleFault("the host's fetch response's arrayBuffer() gave no bytes");
          if (xml || utf16(bytes)) {
            // Pass the bytes as Latin-1 and let the core decode them (src/oktell/xml.rs).
            body = latin1(bytes);
            respHeaders.push(['x-elma365-voip-raw', 'latin1']);
          } else {
            body = utf8(bytes);
          }
        } else if (typeof r.text === 'function') {
          body = textOf(await (r.text as Fn).call(r));
        } else if (typeof r.json === 'function') {
          body = JSON.stringify(await (r.json as Fn).call(r)) || '';
        } else {
          return moduleFault("the host's fetch response has no text(), arrayBuffer() or json()");
        }
      } catch (e) {
        // The answer broke off while its body was read: the network's, not the module's.
        return { failure: { ...describeError(e), timedOut: false } };
      }
      const response: Outcome['response'] = { status, headers: respHeaders, body };
      if (noStatus && response) response.noStatus = true;
      return { response };
    })();
    try {
      return await Promise.race([work, timedOut]);
    } catch (e) {
      return moduleFault(`the fetch adapter failed: ${describeError(e).message}`);
    } finally {
      if (timer !== undefined && g.clearTimeout) g.clearTimeout(timer);
    }
  }

  /** Whether a request can be bounded in time here: a timer, or a signal that times out by itself. */
  function canBound(g: Globals): boolean {
    return Boolean(g.setTimeout || (g.AbortSignal && typeof g.AbortSignal.timeout === 'function'));
  }

  /** Whether bytes look like UTF-16 text: a byte-order mark, or `<` next to a zero byte. */
  function utf16(b: Uint8Array): boolean {
    return b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0x3c && b[1] === 0) || (b[0] === 0 && b[1] === 0x3c));
  }

  /** Bytes as a string of one Latin-1 character per byte (the core turns it back into bytes). */
  function latin1(bytes: Uint8Array): string {
    let s = '';
    for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 8192)));
    return s;
  }

  /** UTF-8 bytes as text, without depending on a host TextDecoder; bytes that are not UTF-8 come as Latin-1. */
  function utf8(bytes: Uint8Array): string {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += '%' + (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    try {
      return decodeURIComponent(s);
    } catch (e) {
      return latin1(bytes);
    }
  }

  /** A storage or adapter failure as the text the core quotes (a rejection the core reads as a string). */
  function failed(e: unknown): Promise<never> {
    const d = describeError(e);
    return Promise.reject(d.code ? `${d.message} (${d.code})` : d.message);
  }

  interface CrmQuery { op: string; app: string; phone: string; values: string[]; user?: string; size: number; ref?: string }

  /** A method's result, or the object itself when the method returns nothing usable (a builder that does not chain). */
  function chain(o: Obj, name: string, ...args: unknown[]): Obj {
    const f = o[name];
    if (typeof f !== 'function') return o;
    return objectOr<Obj>((f as Fn).apply(o, args)) || o;
  }

  /** A value as one line of text: a string, a number, or a full name object's parts. */
  function plainText(v: unknown): string {
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    const o = objectOr<Obj>(v);
    if (!o) return '';
    return ['lastname', 'firstname', 'middlename'].map((k) => plainText(o[k])).filter((x) => x).join(' ');
  }

  /** The `tel` of each phone of a TPhone, a list of them, or a plain string; and the first one's `ext`. */
  function phonesOf(v: unknown): { tels: string[]; ext: string } {
    const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    let ext = '';
    const tels = list.slice(0, 20).map((p) => {
      const o = objectOr<Obj>(p);
      if (!o) return plainText(p);
      if (!ext) ext = plainText(o.ext);
      return plainText(o.tel);
    }).filter((t) => t !== '');
    return { tels, ext };
  }

  /**
   * The caller lookup's questions (src/crm.rs): a search of an App settings field's app by phone, or
   * a user behind a reference a search handed out. ELMA365's data API is presumed from real module
   * code (../shared/spec/elma365.md, «CRM data»): every shape is read defensively, and what is not
   * there becomes "unbound", "notApp", "noField" or "failed", never a thrown error.
   */
  async function crmAnswer(g: Globals, q: CrmQuery, refs: unknown[]): Promise<Obj> {
    if (q.op === 'user') return userAnswer(g, refs[Number(String(q.ref).slice(1))]);
    const field = g.fields ? objectOr<Obj>(g.fields[q.app]) : undefined;
    if (!field) return { unbound: true };
    const app = objectOr<Obj>(field.app);
    if (!app || typeof app.search !== 'function') return { error: 'notApp', detail: app ? 'its app has no search()' : 'it has no app' };
    let missing = '';
    let items: unknown;
    try {
      const query = chain(chain(app, 'search'), 'where', (f: Obj, gq: Obj) => {
        const phone = objectOr<Obj>(f[q.phone]);
        if (!phone || (typeof phone.has !== 'function' && typeof phone.eq !== 'function')) missing = q.phone;
        else if (q.user && f[q.user] === undefined) missing = q.user;
        if (missing) throw new Error(`no field ${missing}`);
        const p = phone as Obj;
        // A phone field holds TPhone values: `has` for a list of them, `eq` for one.
        const conds = q.values.map((v) => (typeof p.has === 'function' ? (p.has as Fn).call(p, { tel: v }) : (p.eq as Fn).call(p, { tel: v })));
        let cond = conds.length === 1 ? conds[0] : (gq.or as Fn).apply(gq, conds);
        const deleted = objectOr<Obj>(f.__deletedAt);
        if (deleted && typeof deleted.eq === 'function' && typeof gq.and === 'function') cond = (gq.and as Fn).call(gq, (deleted.eq as Fn).call(deleted, null), cond);
        return cond;
      });
      const sized = chain(query, 'size', q.size);
      items = typeof sized.all === 'function' ? await (sized.all as Fn).call(sized) : typeof sized.first === 'function' ? await (sized.first as Fn).call(sized) : undefined;
    } catch (e) {
      if (missing) return { error: 'noField', field: missing };
      return { error: 'failed', detail: describeError(e).message };
    }
    const list = Array.isArray(items) ? items : objectOr(items) ? [items] : [];
    return {
      items: list.slice(0, q.size).map((it) => {
        // An app item keeps its fields under `data` (ApplicationItem {id, data, fetch()}); a plain object, at its top.
        const top = objectOr<Obj>(it) || {};
        const item = objectOr<Obj>(top.data) || top;
        let user: unknown = q.user ? item[q.user] : undefined;
        if (Array.isArray(user)) user = user[0];
        const ref = user === undefined || user === null || user === '' ? null : `u${refs.push(user) - 1}`;
        return { id: plainText(item.__id !== undefined ? item.__id : top.id), name: plainText(item.__name), phones: phonesOf(item[q.phone]).tels, deleted: !!item.__deletedAt, user: ref };
      }),
    };
  }

  /** A user reference (an object with `fetch()`, a user itself, or an id) as what the core compares. */
  async function userAnswer(g: Globals, ref: unknown): Promise<Obj> {
    let u: unknown = ref;
    try {
      const r = objectOr<Obj>(ref);
      if (r && typeof r.fetch === 'function') u = await (r.fetch as Fn).call(r);
    } catch (e) {
      return { error: 'failed', detail: describeError(e).message };
    }
    const r = objectOr<Obj>(ref) || {};
    const top = objectOr<Obj>(u);
    if (!top) return { user: { id: plainText(r.id !== undefined ? r.id : u) } };
    const o = objectOr<Obj>(top.data) || top;
    const work = phonesOf(o.workPhone);
    // `__status` may be a value or `{status}`; Blocked by the host's UserStatus where it has one.
    const st = objectOr<Obj>(o.__status);
    const status = st ? st.status : o.__status;
    const blockedValue = member(g.UserStatus, 'Blocked');
    const blocked = (blockedValue !== undefined && status === blockedValue) || /block/i.test(plainText(status)) || (!!st && /block/i.test(plainText(st.description)));
    return { user: { id: plainText(o.__id !== undefined ? o.__id : top.id !== undefined ? top.id : r.id), email: plainText(o.email), tel: work.tels[0] || '', ext: work.ext, blocked } };
  }

  /** Storage calls cross as text: keys and values separated by NUL, an absent value as U+0001 (src/wasm.rs). */
  const SEP = '\u0000';
  const ABSENT = '\u0001';

  /**
   * The host the core awaits (see src/wasm.rs): text in, a promise of text out. None of its
   * methods throws: a failure is a rejection with a message, which the core reports.
   */
  function makeHost(instance: Instance, g: Globals): Elma365VoipCoreHost {
    const setTimer = g.setTimeout;
    /** The user references this call's searches handed out, by number. */
    const refs: unknown[] = [];
    return {
      fetch: (request: string) => {
        try {
          return perform(g, JSON.parse(request) as WireRequest).then((outcome) => JSON.stringify(outcome), failed);
        } catch (e) {
          return failed(e);
        }
      },
      read: async (keys: string) => {
        try {
          // A value the module did not write (it never stores a raw NUL) counts as absent.
          const framed = (v: string | null) => (v === null || v.indexOf(SEP) >= 0 ? ABSENT : v);
          // One key (a returning caller's lookup) without Promise.all; several all at once: the keys of one read
          // are independent, and a server's storage answers each in milliseconds.
          if (keys.indexOf(SEP) < 0) return framed(await storageGet(g, keys));
          return (await Promise.all(keys.split(SEP).map((key) => storageGet(g, key)))).map(framed).join(SEP);
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
      // The settling of a claim on a call's end (src/callstore.rs), the lookup's budget (src/crm.rs);
      // at once, as "none", on a host without timers.
      sleep: (ms: number) => (setTimer ? new Promise<string>((resolve) => { setTimer(() => resolve(''), ms); }) : Promise.resolve('none')),
      crm: (request: string) => {
        try {
          return crmAnswer(g, JSON.parse(request) as CrmQuery, refs).then((a) => JSON.stringify(a), failed);
        } catch (e) {
          return failed(e);
        }
      },
      nonce: () => Math.floor(Math.random() * 9007199254740990) + 1,
      panic: (message: string) => {
        instance.panic = String(message);
      },
    };
  }

  interface InFlight { fn: string; reject(e: Error): void }
  interface Instance { core: Elma365VoipCore | null; inFlight: Set<InFlight>; panic: string }
  let current: Instance | null = null;

  /**
   * Why the core could not be loaded, when WebAssembly is the cause: missing from the host, or its
   * code generation blocked (`codeGeneration: { wasm: false }` in a node:vm sandbox). Null for any
   * other fault, which stays the module's own.
   */
  function wasmBlocked(e: unknown): string | null {
    const text = describeError(e).message;
    const missing = __elma365voipCore.wasmMissing();
    if (!missing && !/wasm code generation|code generation.*disallowed|disallowed by embedder|WebAssembly/i.test(text)) return null;
    const said = missing ? '' : ` («${text.slice(0, 200)}»)`;
    return english()
      ? `elma365-voip cannot start on this ELMA365 server: ${missing ? 'its scripts have no WebAssembly' : 'WebAssembly is blocked in its script sandbox'}` +
          `${said}. The module's core is WebAssembly. ` +
          'Use the build for such servers instead: paste pkg/elma365-voip.nowasm.module.ts in place of this script (README, «Which build to paste»).'
      : `elma365-voip не может запуститься на этом сервере ELMA365: ${missing ? 'в его сценариях нет WebAssembly' : 'WebAssembly заблокирован в песочнице его сценариев'}` +
          `${said}. Ядро модуля — WebAssembly. ` +
          'Используйте сборку для таких серверов: вставьте pkg/elma365-voip.nowasm.module.ts вместо этого сценария (README.ru.md, «Какую сборку вставлять»).';
  }

  /** The live instance of the core, instantiating one when there is none (first use, or after a trap). */
  function instance(mark?: (phase: string) => void): Instance {
    if (current === null) {
      const fresh: Instance = { core: null, inFlight: new Set(), panic: '' };
      current = fresh;
      try {
        fresh.core = __elma365voipCore.instantiate((e: unknown) => trapped(fresh, e), mark);
      } catch (e) {
        current = null;
        const blocked = wasmBlocked(e);
        if (blocked) throw new Error(blocked);
        const why = describeError(e).message;
        throw new Error(english()
          ? `elma365-voip: internal error while loading the module's core (not a network or PBX problem): ${why}. Please report this text.`
          : `elma365-voip: внутренняя ошибка при загрузке ядра модуля (не сеть и не АТС): ${why}. Сообщите о ней разработчикам, приложив этот текст.`);
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
    const en = english();
    for (const c of calls) {
      c.reject(new Error(en
        ? `elma365-voip: internal error in ${c.fn}: ${reason}. The call was stopped and the module restarted; please report this text.`
        : `elma365-voip: внутренняя ошибка в ${c.fn}: ${reason}. Вызов остановлен, модуль перезапущен; сообщите о ней разработчикам, приложив этот текст.`));
    }
  }

  const FUNCTIONS: Record<string, string> = {
    testConnection: 'VoipTestConnection', getMembers: 'VoipGetMembers', generateCall: 'VoipGenerateCall',
    parseWebhook: 'VoipParseWebhookRequest', getCallLink: 'VoipGetCallLink', onWebhookUpdated: 'VoipOnWebhookUpdated',
  };

  /** Runs one contract call in the core: one crossing in, the core awaits the host, one answer out. */
  async function run(op: Obj, body?: string, g: Globals = readGlobals()): Promise<unknown> {
    const inst = instance();
    if (op.op === 'testConnection' && !canBound(g)) op.unbounded = true;
    const text = await new Promise<string>((resolve, reject) => {
      const entry: InFlight = { fn: FUNCTIONS[String(op.op)] || String(op.op), reject };
      inst.inFlight.add(entry);
      /** Whether the call was still in flight (a trap may have rejected it already). */
      const settle = () => inst.inFlight.delete(entry);
      let answer: Promise<string>;
      try {
        answer = (inst.core as Elma365VoipCore).call(settingsJson(g), JSON.stringify(op), body, makeHost(inst, g));
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

  /** Name/value pairs (a value may be an array of them) from any shape eachPair reads; what could be read when it fails. */
  function pairsOf(value: unknown, names: string[] = []): Pairs {
    const out: Pairs = [];
    const o = objectOr<Obj>(value);
    if (!o) return out;
    try {
      eachPair(o, names, (k, v) => {
        if (Array.isArray(v)) v.forEach((item) => out.push([String(k), String(item)]));
        else if (v !== undefined && v !== null && typeof v !== 'function') out.push([String(k), String(v)]);
      });
    } catch (e) {
      // What could be read is kept.
    }
    return out;
  }

  /** The request headers the core reads, asked by name of a host object that can only `get()`. */
  const WEBHOOK_HEADERS = ['content-type', 'authorization', 'x-client-id', 'x-client-sign'];

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
   * signatures, and passed beside the op so that it is not escaped into it). A body that is
   * neither text nor bytes is named in `bodyParsed`; an object or array goes on as its JSON.
   */
  function normaliseRequest(request: unknown): { request: Obj; body: string | undefined } {
    const r = objectOr<Obj>(request) || {};
    const raw = r.body;
    let body: string | undefined;
    let parsed: string | undefined;
    const bytes = typeof raw === 'string' || raw === undefined || raw === null ? null : bytesOf(raw);
    const nodeBuffer = objectOr<{ type?: unknown; data?: unknown }>(raw);
    if (typeof raw === 'string') body = capped(raw);
    else if (bytes) body = utf8(bytes.subarray(0, MAX_BODY + 4));
    else if (nodeBuffer && nodeBuffer.type === 'Buffer' && Array.isArray(nodeBuffer.data)) body = utf8(new Uint8Array(nodeBuffer.data.slice(0, MAX_BODY + 4)));
    else if (raw !== undefined && raw !== null) {
      parsed = Array.isArray(raw) ? 'array' : typeof raw;
      if (typeof raw === 'object') {
        try {
          body = capped(JSON.stringify(raw) || '');
        } catch (e) {
          body = undefined;
        }
      }
    }
    const normal: Obj = { method: String(r.method || '').toUpperCase(), headers: pairsOf(r.headers, WEBHOOK_HEADERS), query: pairsOf(r.query) };
    if (parsed) normal.bodyParsed = parsed;
    return { request: normal, body };
  }

  /** The host enum member with this canonical name, or undefined when the host has no such member. */
  function member(enumObj: Obj | undefined, name: string): unknown {
    if (!enumObj) return undefined;
    if (Object.prototype.hasOwnProperty.call(enumObj, name)) return enumObj[name];
    const key = Object.keys(enumObj).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : enumObj[key];
  }

  function disposition(g: Globals, name: string): unknown {
    const m = member(g.disposition, name);
    return m !== undefined ? m : member(g.disposition, 'Unknown');
  }

  /**
   * The answer to the PBX as the host's HttpResponse: `new HttpResponse(code)` (a host whose
   * constructor needs the code gets it; one that takes none ignores it), then `status()`, the
   * content type where the host has a method for it, and `content()` (or `json()`). Without a usable
   * HttpResponse, a plain {status, headers, body}.
   */
  function hostResponse(g: Globals, r: { status: number; contentType: string; body: string }): unknown {
    const plain = { status: r.status, headers: { 'Content-Type': r.contentType }, body: r.body };
    const HostResponse = g.response as unknown as (new (code?: number) => Obj) | undefined;
    if (!HostResponse) return plain;
    let res: Obj;
    try {
      res = new HostResponse(r.status);
    } catch (e) {
      try {
        res = new HostResponse();
      } catch (e2) {
        return plain;
      }
    }
    /** Calls a builder method when the host has it, keeping what it returns when that is the builder. */
    const call = (name: string, arg: unknown, arg2?: unknown): boolean => {
      const f = res[name];
      if (typeof f !== 'function') return false;
      const out = arg2 === undefined ? (f as Fn).call(res, arg) : (f as Fn).call(res, arg, arg2);
      if (typeof out === 'object' && out !== null) res = out as Obj;
      return true;
    };
    try {
      call('status', r.status);
      if (!call('header', 'Content-Type', r.contentType)) call('contentType', r.contentType);
      if (!call('content', r.body)) {
        let value: unknown = r.body;
        if (/json/.test(r.contentType)) {
          try {
            value = JSON.parse(r.body);
          } catch (e) {
            value = r.body;
          }
        }
        if (!call('json', value)) return plain;
      }
    } catch (e) {
      return plain;
    }
    return res;
  }

  interface CoreEvent { event: string; direction: string; disposition: string; srcPhone: string; dstPhone: string; callId: string }
  interface CoreRecord extends Omit<CoreEvent, 'event'> { call: unknown; duration: number }
  interface CoreWebhook { event?: CoreEvent; callRecord?: CoreRecord; response: { status: number; contentType: string; body: string } }

  /** Maps the core's canonical names onto the host's enums; drops what the host cannot express. */
  function toHost(g: Globals, result: CoreWebhook): Elma365VoipWebhookResult {
    const out: Elma365VoipWebhookResult = { response: hostResponse(g, result.response) };
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
    parseWebhook: async (request: unknown): Promise<Elma365VoipWebhookResult> => {
      const normal = normaliseRequest(request);
      const g = readGlobals();
      return toHost(g, (await run({ op: 'parseWebhook', request: normal.request }, normal.body, g)) as CoreWebhook);
    },
    /** Loads the core now (cold start) and returns its version; `mark(phase)` is called after each loading phase (for the benchmark). */
    warmUp: (mark?: (phase: string) => void): string => (instance(mark).core as Elma365VoipCore).version(),
    /** The settings field table, as the core defines it. */
    settingsSchema: (): unknown => JSON.parse((instance().core as Elma365VoipCore).settingsSchema()),
  };
})(Promise, JSON, Object, String, Date, Error, Array);

/** What VoipParseWebhookRequest returns: the call event, the call record, the answer to the PBX. */
interface Elma365VoipWebhookResult {
  event?: { event: unknown; direction: unknown; disposition: unknown; srcPhone: string; dstPhone: string; callId: string };
  callRecord?: { call: unknown; callId: string; direction: unknown; disposition: unknown; srcPhone: string; dstPhone: string; duration: number };
  response?: unknown;
}
/** The host object the core awaits (src/wasm.rs): text in, a promise of text out. */
interface Elma365VoipCoreHost {
  fetch(request: string): Promise<string>;
  read(keys: string): Promise<string>;
  write(writes: string): Promise<string>;
  now(): number;
  sleep(ms: number): Promise<string>;
  crm(request: string): Promise<string>;
  nonce(): number;
  panic(message: string): void;
}
/** One instance of the core (the wasm-bindgen exports). */
interface Elma365VoipCore {
  call(settings: string, op: string, body: string | undefined, host: Elma365VoipCoreHost): Promise<string>;
  settingsSchema(): string;
  version(): string;
}

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
  return (await __elma365voip.parseWebhook(request)) as unknown as VoipWebhookParseResult;
}

/** A direct URL the user's browser can play for a call record's `call` data. */
async function VoipGetCallLink(callData: any): Promise<string> {
  return (await __elma365voip.run({ op: 'getCallLink', callData: callData === undefined ? null : callData })) as string;
}

/** Called on «Сохранить» and first publish: keeps the webhook URL in storage. */
async function VoipOnWebhookUpdated(webhookUrl: string): Promise<void> {
  await __elma365voip.run({ op: 'onWebhookUpdated', url: String(webhookUrl || '') });
}
