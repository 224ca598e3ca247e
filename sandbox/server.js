'use strict';
/**
 * `npm start`: a local ELMA365 look-alike for the module. It loads the very module script that ships
 * (pkg/elma365-voip.module.ts) in the vm host the tests use (tests/harness/host.js), starts the two PBX
 * emulators (tests/emulators/), and serves a page (sandbox/public/) with the telephony settings form,
 * the buttons ELMA365 has, click-to-call, simulated incoming calls, ELMA365's CRM contacts (tests/emulators/
 * elma365.js, handed to the module as its App settings fields) with the caller lookup, and a live log of every webhook.
 *
 *   node sandbox/server.js [--port 3650] [--host 127.0.0.1] [--public-url https://x.example] [--settings file.json]
 *                          [--gap-ms 700]
 *   PORT, HOST, PUBLIC_URL, SANDBOX_SETTINGS and SANDBOX_GAP_MS work too.
 *
 * HTTP API (JSON; the page is its only client, the browser test drives the page):
 *   GET  /api/state                 schema, settings, webhook URL, emulators, module facts, webhook health
 *   GET  /api/webhook-health        what the module's storage holds about its webhook (see webhookHealth)
 *   POST /api/settings {settings}   «Сохранить»: apply, then VoipOnWebhookUpdated(webhookUrl)
 *   POST /api/fn/<Voip...> {settings, args}   run one contract function with the form's values
 *   POST /api/call-link {id}        VoipGetCallLink(the `call` of the record in log entry <id>)
 *   POST /api/simulate {settings, scenario, member, client}   the emulated PBX plays a call
 *   POST /api/emulator {oktellEvents}   how the emulated Oktell reports calls: 'crm' | 'scenario'
 *   GET  /api/crm                   ELMA365's CRM as the module sees it: {users, contacts} (also in /api/state)
 *   POST /api/crm/contacts {name, phone, responsible}   «Контакты»: add a client (responsible: a user id or '')
 *   POST /api/crm/contacts/delete {id}                   ... delete one (ELMA365 marks it deleted: __deletedAt)
 *   POST /api/crm/ring {settings, number}   who is calling: Rostelecom's signed get_number_info, or an Oktell
 *                                   scenario's lookup=<number>, sent to the module's webhook; answers what it said
 *   GET  /api/log                   Server-Sent Events: every log entry (backlog first)
 *   POST /api/log/clear
 *   *    /api/extensions/voip/webhook[/...]   the module's webhook (VoipParseWebhookRequest)
 *   GET  /download/script, /download/package   the loaded module script and its .e365 package, as files
 * Contract functions that throw answer {ok: false, error}; the page shows it. Secrets are masked in the log.
 */
const fs = require('fs');
const http = require('http');
const path = require('path');
const { loadModule, webhookHandler, makeEnums, MODULE_TS } = require('../tests/harness/host');
const { startOktell, DEFAULT_USERS: OKTELL_DEFAULT_USERS } = require('../tests/emulators/oktell');
const { startRostelecom, TEST_CLIENT_ID, TEST_SIGN_KEY } = require('../tests/emulators/rostelecom');
const { makeCrm } = require('../tests/emulators/elma365');
const { httpRequest } = require('../tests/emulators/common');

const PUBLIC = path.join(__dirname, 'public');
const STATIC = { '/': ['index.html', 'text/html'], '/app.js': ['app.js', 'text/javascript'], '/style.css': ['style.css', 'text/css'] };
const WEBHOOK_PATH = '/api/extensions/voip/webhook';
/** The module script the sandbox runs and its ELMA365 package (scripts/e365.js), offered for download. */
const DOWNLOADS = { '/download/script': MODULE_TS, '/download/package': MODULE_TS.replace(/\.module\.ts$/, '.e365') };
const FUNCTIONS = ['VoipTestConnection', 'VoipGetMembers', 'VoipGenerateCall'];
const LOG_LIMIT = 500;
/** The emulated Oktell's own Web-API account: what the default settings hold. */
const OKTELL_ACCOUNT = { login: 'elma365', password: 'sandbox-oktell-pass' };
/** How the emulated Oktell reports calls at first: 'crm' (native «Web-интеграция с CRM») or 'scenario'. */
const DEFAULT_OKTELL_EVENTS = 'crm';
const MASK = '••••••';
/**
 * The module's storage keys for its webhook (src/health.rs, src/engine.rs): the last accepted request
 * `<ms> <kind>`, the last refused one `<ms> <kind> <why> <status> <detail>`, and the URL ELMA365 gave it.
 */
const HOOK_OK_KEY = 'voip:hook:ok';
const HOOK_NO_KEY = 'voip:hook:no';
const HOOK_URL_KEY = 'voip:webhookUrl';
/** What the module writes for a removed value (js-glue/shim.ts): it reads back as absent. */
const TOMBSTONE = '(deleted)';
/**
 * The ELMA365 users of the sandbox's company: the responsible managers of its CRM clients. The emulated
 * Rostelecom PBX has the same people (PINs 101, 102, the same e-mails: the module maps a manager by e-mail), and
 * so has the emulated Oktell (OKTELL_USERS: logins with the same numbers, mapped by the work phone's extension).
 */
const ELMA_USERS = [
  { id: '5d1c9a0e-2f7b-4c31-9e4a-0b6f1d2c3a41', name: 'Петрова Анна', email: 'petrova@example.ru', workPhone: { tel: '+7 (499) 222-22-22', ext: '102' } },
  { id: '8a2e4b17-6c3d-4f58-a1b9-7e0c5d4f2b63', name: 'Иванов Иван', email: 'ivanov@example.ru', workPhone: { tel: '+7 (499) 222-22-22', ext: '101' } },
];
/** The CRM's contacts when the sandbox starts (responsible by e-mail). */
const SEED_CONTACTS = [{ name: 'ООО «Ромашка»', phones: ['+7 495 223-44-55'], responsible: 'ivanov@example.ru' }];
/** The emulated Oktell's directory: the emulator's users, numbered like the ELMA365 users' extensions. */
const OKTELL_USERS = [['ivanov', 'Иванов Иван', '101'], ['petrova', 'Петрова Анна', '102'], ['airato', 'Айрат Оразов', '103'], ['sidorov', 'Сидоров Пётр', '']]
  .map(([login, name, number]) => Object.assign({}, OKTELL_DEFAULT_USERS.find((u) => u.login === login), { login, name, number }));
/**
 * The module's caches of the caller lookup (src/crm.rs): answers per number `crm:n:<provider>:<n>`, managers' PBX
 * members per user `crm:u:<provider>:<n>`. The sandbox drops them on a CRM edit, so that a client just added is
 * found at once (ELMA365 itself does not: an unknown number is remembered for 3 minutes).
 */
const LOOKUP_CACHE = /^crm:[nu]:(rt|ok):\d+$/;

function parseArgs(argv, env) {
  const opt = {
    port: env.PORT !== undefined ? Number(env.PORT) : 3650,
    host: env.HOST || '127.0.0.1',
    publicUrl: env.PUBLIC_URL || '',
    settingsFile: env.SANDBOX_SETTINGS || '',
    gapMs: env.SANDBOX_GAP_MS !== undefined ? Number(env.SANDBOX_GAP_MS) : 700,
  };
  const names = { '--port': 'port', '--host': 'host', '--public-url': 'publicUrl', '--settings': 'settingsFile', '--gap-ms': 'gapMs' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const key = names[flag];
    if (!key) throw new Error(`unknown option ${argv[i]} (known: ${Object.keys(names).join(', ')})`);
    const value = inline !== undefined ? inline : argv[++i];
    opt[key] = key === 'port' || key === 'gapMs' ? Number(value) : value;
  }
  if (!Number.isInteger(opt.port) || opt.port < 0 || opt.port > 65535) throw new Error(`bad port ${opt.port}`);
  return opt;
}

// ---- masking: the log shows what arrived, minus every secret ----------------------------------------------------
const SECRET_KEY = /token|pass|secret|sign|key|auth/i;

function maskValues(text, secrets) {
  let s = String(text);
  for (const v of secrets) if (v && v.length >= 3) s = s.split(v).join(MASK);
  return s;
}
function maskPairs(obj) {
  const out = {};
  for (const k of Object.keys(obj || {})) out[k] = SECRET_KEY.test(k) ? MASK : obj[k];
  return out;
}
function maskHeaders(headers) {
  const out = {};
  for (const k of Object.keys(headers || {})) {
    const v = String(headers[k]);
    if (/^(proxy-)?authorization$/i.test(k)) out[k] = v.replace(/^(\S+\s+).*$/, `$1${MASK}`);
    else out[k] = SECRET_KEY.test(k) || /^cookie$/i.test(k) ? MASK : v;
  }
  return out;
}
function maskJson(value) {
  if (Array.isArray(value)) return value.map(maskJson);
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value)) out[k] = SECRET_KEY.test(k) && typeof value[k] !== 'object' ? MASK : maskJson(value[k]);
    return out;
  }
  return value;
}
/** A body for display: JSON pretty-printed, forms field by field (Oktell's base64 `data` decoded), masked. */
function describeBody(body) {
  if (typeof body !== 'string' || body === '') return { text: '' };
  try {
    return { text: JSON.stringify(maskJson(JSON.parse(body)), null, 2) };
  } catch (e) { /* not JSON */ }
  if (/^[\w.%-]+=[^\s]*(&[\w.%-]+=[^\s]*)*$/.test(body)) {
    const form = new URLSearchParams(body);
    const fields = {};
    form.forEach((v, k) => { fields[k] = SECRET_KEY.test(k) ? MASK : v; });
    const out = { text: new URLSearchParams(fields).toString().replace(/%E2%80%A2/g, '•') };
    if (typeof fields.data === 'string') {
      try {
        out.decoded = JSON.stringify(maskJson(JSON.parse(Buffer.from(fields.data.replace(/ /g, '+'), 'base64').toString('utf8'))), null, 2);
      } catch (e) { /* not Oktell's base64 JSON */ }
    }
    return out;
  }
  return { text: body.length > 4000 ? `${body.slice(0, 4000)}…` : body };
}

/**
 * One webhook trace of the module's storage, parsed: {at, kind} for an accepted request, plus {why, status,
 * detail} for a refused one (codes as src/health.rs writes them: kind call/info/crm/scn/req, why
 * sign/unsigned/client/nosecret/secret/bad). null when absent or unreadable.
 */
function parseTrace(line, refused) {
  if (typeof line !== 'string' || line === '' || line === TOMBSTONE) return null;
  const parts = line.split(' ');
  const at = Number(parts[0]);
  if (!Number.isFinite(at) || !parts[1]) return null;
  if (!refused) return { at, kind: parts[1] };
  return { at, kind: parts[1], why: parts[2] || 'bad', status: Number(parts[3]) || 400, detail: parts.slice(4).join(' ') };
}

// ---- the sandbox -------------------------------------------------------------------------------------------------
async function startSandbox(options = {}) {
  const opt = Object.assign(parseArgs([], {}), options);
  // Recordings play from a credential-free playback path, the way README's «Oktell: recordings» tells
  // admins to expose them (Oktell's own download commands need the Web-API account).
  const okt = await startOktell({ auth: Object.assign({ mode: 'basic' }, OKTELL_ACCOUNT), playbackPath: '/play/', users: OKTELL_USERS });
  const rt = await startRostelecom({});
  const schema = JSON.parse(require('../pkg/elma365_voip.js').settingsSchema());
  const enumNames = {};
  const enums = makeEnums(false);
  for (const e of Object.keys(enums)) enumNames[e] = Object.fromEntries(Object.entries(enums[e]).map(([k, v]) => [v, k]));

  const settings = {};
  for (const f of schema) settings[f.code] = f.default || '';
  Object.assign(settings, {
    provider: schema[0].choices[0],
    webhookSecret: 'sandbox-webhook-secret',
    oktellUrl: okt.url, oktellLogin: OKTELL_ACCOUNT.login, oktellPassword: OKTELL_ACCOUNT.password,
    oktellMembersScript: 'ELMA365_Users',
    rtApiUrl: rt.url, rtClientId: TEST_CLIENT_ID, rtSignKey: TEST_SIGN_KEY,
  });
  if (opt.settingsFile) Object.assign(settings, JSON.parse(fs.readFileSync(opt.settingsFile, 'utf8')));
  // ELMA365's CRM; its two apps reach the module as ELMA365 hands App settings fields over: Namespace.params.fields.
  const crm = makeCrm();
  for (const u of ELMA_USERS) crm.addUser(u);
  for (const c of SEED_CONTACTS) crm.addContact(Object.assign({}, c, { responsible: ELMA_USERS.find((u) => u.email === c.responsible).id }));
  const mod = loadModule({ settings, fields: crm.fields });
  const moduleFacts = { bytes: fs.statSync(MODULE_TS).size, evaluateMs: mod.evaluateMs, instantiateMs: mod.instantiateMs, version: mod.internals.warmUp() };
  const state = { saved: false, oktellEvents: DEFAULT_OKTELL_EVENTS };

  const codes = new Set(schema.map((f) => f.code));
  const secretCodes = schema.filter((f) => f.kind === 'secret').map((f) => f.code);
  const secrets = () => secretCodes.map((c) => String(mod.settings[c] || '').trim()).concat(OKTELL_ACCOUNT.password, TEST_SIGN_KEY);
  const mask = (value) => JSON.parse(maskValues(JSON.stringify(value), secrets()));

  /** Namespace.params.data takes the form's values (known codes only, as strings). */
  function apply(values) {
    if (!values || typeof values !== 'object') return;
    for (const c of codes) if (values[c] !== undefined) mod.settings[c] = values[c] === null ? '' : String(values[c]);
    syncEmulators();
  }

  // The log, and the live stream of it to every open page.
  const log = [];
  const raw = new Map(); // entry id -> the call record as the module returned it (unmasked), for VoipGetCallLink
  const clients = new Set();
  let nextId = 1;
  function emit(entry, record) {
    entry.id = nextId++;
    if (record) raw.set(entry.id, record);
    entry.time = new Date().toISOString();
    const shown = mask(entry);
    log.push(shown);
    if (log.length > LOG_LIMIT) raw.delete(log.shift().id);
    const line = `data: ${JSON.stringify(shown)}\n\n`;
    for (const res of clients) res.write(line);
    return shown;
  }
  const note = (text, level) => emit({ kind: 'note', level: level || 'info', text });

  /** GET /api/webhook-health: the module's webhook traces, read from its storage (masked, like the log). */
  function webhookHealth() {
    const get = (k) => {
      const v = mod.storage.map.get(k);
      return typeof v === 'string' && v !== '' && v !== TOMBSTONE ? v : null;
    };
    const raw = { ok: get(HOOK_OK_KEY), no: get(HOOK_NO_KEY) };
    return mask({ ok: true, now: Date.now(), accepted: parseTrace(raw.ok, false), refused: parseTrace(raw.no, true), webhookUrl: get(HOOK_URL_KEY), raw });
  }

  const named = (kind, v) => (enumNames[kind] && enumNames[kind][v]) || v;
  function hostResult(result) {
    if (!result) return null;
    const out = {};
    if (result.event) {
      const e = result.event;
      out.event = Object.assign({}, e, { event: named('VoipWebhookEvent', e.event), direction: named('VoipCallDirection', e.direction), disposition: named('VoipCallDisposition', e.disposition) });
    }
    if (result.callRecord) {
      const c = result.callRecord;
      out.callRecord = Object.assign({}, c, { direction: named('VoipCallDirection', c.direction), disposition: named('VoipCallDisposition', c.disposition) });
    }
    return out;
  }
  const onWebhook = (w) => {
    const q = new URLSearchParams(maskPairs(Object.fromEntries(Object.entries(w.request.query).map(([k, v]) => [k, [].concat(v).join(',')])))).toString().replace(/%E2%80%A2/g, '•');
    emit({
      kind: 'webhook',
      request: { method: w.request.method, query: q, headers: maskHeaders(w.request.headers), body: describeBody(w.request.body) },
      response: { status: w.response.status, body: describeBody(w.response.body).text },
      result: hostResult(w.result),
      error: w.error ? w.error.message : null,
      ms: w.ms,
    }, w.result && w.result.callRecord);
  };
  const webhook = webhookHandler(mod, { onWebhook });

  let server;
  const webhookUrl = () => {
    const base = opt.publicUrl ? opt.publicUrl.replace(/\/+$/, '') : `http://${opt.host === '0.0.0.0' ? '127.0.0.1' : opt.host}:${server.address().port}`;
    return base + WEBHOOK_PATH;
  };

  /** The emulated PBXs are set up the way their admins would: events go to our webhook, with our secret. */
  function syncEmulators() {
    if (!server) return;
    const secret = String(mod.settings.webhookSecret || '').trim();
    rt.webhookUrl = webhookUrl();
    okt.crm.url = webhookUrl();
    okt.crm.basic = secret ? { login: 'oktell', password: secret } : null;
    okt.autoPlay = state.oktellEvents === 'crm';
    okt.autoPlayOpts = { gapMs: opt.gapMs, talkMs: opt.gapMs * 3 };
  }
  const rtPlay = rt.playCall;
  rt.playCall = (scenario, o) => rtPlay(scenario, Object.assign({ gapMs: opt.gapMs }, o));

  /** Oktell in scenario mode: its scenario calls the webhook for each call VoipGenerateCall started. */
  function playOktellScenario(scenario, user, client) {
    const token = String(mod.settings.webhookSecret || '').trim();
    return okt.playScenarioWebhook(scenario, { url: webhookUrl(), user, client, token: token || undefined, gapMs: opt.gapMs, recordAs: 'playback' });
  }

  // ---- «Контакты»: ELMA365's CRM, and the PBX asking the module who is calling ------------------------------------
  const userView = (u) => ({ id: u.id, name: u.name, email: u.email || '', ext: (u.workPhone && u.workPhone.ext) || '' });
  function crmView() {
    const users = [...crm.users.values()].map(userView);
    const contacts = crm.records.contacts.filter((r) => !r.deletedAt).map((r) => ({
      id: r.id, name: r.name, phones: r.phones.map((p) => p.tel),
      responsible: r.responsible ? users.find((u) => u.id === r.responsible) || { id: r.responsible, name: r.responsible, ext: '' } : null,
    }));
    return { ok: true, users, contacts };
  }
  /**
   * The module answers a number it looked up from its cache for a while (10 min, 3 min for an unknown one); the
   * sandbox drops that cache on each CRM edit so that the next ring-in sees the edit. ELMA365 does not. Whether
   * anything was dropped.
   */
  function forgetLookups() {
    const keys = [...mod.storage.map.keys()].filter((k) => LOOKUP_CACHE.test(k));
    for (const k of keys) mod.storage.map.delete(k);
    return keys.length > 0;
  }
  function addContact(b) {
    const name = String(b.name || '').trim();
    const phone = String(b.phone || '').trim();
    const user = b.responsible ? crm.users.get(String(b.responsible)) : null;
    if (!name) return { ok: false, error: 'name' };
    if (!/\d/.test(phone)) return { ok: false, error: 'phone' };
    if (b.responsible && !user) return { ok: false, error: 'responsible' };
    const rec = crm.addContact({ name, phones: [phone], responsible: user ? user.id : null });
    forgetLookups();
    note(`ELMA365 CRM: contact «${name}» added (${phone}, responsible ${user ? user.name : 'nobody'}); the module's caller-lookup cache dropped`);
    return Object.assign(crmView(), { added: rec.id });
  }
  function deleteContact(b) {
    const rec = crm.records.contacts.find((r) => r.id === String(b.id) && !r.deletedAt);
    if (!rec) return { ok: false, error: 'gone' };
    rec.deletedAt = new Date();
    forgetLookups();
    note(`ELMA365 CRM: contact «${rec.name}» deleted; the module's caller-lookup cache dropped`);
    return crmView();
  }

  /** The PBX asks the module's webhook who is calling from `number`; the answer, as the page shows it. */
  async function ringIn(body) {
    const provider = String(mod.settings.provider || '').trim().toLowerCase();
    const number = String(body.number || '').trim();
    if (!/\d/.test(number)) return { ok: false, error: 'number' };
    const searches = crm.searches.length;
    const t0 = Date.now();
    const out = { ok: true, provider, number };
    if (provider === 'rostelecom') {
      out.number = number.replace(/\D/g, '');
      note(`Rostelecom emulator: get_number_info for a call from ${out.number}: who is calling, to which PIN?`);
      const r = await rt.sendNumberInfo({ from: out.number });
      const j = r.json && typeof r.json === 'object' ? r.json : {};
      const member = rt.users.find((u) => u.pin === j.PIN);
      Object.assign(out, { status: r.status, answer: r.body, name: String(j.displayName || ''), member: String(j.PIN || ''), memberName: member ? member.display_name || member.name : '' });
    } else if (provider === 'oktell') {
      out.number = number.replace(/[^\d+]/g, '');
      const token = String(mod.settings.webhookSecret || '').trim();
      const query = new URLSearchParams(Object.assign({ lookup: out.number }, token ? { token } : {}));
      note(`Oktell emulator: the scenario asks the webhook lookup=${out.number}: who is calling, which operator?`);
      const r = await httpRequest(`${webhookUrl()}?${query}`, { timeoutMs: 15000 });
      const parts = r.status === 200 ? r.body.split(';') : [];
      const member = okt.users.find((u) => u.login === parts[1]);
      Object.assign(out, { status: r.status, answer: r.body, name: parts[0] || '', member: parts[1] || '', ext: parts[2] || '', memberName: member ? member.name : '' });
    } else {
      return { ok: false, error: 'provider' };
    }
    out.ok = out.status === 200;
    out.searches = crm.searches.length - searches;
    out.ms = Date.now() - t0;
    return mask(out);
  }

  async function runFunction(name, args) {
    const t0 = Date.now();
    const entry = { kind: 'call', fn: name, args: args || [] };
    try {
      entry.result = await mod.fns[name](...(args || []));
      entry.ok = true;
    } catch (e) {
      entry.ok = false;
      entry.error = e && e.message ? e.message : String(e);
    }
    entry.ms = Date.now() - t0;
    return emit(entry);
  }

  async function simulate(body) {
    const provider = String(mod.settings.provider || '').trim().toLowerCase();
    const scenario = body.scenario === 'incoming-missed' ? 'incoming-missed' : 'incoming-answered';
    const client = String(body.client || '89161234567');
    const label = scenario === 'incoming-missed' ? 'missed' : 'answered';
    if (provider === 'rostelecom') {
      const pin = String(body.member || rt.users[0].pin);
      note(`Rostelecom emulator: an incoming call from ${client} to PIN ${pin} (${label}): get_number_info, then call_events`);
      rt.sendNumberInfo({ from: client.replace(/\D/g, '') })
        .then(() => rt.playCall(scenario, { from: client, pin, talkSeconds: 14 }))
        .catch((e) => note(`Rostelecom emulator: ${e.message}`, 'error'));
    } else if (provider === 'oktell') {
      const user = String(body.member || okt.users[0].login);
      if (!okt.findUser(user)) throw new Error(`the Oktell emulator has no user «${user}» (it knows ${okt.users.map((u) => u.login).join(', ')})`);
      note(`Oktell emulator: an incoming call from ${client} to ${user} (${label}), via ${state.oktellEvents === 'crm' ? 'Web-интеграция с CRM' : 'the scenario webhook'}`);
      const play = state.oktellEvents === 'crm'
        ? okt.playCall(scenario, { user, client, gapMs: opt.gapMs, talkMs: opt.gapMs * 3 })
        : playOktellScenario(scenario, user, client);
      play.catch((e) => note(`Oktell emulator: ${e.message}`, 'error'));
    } else {
      throw new Error('choose a provider (АТС) first');
    }
    return { ok: true };
  }

  const routes = {
    'GET /api/state': () => ({
      schema, settings: mod.settings, saved: state.saved, webhookUrl: webhookUrl(), module: moduleFacts,
      emulators: {
        oktell: { url: okt.url, events: state.oktellEvents, members: okt.users.map((u) => ({ id: u.login, name: u.name })) },
        rostelecom: { url: rt.url, members: rt.users.map((u) => ({ id: u.pin, name: u.display_name || u.name })) },
      },
      webhookHealth: webhookHealth(),
      crm: crmView(),
    }),
    'GET /api/webhook-health': () => webhookHealth(),
    'POST /api/settings': async (b) => {
      apply(b.settings);
      const r = await runFunction('VoipOnWebhookUpdated', [webhookUrl()]);
      if (r.ok) state.saved = true;
      return r;
    },
    'POST /api/call-link': async (b) => {
      const record = raw.get(Number(b.id));
      if (!record) throw new Error('that call record is no longer in the log');
      return runFunction('VoipGetCallLink', [record.call]);
    },
    'POST /api/simulate': (b) => { apply(b.settings); return simulate(b); },
    'POST /api/emulator': (b) => {
      state.oktellEvents = b.oktellEvents === 'scenario' ? 'scenario' : 'crm';
      syncEmulators();
      return { ok: true, oktellEvents: state.oktellEvents };
    },
    'POST /api/log/clear': () => { log.length = 0; raw.clear(); return { ok: true }; },
    'GET /api/crm': () => crmView(),
    'POST /api/crm/contacts': (b) => addContact(b),
    'POST /api/crm/contacts/delete': (b) => deleteContact(b),
    'POST /api/crm/ring': (b) => { apply(b.settings); return ringIn(b); },
  };

  async function api(req, res, url) {
    const key = `${req.method} ${url.pathname}`;
    let body = {};
    if (req.method === 'POST') {
      // A JSON content type forces a CORS preflight, which this server never grants: other sites cannot post here.
      const origin = req.headers.origin;
      if (!/^application\/json\b/i.test(req.headers['content-type'] || '') || (origin && !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(origin))) {
        return sendJson(res, 403, { ok: false, error: 'the API takes JSON from the sandbox page only' });
      }
      const text = await new Promise((resolve, reject) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
      });
      body = text ? JSON.parse(text) : {};
    }
    const fn = /^POST \/api\/fn\/(\w+)$/.exec(key);
    let out;
    if (fn && FUNCTIONS.includes(fn[1])) {
      apply(body.settings);
      const before = okt.autocalls.length;
      out = await runFunction(fn[1], Array.isArray(body.args) ? body.args.map(String) : []);
      if (fn[1] === 'VoipGenerateCall' && state.oktellEvents === 'scenario') {
        for (const call of okt.autocalls.slice(before)) {
          playOktellScenario('outgoing', call.user, call.number).catch((e) => note(`Oktell emulator: ${e.message}`, 'error'));
        }
      }
    } else if (routes[key]) {
      out = await routes[key](body);
    } else {
      return sendJson(res, 404, { ok: false, error: `no such API: ${key}` });
    }
    return sendJson(res, 200, out);
  }

  function stream(req, res) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    for (const e of log) res.write(`data: ${JSON.stringify(e)}\n\n`);
    clients.add(res);
    req.on('close', () => clients.delete(res));
  }

  server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === WEBHOOK_PATH || url.pathname.startsWith(`${WEBHOOK_PATH}/`)) return webhook(req, res);
    if (!fromThisMachine(req)) {
      return sendJson(res, 403, { ok: false, error: 'only the webhook is served to other hosts; open the page on the machine running the sandbox' });
    }
    if (req.method === 'GET' && url.pathname === '/api/log') return stream(req, res);
    if (url.pathname.startsWith('/api/')) {
      return api(req, res, url).catch((e) => {
        note(`sandbox: ${req.method} ${url.pathname} failed: ${e.message}`, 'error');
        sendJson(res, 500, { ok: false, error: e.message });
      });
    }
    const download = req.method === 'GET' && DOWNLOADS[url.pathname];
    if (download) {
      return fs.readFile(download, (err, data) => {
        if (err) return sendJson(res, 404, { ok: false, error: `${path.basename(download)}: run npm run build` });
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename="${path.basename(download)}"`, 'Cache-Control': 'no-cache' });
        return res.end(data);
      });
    }
    const file = STATIC[url.pathname];
    if (req.method !== 'GET' || !file) return sendJson(res, 404, { ok: false, error: 'not found' });
    fs.readFile(path.join(PUBLIC, file[0]), (err, data) => {
      if (err) return sendJson(res, 500, { ok: false, error: err.message });
      res.writeHead(200, { 'Content-Type': `${file[1]}; charset=utf-8`, 'Cache-Control': 'no-cache' });
      res.end(data);
    });
  });
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opt.port, opt.host, resolve);
  });
  syncEmulators();
  // ELMA365 calls VoipOnWebhookUpdated when the module is first published; so does the sandbox when it starts.
  if ((await runFunction('VoipOnWebhookUpdated', [webhookUrl()])).ok) state.saved = true;
  const heartbeat = setInterval(() => { for (const res of clients) res.write(': ping\n\n'); }, 15000);

  return {
    url: `http://${opt.host === '0.0.0.0' ? '127.0.0.1' : opt.host}:${server.address().port}/`,
    webhookUrl: webhookUrl(),
    module: mod,
    crm,
    emulators: { oktell: okt, rostelecom: rt },
    log,
    note,
    async close() {
      clearInterval(heartbeat);
      for (const res of clients) res.end();
      await okt.close();
      await rt.close();
      await new Promise((resolve) => { server.close(() => resolve()); for (const s of sockets) s.destroy(); });
    },
  };
}

/**
 * The page and its API hold the settings, secrets included: they answer only a browser on this machine that
 * asked for a loopback name (not a tunnel or proxy, which add forwarding headers; not a DNS-rebound name).
 */
function fromThisMachine(req) {
  const h = req.headers;
  const host = String(h.host || '').replace(/:\d+$/, '').toLowerCase();
  return /^(127\.|::1$|::ffff:127\.)/.test(req.socket.remoteAddress || '') && ['127.0.0.1', 'localhost', '[::1]'].includes(host) &&
    !h['x-forwarded-for'] && !h.forwarded && !h['x-real-ip'] && !h['cf-connecting-ip'];
}

function sendJson(res, status, value) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(value));
}

module.exports = { startSandbox, parseArgs, parseTrace, describeBody, maskHeaders, maskValues, fromThisMachine };

if (require.main === module) {
  let opt;
  try {
    opt = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    console.error(`sandbox: ${e.message}`);
    process.exit(2);
  }
  startSandbox(opt).then((sb) => {
    process.on('unhandledRejection', (e) => sb.note(`sandbox: ${e && e.message ? e.message : e}`, 'error'));
    console.log(`Sandbox: ${sb.url}`);
    console.log(`  open it in a browser; the module's webhook URL is ${sb.webhookUrl}`);
    console.log(`  emulated Oktell at ${sb.emulators.oktell.url}, emulated Rostelecom at ${sb.emulators.rostelecom.url}; Ctrl+C stops`);
    const stop = () => sb.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }, (e) => {
    console.error(`sandbox: ${e.code === 'EADDRINUSE' ? `port ${opt.port} is taken: pass another with --port or PORT` : e.stack || e.message}`);
    process.exit(1);
  });
}
