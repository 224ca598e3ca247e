'use strict';
// The host matrix: the module under every host shape ELMA365's documentation allows (ARCHITECTURE.md,
// «The host contract»; ../shared/spec/elma365.md, «The host as the module must assume it»). One table of
// variants, one scenario: each variant runs, for each provider, against the emulators over real HTTP:
// «Проверить соединение», the members, a click-to-call, and a webhook call that ends in a call record
// whose recording link plays. Runs on Node 20 and Node 14.16.
//
// To add a shape: add a row to VARIANTS. A row changes the host through
//   fetch(realFetch)      the fetch the module gets;
//   storage()             Namespace.storage;
//   globals(vm)           globals put into (or, as undefined, taken out of) the script's context;
//   shape(request, raw)   the FetchRequest handed to VoipParseWebhookRequest;
//   tsTarget              the TypeScript target the script is transpiled at;
//   oktell / rostelecom   per-provider options: {skip, transport, expect...};
// and says what differs in the outcome through `expect` fields (see scenario()).
const vm = require('vm');
const h = require('./helpers');
const { assert } = h;
const { HttpResponse } = require('../harness/host');

const NODE14 = !globalThis.fetch;

// ---- host shapes ----

/** A response object with only the members `keep` lists, over the real response `r`. */
function responseWith(r, keep, headers) {
  const out = {};
  if (keep.includes('ok')) out.ok = r.ok;
  if (keep.includes('status')) out.status = r.status;
  if (keep.includes('text')) out.text = () => r.text();
  if (keep.includes('arrayBuffer')) out.arrayBuffer = () => r.arrayBuffer();
  if (keep.includes('json')) out.json = () => r.json();
  if (headers !== undefined) out.headers = headers;
  return out;
}
const ALL = ['ok', 'status', 'text', 'arrayBuffer', 'json'];
const plainHeaders = (r) => { const o = {}; r.headers.forEach((v, k) => { o[k] = v; }); return o; };
const mapHeaders = (r) => { const m = new Map(); r.headers.forEach((v, k) => m.set(k, v)); return m; };

/** A fetch whose responses are reshaped by `make(realResponse)`. */
const reshaped = (make) => (real) => async (url, init) => make(await real(url, init));
/** A fetch that rejects with `shape(error)` whenever the real one rejects. */
const rejecting = (shape) => (real) => (url, init) => real(url, init).catch((e) => Promise.reject(shape(e)));

/** Storage over a Map with the given behaviour. */
function storageOf(opts = {}) {
  const map = new Map();
  const missing = 'missing' in opts ? opts.missing : undefined;
  const get = (k) => {
    if (!map.has(k)) return missing;
    const v = map.get(k);
    if (!opts.parsesJson) return v;
    try { return JSON.parse(v); } catch (e) { return v; }
  };
  const s = {
    map,
    getItem: opts.sync ? (k) => get(k) : async (k) => get(k),
    setItem: opts.sync
      ? (k, v) => { map.set(k, String(v)); }
      : async (k, v) => {
        if (opts.refusesEmpty && v === '') throw new Error('storage: an empty value is not allowed');
        map.set(k, String(v));
      },
  };
  if (!opts.noRemove) s.removeItem = opts.sync ? (k) => { map.delete(k); } : async (k) => { map.delete(k); };
  return s;
}

/** An HttpResponse whose constructor needs the status code (`new HttpResponse(HttpStatusCode.OK)`). */
class HttpResponseNeedsCode extends HttpResponse {
  constructor(code) {
    if (typeof code !== 'number') throw new TypeError('HttpResponse: a status code is required');
    super();
    this._status = code;
  }
}
/** An HttpResponse with only status(), content() and json(). */
class HttpResponseBare {
  constructor() { this._status = 200; this._body = ''; this._headers = {}; }
  status(code) { this._status = code; return this; }
  content(text) { this._body = String(text); return this; }
  json(value) { this._body = JSON.stringify(value); this._headers['Content-Type'] = 'application/json'; return this; }
}
/** An HttpResponse whose methods do not return the builder. */
class HttpResponseUnchained extends HttpResponseBare {
  status(code) { super.status(code); }
  content(text) { super.content(text); }
  json(value) { super.json(value); }
}

/** The harness's enums as a TS numeric enum would compile them: numbers, with reverse-mapping keys. */
function numericEnums() {
  const out = {};
  for (const [name, e] of Object.entries(require('../harness/host').makeEnums(false))) {
    const num = {};
    Object.keys(e).forEach((k, i) => { num[k] = i; num[i] = k; });
    out[name] = num;
  }
  return out;
}
function frozenEnums() {
  const out = {};
  for (const [name, e] of Object.entries(require('../harness/host').makeEnums(false))) out[name] = Object.freeze(Object.assign({}, e));
  return out;
}

/** A Headers-like object with forEach and get (node-fetch's on Node 14, the WHATWG one on Node 20). */
function headersLike(record) {
  const Headers = globalThis.Headers || require('node-fetch').Headers;
  const out = new Headers();
  for (const [k, v] of Object.entries(record)) out.append(k, Array.isArray(v) ? v.join(', ') : v);
  return out;
}
const lowerKeys = (record, upper) => {
  const o = {};
  for (const [k, v] of Object.entries(record)) o[upper ? k.toUpperCase() : k.toLowerCase()] = v;
  return o;
};

/** A self-timing AbortSignal for Node 14 (which has none), shaped so that node-fetch v2 accepts it. */
class AbortSignal {
  constructor() { this.aborted = false; this.onabort = null; this.listeners = []; }
  addEventListener(type, fn) { if (type === 'abort') this.listeners.push(fn); }
  removeEventListener(type, fn) { this.listeners = this.listeners.filter((f) => f !== fn); }
  static timeout(ms) {
    const s = new AbortSignal();
    setTimeout(() => {
      s.aborted = true;
      for (const f of s.listeners) f({ type: 'abort' });
      if (s.onabort) s.onabort({ type: 'abort' });
    }, ms).unref();
    return s;
  }
}
const selfTimingSignal = () => (NODE14 ? AbortSignal : globalThis.AbortSignal);
/** The fetch without its `timeout` option: only the signal can bound it. */
const withoutTimeoutOption = (real) => (url, init) => { const i = Object.assign({}, init); delete i.timeout; return real(url, i); };

const NO_TIMERS = { setTimeout: undefined, clearTimeout: undefined };

/**
 * The table. `dimension` groups the rows in the report; each row needs at least `name`.
 * `expect.test`: 'ok' (default) | 'unbounded' (the check fails and says the host cannot bound requests).
 * `expect.enums`: the enums the module sees, to compare the record with.
 * `rostelecom.expect.refused`: the webhook is refused with this text, and no record comes.
 */
const VARIANTS = [
  { dimension: 'baseline', name: 'the harness as it is (native fetch on Node 20, node-fetch v2 on Node 14; TS target ESNext)' },

  { dimension: 'TypeScript target', name: 'the script transpiled at ES2019', tsTarget: 'ES2019' },
  { dimension: 'TypeScript target', name: 'the script transpiled at ES2017', tsTarget: 'ES2017' },

  { dimension: 'fetch', name: 'response headers with only get()', fetch: reshaped((r) => responseWith(r, ALL, { get: (n) => r.headers.get(n) })) },
  { dimension: 'fetch', name: 'response headers as a plain object', fetch: reshaped((r) => responseWith(r, ALL, plainHeaders(r))) },
  { dimension: 'fetch', name: 'response headers as a Map', fetch: reshaped((r) => responseWith(r, ALL, mapHeaders(r))) },
  { dimension: 'fetch', name: 'no response headers at all', fetch: reshaped((r) => responseWith(r, ALL)) },
  { dimension: 'fetch', name: 'no status, only ok', fetch: reshaped((r) => responseWith(r, ['ok', 'text', 'arrayBuffer', 'json'], r.headers)) },
  { dimension: 'fetch', name: 'no text(), only arrayBuffer()', fetch: reshaped((r) => responseWith(r, ['ok', 'status', 'arrayBuffer'], r.headers)) },
  { dimension: 'fetch', name: 'only the documented members (ok, status, json, text, arrayBuffer): no headers', fetch: reshaped((r) => responseWith(r, ALL)) },

  { dimension: 'fetch rejection', name: 'rejects with a plain object {code, message}', fetch: rejecting((e) => ({ code: (e.cause && e.cause.code) || e.code || 'ECONNREFUSED', message: 'connect refused' })), expect: { reason: /connect refused/ } },
  { dimension: 'fetch rejection', name: 'rejects with an empty object', fetch: rejecting(() => ({})), expect: { reason: /object that says nothing/ } },
  { dimension: 'fetch rejection', name: 'rejects with null', fetch: rejecting(() => null), expect: { reason: /rejected with null/ } },
  { dimension: 'fetch rejection', name: 'rejects with undefined', fetch: rejecting(() => undefined), expect: { reason: /rejected with undefined/ } },
  { dimension: 'fetch rejection', name: 'rejects with a string', fetch: rejecting(() => 'socket hang up'), expect: { reason: /socket hang up/ } },
  { dimension: 'fetch rejection', name: 'rejects with a number', fetch: rejecting(() => 111), expect: { reason: /111/ } },
  { dimension: 'fetch rejection', name: 'rejects with an Error whose cause has the code', fetch: rejecting((e) => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } })), expect: { reason: /ECONNREFUSED/ } },

  { dimension: 'timers', name: 'no setTimeout: the check says requests cannot be bounded', globals: () => NO_TIMERS, expect: { test: 'unbounded' } },
  { dimension: 'timers', name: 'no setTimeout, but AbortSignal.timeout bounds requests', globals: () => Object.assign({ AbortSignal: selfTimingSignal() }, NO_TIMERS), fetch: withoutTimeoutOption, expect: { hungTimesOut: true } },
  { dimension: 'timers', name: 'setTimeout and AbortController', globals: () => ({ AbortController: NODE14 ? undefined : globalThis.AbortController }), expect: { hungTimesOut: true } },

  { dimension: 'storage', name: 'sync getItem/setItem, a missing key reads as undefined', storage: () => storageOf({ sync: true }) },
  { dimension: 'storage', name: 'async, a missing key reads as null', storage: () => storageOf({ missing: null }) },
  { dimension: 'storage', name: "async, a missing key reads as ''", storage: () => storageOf({ missing: '' }) },
  { dimension: 'storage', name: "no removeItem, and setItem('') is refused", storage: () => storageOf({ noRemove: true, refusesEmpty: true }), expect: { noEmptyWrites: true } },
  { dimension: 'storage', name: 'a storage that hands back parsed JSON', storage: () => storageOf({ parsesJson: true }) },

  { dimension: 'HttpResponse', name: 'the constructor needs the status code', globals: () => ({ HttpResponse: HttpResponseNeedsCode }) },
  { dimension: 'HttpResponse', name: 'only status(), content() and json()', globals: () => ({ HttpResponse: HttpResponseBare }) },
  { dimension: 'HttpResponse', name: 'methods that do not return the builder', globals: () => ({ HttpResponse: HttpResponseUnchained }) },
  { dimension: 'HttpResponse', name: 'no HttpResponse: a plain object', globals: () => ({ HttpResponse: undefined }) },

  { dimension: 'enums', name: 'numeric values with reverse-mapping keys', globals: () => numericEnums(), expect: { enums: numericEnums() } },
  { dimension: 'enums', name: 'frozen', globals: () => frozenEnums() },
  { dimension: 'enums', name: 'members missing (no NotifyInternal, Busy, NoAnswer)', enums: 'partial' },

  { dimension: 'webhook request', name: 'headers as a Map', shape: (r) => Object.assign(r, { headers: new Map(Object.entries(r.headers)) }) },
  { dimension: 'webhook request', name: 'headers as a Headers object', shape: (r) => Object.assign(r, { headers: headersLike(r.headers) }) },
  { dimension: 'webhook request', name: 'headers with only get()', shape: (r) => { const hs = lowerKeys(r.headers); return Object.assign(r, { headers: { get: (n) => hs[n.toLowerCase()] } }); } },
  { dimension: 'webhook request', name: 'header names in upper case', shape: (r) => Object.assign(r, { headers: lowerKeys(r.headers, true) }) },
  { dimension: 'webhook request', name: 'the method in lower case', shape: (r) => Object.assign(r, { method: String(r.method).toLowerCase() }) },
  { dimension: 'webhook request', name: 'the body as a Buffer from another realm', shape: (r, raw) => Object.assign(r, { body: raw }) },
  { dimension: 'webhook request', name: 'the body as a Uint8Array from another vm context', shape: (r, raw) => Object.assign(r, { body: vm.runInNewContext('(b) => Uint8Array.from(b)')(Array.from(raw)) }) },
  { dimension: 'webhook request', name: 'the body as an ArrayBuffer', shape: (r, raw) => Object.assign(r, { body: raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length) }) },
  {
    dimension: 'webhook request',
    name: 'the body already parsed into an object',
    shape: (r) => Object.assign(r, { body: r.body ? parseBody(r) : r.body }),
    rostelecom: { expect: { refused: /arrived as an already parsed object/ } },
  },
  { dimension: 'webhook request', name: 'no body: the fields in the query', shape: (r) => r, oktell: { transport: 'query' }, rostelecom: { skip: 'a Rostelecom event always has a signed body' } },
  {
    dimension: 'webhook request',
    name: 'every query value as an array',
    shape: (r) => { const q = {}; for (const [k, v] of Object.entries(r.query || {})) q[k] = [].concat(v); return Object.assign(r, { query: q }); },
    oktell: { transport: 'query' },
    rostelecom: { skip: 'Rostelecom sends no query' },
  },
];

/** A body as a host that parses it would hand it on: JSON as its value, a form as its fields. */
function parseBody(r) {
  try {
    return JSON.parse(r.body);
  } catch (e) {
    return Object.fromEntries(new URLSearchParams(r.body));
  }
}

// ---- the scenario ----

async function hostFor(c, variant, settings) {
  const storage = variant.storage ? variant.storage() : storageOf();
  const realFetch = NODE14 ? require('node-fetch') : globalThis.fetch.bind(globalThis);
  const fetch = variant.fetch ? variant.fetch(realFetch) : realFetch;
  const empties = [];
  if (variant.expect && variant.expect.noEmptyWrites) {
    const set = storage.setItem;
    storage.setItem = (k, v) => { if (v === '') empties.push(k); return set(k, v); };
  }
  // HOST_MATRIX_MODULE: another module script to run the matrix against (e.g. an older build, to see what it fails).
  const mod = h.loadModule({ settings, storage, fetch, enums: variant.enums, globals: variant.globals ? variant.globals(vm) : {}, tsTarget: variant.tsTarget, source: process.env.HOST_MATRIX_MODULE || undefined });
  const hook = c.add(await h.startWebhookHost(mod, { shape: variant.shape }));
  return { mod, hook, storage, empties };
}

const expected = (variant) => Object.assign({ test: 'ok' }, variant.expect || {});
const enumsOf = (variant) => expected(variant).enums || require('../harness/host').makeEnums(variant.enums === 'partial');

function assertTest(variant, result, label) {
  h.assertNoSecret(result);
  if (expected(variant).test === 'unbounded') {
    assert.strictEqual(result.success, false, JSON.stringify(result));
    assert.match(result.failReason, h.say({ en: /cannot be bounded in time/, ru: /нельзя ограничить по времени/ }));
    assert.match(result.failReason, /requestTimeoutSec/);
    assert.match(result.failReason, new RegExp(`${h.say({ en: 'What was reached', ru: 'Что удалось проверить' })}: .*${label}`));
  } else {
    assert.strictEqual(result.success, true, JSON.stringify(result));
  }
}

/** A fetch failure as the admin reads it: readable, and never «[object Object]». */
async function assertUnreachable(variant, fns, setting) {
  const r = await fns.VoipTestConnection();
  assert.strictEqual(r.success, false);
  assert.match(r.failReason, h.say({ en: /^Cannot reach/, ru: /^Нет связи/ }), r.failReason);
  assert.ok(r.failReason.includes(setting), r.failReason);
  assert.ok(!/\[object Object\]|: null\b|: undefined\b/.test(r.failReason), r.failReason);
  if (expected(variant).reason) assert.match(r.failReason, expected(variant).reason);
}

async function rostelecomScenario(c, variant) {
  const opts = variant.rostelecom || {};
  const pbx = c.add(await h.startRostelecom({ autoPlayCallback: false }));
  const { mod, hook, storage, empties } = await hostFor(c, variant, h.rtSettings(pbx, { requestTimeoutSec: 2 }));
  pbx.webhookUrl = hook.url;
  const { fns } = mod;
  assertTest(variant, await fns.VoipTestConnection(), h.say({ en: 'the signature was accepted', ru: 'Подпись принята' }));
  const members = await fns.VoipGetMembers();
  assert.ok(members.length >= 1 && members.every((m) => typeof m.id === 'string' && m.id !== ''), JSON.stringify(members));
  await fns.VoipGenerateCall('101', '+7 916 123-45-67');
  assert.strictEqual(pbx.requests.filter((q) => q.path === '/call_back').length, 1, 'one call_back');
  const played = await pbx.playCall('incoming-answered', { from: '89161234567', pin: '101' });
  const refused = (opts.expect || {}).refused;
  if (refused) {
    for (const d of played.deliveries) {
      assert.strictEqual(d.status, 400, d.responseBody);
      assert.match(d.responseBody, refused);
    }
    assert.strictEqual(hook.records().length, 0);
    return;
  }
  for (const d of played.deliveries) assert.strictEqual(d.status, 200, `${d.status} ${d.responseBody}`);
  for (const d of played.deliveries) assert.strictEqual(JSON.parse(d.responseBody).result, 0, d.responseBody);
  const records = hook.records().filter((r) => r.callId === played.sessionId);
  assert.strictEqual(records.length, 1, `records: ${JSON.stringify(hook.records())}`);
  const enums = enumsOf(variant);
  assert.strictEqual(records[0].direction, enums.VoipCallDirection.In);
  assert.strictEqual(records[0].disposition, enums.VoipCallDisposition.Answered);
  assert.deepStrictEqual([records[0].srcPhone, records[0].dstPhone, records[0].duration], ['+79161234567', '101', 14]);
  await assertPlays(await fns.VoipGetCallLink(records[0].call), 'audio/mpeg');
  await afterwards(variant, mod, storage, empties, 'rtApiUrl', pbx);
}

async function oktellScenario(c, variant) {
  const opts = variant.oktell || {};
  const okt = c.add(await h.startOktell({ auth: { mode: 'basic', login: 'elma365', password: h.SECRETS.oktellPassword }, autoPlay: false, disabledCommands: ['execsvcscriptplain'], playbackPath: '/play/' }));
  const settings = h.oktellSettings(okt, {
    oktellLogin: 'elma365', oktellPassword: h.SECRETS.oktellPassword, webhookSecret: h.SECRETS.webhookSecret,
    oktellMembersScript: 'ELMA365_Users', requestTimeoutSec: 2,
  });
  const { mod, hook, storage, empties } = await hostFor(c, variant, settings);
  okt.crm.url = hook.url;
  const { fns } = mod;
  assertTest(variant, await fns.VoipTestConnection(), 'Oktell');
  // execsvcscript answers UTF-16 XML: the raw-bytes path of the fetch adapter.
  const members = await fns.VoipGetMembers();
  assert.ok(members.some((m) => m.id === 'ivanov'), JSON.stringify(members));
  await fns.VoipGenerateCall('ivanov', '+7 916 123-45-67');
  assert.deepStrictEqual(okt.autocalls.map((a) => [a.user, a.number]), [['ivanov', '79161234567']]);
  const d = await okt.playScenarioWebhook('incoming-answered', { transport: opts.transport || 'form', token: h.SECRETS.webhookSecret, user: 'ivanov', talkSeconds: 37, recordAs: 'playback' });
  for (const x of d) assert.strictEqual(x.status, 200, `${x.status} ${x.responseBody}`);
  const records = hook.records();
  assert.strictEqual(records.length, 1, `records: ${JSON.stringify(records)}`);
  const enums = enumsOf(variant);
  assert.deepStrictEqual([records[0].direction, records[0].disposition, records[0].duration, records[0].callId],
    [enums.VoipCallDirection.In, enums.VoipCallDisposition.Answered, 37, d.callId]);
  await assertPlays(await fns.VoipGetCallLink(records[0].call));
  await afterwards(variant, mod, storage, empties, 'oktellUrl', okt);
}

/** The link plays: HTTP 200 with audio. */
async function assertPlays(link, type) {
  h.assertNoSecret(link);
  const r = await require('../emulators/common').httpRequest(link, { method: 'GET' });
  assert.strictEqual(r.status, 200, `${link} → ${r.status}`);
  if (type) assert.strictEqual(r.headers['content-type'], type);
}

/** What every variant checks at the end: failures read right, bounded hosts time out, storage stays clean. */
async function afterwards(variant, mod, storage, empties, setting, pbx) {
  if (variant.dimension === 'fetch rejection') {
    const settings = mod.settings;
    const saved = Object.assign({}, settings);
    const url = `http://127.0.0.1:${await h.closedPort()}`;
    if (setting === 'rtApiUrl') settings.rtApiUrl = url; else settings.oktellUrl = url;
    await assertUnreachable(variant, mod.fns, setting);
    Object.assign(settings, saved);
  }
  if (expected(variant).hungTimesOut) {
    pbx.mode = 'hang';
    const r = await mod.fns.VoipTestConnection();
    pbx.mode = 'normal';
    assert.strictEqual(r.success, false);
    assert.match(r.failReason, h.say({ en: /^No answer from .* within 2 s/, ru: /^Нет ответа за 2 с: .+/ }), r.failReason);
  }
  assert.deepStrictEqual(empties, [], "setItem('') was called");
  for (const [k, v] of storage.map) {
    assert.ok(typeof v === 'string' && v.length <= 2000, `${k}: ${String(v).length} characters`);
    h.assertNoSecret(v);
  }
}

describe(`the host matrix (${VARIANTS.length} variants × 2 providers, Node ${process.versions.node})`, function () {
  this.timeout(30000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  for (const variant of VARIANTS) {
    for (const provider of ['rostelecom', 'oktell']) {
      const skip = (variant[provider] || {}).skip;
      const title = `${variant.dimension}: ${variant.name} [${provider}]`;
      if (skip) {
        it.skip(`${title}: ${skip}`);
        continue;
      }
      it(title, () => (provider === 'rostelecom' ? rostelecomScenario(c, variant) : oktellScenario(c, variant)));
    }
  }
});

module.exports = { VARIANTS };
