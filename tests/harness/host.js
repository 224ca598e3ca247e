'use strict';
// A stand-in for the ELMA365 server host (see ../shared/spec/elma365.md, "What a host harness for
// tests must provide"). It transpiles pkg/elma365-voip.module.ts, evaluates it in a bare node:vm
// context that holds only the ECMAScript built-ins, WebAssembly and ELMA365's globals, and hands
// back the six contract functions. It also runs an "ELMA365 webhook endpoint": an HTTP server that
// turns each request into a FetchRequest, calls VoipParseWebhookRequest and answers with its
// response, the way ELMA365 does for a module's webhook URL.
//
// Runs unchanged on Node 14.16 (with node-fetch v2 as the host's fetch polyfill) and on Node 20
// (with the native fetch).
const fs = require('fs');
const http = require('http');
const path = require('path');
const vm = require('vm');

const root = path.resolve(__dirname, '..', '..');
/**
 * Which build the harness loads: ELMA365_VOIP_BUILD=nowasm runs everything against the build for servers
 * that block WebAssembly (pkg/elma365-voip.nowasm.module.ts), in contexts where wasm and string code
 * generation are disabled; the default is the WebAssembly build.
 */
const BUILD = process.env.ELMA365_VOIP_BUILD === 'nowasm' ? 'nowasm' : 'wasm';
const MODULE_TS = path.join(root, 'pkg', BUILD === 'nowasm' ? 'elma365-voip.nowasm.module.ts' : 'elma365-voip.module.ts');
const NO_CODE_GENERATION = { codeGeneration: { strings: false, wasm: false } };
const HARNESS_DIR = path.join(root, 'target', 'harness');
// The benchmark's yardstick, a naive hand-written module (../shared/bench/README.md): read in place, never copied.
const REFERENCE_TS = path.join(root, '..', 'shared', 'bench', 'reference-module.ts');

/** The TypeScript targets a host may transpile the script at (the host matrix runs each). */
const TS_TARGETS = ['ESNext', 'ES2019', 'ES2017'];

/** Where the transpiled copy of a `.ts` script is kept: target/harness/<name>.js (<name>.<target>.js for another target). */
function transpiledPath(file, target = 'ESNext') {
  return path.join(HARNESS_DIR, `${path.basename(file, '.ts')}${target === 'ESNext' ? '' : `.${target.toLowerCase()}`}.js`);
}

/**
 * A module script (default: the product's) as JS. TypeScript is applied in the current process when
 * it loads (it does on Node 20); otherwise the copy written by `node tests/harness/host.js --transpile`
 * is used. The target is ESNext so that nothing is down-levelled: syntax Node 14 lacks would fail here.
 */
function moduleSource(file = MODULE_TS, target = 'ESNext') {
  const out = transpiledPath(file, target);
  const tsMtime = fs.statSync(file).mtimeMs;
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= tsMtime) return fs.readFileSync(out, 'utf8');
  let ts;
  try {
    ts = require('typescript');
  } catch (e) {
    throw new Error(`cannot transpile ${path.basename(file)} here (${e.message}); run "node tests/harness/host.js --transpile" on a current Node first`);
  }
  const js = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { target: ts.ScriptTarget[target], module: ts.ModuleKind.None, removeComments: false },
    reportDiagnostics: false,
  }).outputText;
  fs.mkdirSync(HARNESS_DIR, { recursive: true });
  fs.writeFileSync(out, js);
  return js;
}

/** The host's fetch: native where the runtime has it, else node-fetch v2 (ELMA365 uses a polyfill). */
function hostFetch() {
  if (typeof globalThis.fetch === 'function') return globalThis.fetch.bind(globalThis);
  return require('node-fetch');
}

/** ELMA365's HttpResponse builder: `new HttpResponse().status(200).content('x')` or `.json(obj)`. */
class HttpResponse {
  constructor() {
    this._status = 200;
    this._headers = {};
    this._body = '';
  }
  status(code) { this._status = code; return this; }
  header(name, value) { this._headers[name] = value; return this; }
  content(text) { this._body = String(text); return this; }
  json(value) { this._headers['Content-Type'] = 'application/json'; this._body = JSON.stringify(value); return this; }
}

/** The host's enums, by the presumed names (see spec). `partial: true` leaves some members out. */
function makeEnums(partial) {
  const VoipWebhookEvent = { NotifyStart: 'notify_start', NotifyAnswer: 'notify_answer', NotifyEnd: 'notify_end', NotifyOutStart: 'notify_out_start', NotifyOutEnd: 'notify_out_end', NotifyInternal: 'notify_internal' };
  const VoipCallDisposition = { Answered: 'answered', Busy: 'busy', NoAnswer: 'no_answer', Cancel: 'cancel', Failed: 'failed', Unknown: 'unknown' };
  const VoipCallDirection = { In: 'in', Out: 'out', Internal: 'internal' };
  if (partial) {
    delete VoipWebhookEvent.NotifyInternal;
    delete VoipCallDisposition.Busy;
    delete VoipCallDisposition.NoAnswer;
  }
  return { VoipWebhookEvent, VoipCallDisposition, VoipCallDirection };
}

/** `Namespace.storage`: async getItem/setItem over a Map the test can inspect. */
function makeStorage() {
  const map = new Map();
  return {
    map,
    async getItem(key) { return map.has(key) ? map.get(key) : undefined; },
    async setItem(key, value) { map.set(key, String(value)); },
  };
}

/**
 * Loads the module like ELMA365 does. Options:
 *   settings    Namespace.params.data
 *   fields      Namespace.params.fields: the module's App settings fields, e.g. tests/emulators/elma365.js's
 *               crm.fields ({ crmContacts: { app }, crmCompanies: { app } }); left out entirely when not given
 *   storage     a storage object (default: a fresh in-memory one)
 *   fetch       the fetch to expose (default: hostFetch())
 *   enums       'full' | 'partial' | 'none'
 *   httpResponse false to leave HttpResponse out
 *   globals     extra globals to put into the context (e.g. a host TextEncoder)
 *   mark        called with each loading phase's name as it ends (the benchmark's phase timings)
 *   beforeEvaluate  called with the vm context before the script is evaluated (the load bench wraps the
 *               context's WebAssembly.Instance there, to read the core's memory size)
 *   source      the module script to load (default: pkg/elma365-voip.module.ts; the bench also loads REFERENCE_TS)
 *   js          JavaScript text to evaluate as it is, instead of a transpiled `source` (e.g. the runtime script
 *               taken out of an .e365 package); `filename` names it in stack traces
 *   contextOptions  vm.createContext's options, e.g. { codeGeneration: { wasm: false } } (a sandbox that blocks WebAssembly)
 *   tsTarget    the TypeScript target the script is transpiled at (default ESNext; see TS_TARGETS)
 *   warmUp      false to skip `__elma365voip.warmUp()` (the core then loads on the first contract call;
 *               instantiateMs is 0). It is skipped too for a script without `__elma365voip` (the reference).
 * Returns { fns, storage, settings, context, evaluateMs, instantiateMs }.
 */
function loadModule(opts = {}) {
  const settings = Object.assign({}, opts.settings || {});
  const storage = opts.storage || makeStorage();
  const globals = {
    Namespace: { params: { data: settings }, storage },
    fetch: opts.fetch || hostFetch(),
    btoa: (s) => Buffer.from(String(s), 'binary').toString('base64'),
    console,
    // Node's timers: the ELMA365 runtime is Node, where they are globals; the shim uses them
    // for request timeouts and degrades to the fetch polyfill's own timeout without them.
    setTimeout,
    clearTimeout,
  };
  if (opts.fields !== undefined) globals.Namespace.params.fields = opts.fields;
  if (opts.httpResponse !== false) globals.HttpResponse = HttpResponse;
  if (opts.enums !== 'none') Object.assign(globals, makeEnums(opts.enums === 'partial'));
  Object.assign(globals, opts.globals || {});
  const context = vm.createContext(globals, opts.contextOptions || (BUILD === 'nowasm' ? NO_CODE_GENERATION : undefined));
  if (opts.beforeEvaluate) opts.beforeEvaluate(context);
  const file = opts.source || MODULE_TS;
  const source = typeof opts.js === 'string' ? opts.js : moduleSource(file, opts.tsTarget);
  const t0 = process.hrtime.bigint();
  vm.runInContext(source, context, { filename: typeof opts.js === 'string' ? (opts.filename || 'module.js') : path.basename(transpiledPath(file)) });
  const t1 = process.hrtime.bigint();
  const internals = vm.runInContext('typeof __elma365voip === "undefined" ? undefined : __elma365voip', context);
  if (internals && opts.warmUp !== false) internals.warmUp(opts.mark);
  const t2 = process.hrtime.bigint();
  const names = ['VoipTestConnection', 'VoipGetMembers', 'VoipGenerateCall', 'VoipParseWebhookRequest', 'VoipGetCallLink', 'VoipOnWebhookUpdated'];
  const fns = {};
  for (const n of names) fns[n] = vm.runInContext(n, context);
  return {
    fns,
    storage,
    settings,
    context,
    internals,
    evaluateMs: Number(t1 - t0) / 1e6,
    instantiateMs: Number(t2 - t1) / 1e6,
  };
}

/** A FetchRequest as ELMA365 builds it from an incoming HTTP request. */
function toFetchRequest(req, rawBody) {
  const url = new URL(req.url, 'http://localhost');
  const query = {};
  url.searchParams.forEach((v, k) => {
    if (query[k] === undefined) query[k] = v;
    else query[k] = [].concat(query[k], v);
  });
  const headers = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
  return { method: req.method, headers, body: rawBody, query };
}

/** Serialises whatever VoipParseWebhookRequest put in `response` (HttpResponse or plain object). */
function fromHostResponse(r) {
  if (!r) return { status: 200, headers: {}, body: '' };
  // The harness's HttpResponse, or a host variant's (tests/contract/host-matrix.test.js) that keeps the same fields.
  if (r instanceof HttpResponse || typeof r._status === 'number') return { status: r._status, headers: r._headers || {}, body: r._body === undefined ? '' : r._body };
  return { status: r.status || 200, headers: r.headers || {}, body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body || '') };
}

/**
 * The request handler of ELMA365's webhook endpoint for a loaded module: each request becomes a
 * FetchRequest for VoipParseWebhookRequest, and its response goes back to the caller. Each request
 * is kept as an entry {request, result, error, response: {status, headers, body}, ms}: pushed to
 * `opts.received` when it arrives, handed to `opts.onWebhook(entry)` once answered.
 */
function webhookHandler(mod, opts = {}) {
  return (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const t0 = Date.now();
      const raw = Buffer.concat(chunks);
      // `opts.shape(request, raw)` may hand the request on in another shape a host could use (the host matrix).
      const request = opts.shape ? opts.shape(toFetchRequest(req, raw.toString('utf8')), raw) : toFetchRequest(req, raw.toString('utf8'));
      const entry = { request, result: null, error: null, response: null, ms: 0 };
      if (opts.received) opts.received.push(entry);
      try {
        entry.result = await mod.fns.VoipParseWebhookRequest(request);
        entry.response = fromHostResponse(entry.result.response);
      } catch (e) {
        entry.error = e;
        entry.response = { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `module error: ${e.message}` };
      }
      entry.ms = Date.now() - t0;
      res.writeHead(entry.response.status, entry.response.headers);
      res.end(entry.response.body);
      if (opts.onWebhook) opts.onWebhook(entry);
    });
  };
}

/**
 * ELMA365's webhook endpoint for a loaded module, on its own loopback port: every request is passed
 * to VoipParseWebhookRequest; results are kept in `received` ({request, result, error}). `opts.shape`
 * turns each FetchRequest into another shape first (see webhookHandler).
 */
async function startWebhookHost(mod, opts = {}) {
  const received = [];
  const server = http.createServer(webhookHandler(mod, { received, onWebhook: opts.onWebhook, shape: opts.shape }));
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/api/extensions/voip/webhook`;
  return {
    url,
    received,
    events: () => received.filter((r) => r.result && r.result.event).map((r) => r.result.event),
    records: () => received.filter((r) => r.result && r.result.callRecord).map((r) => r.result.callRecord),
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** The test build of the module script (`node scripts/build.js --panic-test`): an input panics on purpose. */
const PANIC_TEST_TS = path.join(root, 'target', 'panic-test', BUILD === 'nowasm' ? 'elma365-voip.panic-test.nowasm.module.ts' : 'elma365-voip.panic-test.module.ts');

module.exports = { BUILD, TS_TARGETS, loadModule, makeStorage, makeEnums, HttpResponse, startWebhookHost, webhookHandler, toFetchRequest, fromHostResponse, moduleSource, MODULE_TS, REFERENCE_TS, PANIC_TEST_TS };

// `--transpile`: writes the JS copies that Node 14.16 (no TypeScript compiler) loads: the module
// script, the panic-test build and the benchmark's reference module, when they exist.
if (require.main === module && process.argv.includes('--transpile')) {
  for (const file of [MODULE_TS, PANIC_TEST_TS, REFERENCE_TS].filter((f) => f === MODULE_TS || fs.existsSync(f))) {
    for (const target of file === MODULE_TS ? TS_TARGETS : ['ESNext']) {
      moduleSource(file, target);
      process.stdout.write(`${transpiledPath(file, target)}\n`);
    }
  }
}
