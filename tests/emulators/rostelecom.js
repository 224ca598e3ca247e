'use strict';
/**
 * Test emulator of the Rostelecom virtual PBX ("Виртуальная АТС Ростелеком") integration API.
 * Spec: /work/shared/spec/rostelecom.md. CommonJS, Node core only, Node 14.16 and 20. Listens on 127.0.0.1.
 *
 *   const { startRostelecom, sign } = require('./rostelecom');
 *   sign(clientId, bodyString, signKey)  -> lowercase hex sha256(clientId + body + signKey)   [doc]
 *   const pbx = await startRostelecom({ clientId, signKey, tls, users, groups, domain, webhookUrl,
 *       resultAsString, autoPlayCallback, autoPlayDelayMs, appendInterfaceName, line, sipHost, host, port,
 *       keepRequests });
 *   pbx.url / pbx.mode / pbx.requests / pbx.webhookUrl / pbx.calls / pbx.users / pbx.groups
 *   pbx.keepRequests (true; false: pbx.requests stays empty, for long runs such as the load bench)
 *   pbx.served: { [api method]: { ok, failed } } the API requests answered (result 0 or not), kept either way
 *   pbx.failCallInfo (false) / pbx.recordReadyAfterMs (0) / pbx.resultAsString / pbx.autoPlays (promises)
 *   await pbx.playCall(scenario, opts) -> { sessionId, deliveries: [{ body, status, responseBody, error? }] }
 *       scenarios: incoming-answered | incoming-missed | incoming-busy | incoming-transferred |
 *                  outbound | outbound-missed | internal
 *       opts: from, pin, pin2, line, sessionId, record, spacedDisconnected, duplicate, gapMs (5),
 *             talkSeconds (14), ringSeconds (5), callType (1; 3 = callback), pretty (indented JSON body),
 *             timeoutMs (5000 per delivery), startMs (simulated call start, default now - 60 s)
 *   pbx.prepareCall(scenario, opts) -> { sessionId, call, events: [{ state, body, headers }] }
 *       the call playCall would play (same scenarios and opts, webhookUrl not needed), registered in pbx.calls so
 *       that call_info answers it, but not delivered: for a host that hands the signed deliveries to the module
 *       itself (scripts/load.js). Set call.endedAt = Date.now() when delivering `end` if get_record must find it;
 *       pbx.calls.delete(sessionId) forgets the call.
 *   await pbx.answer({ method, path, headers, body }) -> { status, headers, body }
 *       the API's answer to one request, without HTTP (headers by lower-case name, as Node gives them; `mode`
 *       misbehaviours do not apply): an in-process fetch can be built on it.
 *   await pbx.sendNumberInfo({ from, line, domain }) -> { status, body, json }
 *   await pbx.sendSignedWebhook(bodyString, { clientId, signKey, omitHeaders, path }) -> { status, headers, body }
 *   await pbx.close()
 *
 * Documented ([doc]/[practice] in the spec): POST + JSON, X-Client-ID/X-Client-Sign headers both ways, the sign
 * formula, result 0 or "0" = success, call_back -20, field names of call_events / call_info / get_record /
 * get_number_info, event states and disconnect reason codes, " disconnected " with spaces, is_record "true"/"".
 * Chosen by us (undocumented): wrong/missing X-Client-ID -> HTTP 401 {result:2}; wrong/missing X-Client-Sign ->
 * HTTP 401 {result:3} (sign compared exactly, lowercase hex); non-JSON or non-object body -> 400 {result:4};
 * unknown path -> 404 {result:5}; non-POST -> 405 {result:5}; bad call_back/get_record parameters -> 200 {result:6};
 * call_info of an unknown session -> {result:1}; no record (yet) -> {result:1}; record URL shape
 * /records/<token>/<session>.mp3 valid for 10 min and reusable; timestamps of events are simulated (ring/talk
 * seconds), not wall clock; status_code/status_string of missed calls ("480"/"486") are SIP-like guesses;
 * webhooks go to webhookUrl as is unless appendInterfaceName is set (the real PBX appends /call_events).
 */
const crypto = require('crypto');
const common = require('./common');

const TEST_CLIENT_ID = '000003C405E6525C64C184258C44EC99';
const TEST_SIGN_KEY = '00000716ABDA6D4DFF10F82BCBBFC532';
const RECORD_TTL_MS = 10 * 60 * 1000;
const METHODS = ['users_info', 'call_back', 'call_info', 'get_record'];

function sign(clientId, body, signKey) {
  return crypto.createHash('sha256').update(String(clientId) + body + String(signKey), 'utf8').digest('hex');
}

function randomAlnum(n) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += abc[bytes[i] % abc.length];
  return s;
}

// "YYYY-MM-DD HH:MM:SS.mmm" in Moscow time (UTC+3, no DST).
function moscowTimestamp(ms) {
  const d = new Date(ms + 3 * 3600 * 1000);
  const p = function (v, n) { return String(v).padStart(n || 2, '0'); };
  return d.getUTCFullYear() + '-' + p(d.getUTCMonth() + 1) + '-' + p(d.getUTCDate()) + ' ' + p(d.getUTCHours()) +
    ':' + p(d.getUTCMinutes()) + ':' + p(d.getUTCSeconds()) + '.' + p(d.getUTCMilliseconds(), 3);
}

// ~20 frames of MPEG-1 Layer III silence, 128 kbit/s, 44.1 kHz, joint stereo (417 bytes each, no padding).
function silentMp3(frames) {
  const frame = Buffer.alloc(417);
  frame[0] = 0xff; frame[1] = 0xfb; frame[2] = 0x90; frame[3] = 0x64;
  const out = [];
  for (let i = 0; i < (frames || 20); i++) out.push(frame);
  return Buffer.concat(out);
}
const MP3 = silentMp3(20);

function defaultUsers() {
  return [
    { display_name: 'Иванов Иван', name: 'ivanov', pin: '101', email: 'ivanov@example.ru', is_supervisor: false, is_operator: true, recording: 1 },
    { display_name: 'Петрова Анна', name: 'petrova', pin: '102', email: 'petrova@example.ru', is_supervisor: true, is_operator: true, recording: 1 },
    { display_name: '', name: 'sidorov', pin: '103', email: '', is_supervisor: false, is_operator: false, recording: 0 },
  ];
}
function defaultGroups() {
  return [{ name: 'Отдел продаж', pin: '200', email: 'sales@example.ru', distribution: 1, users_list: ['101', '102'] }];
}

function delay(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

async function startRostelecom(options) {
  const o = options || {};
  const clientId = o.clientId || TEST_CLIENT_ID;
  const signKey = o.signKey || TEST_SIGN_KEY;
  const domain = o.domain || 'demo.cloudpbx.rt.ru';
  const sipHost = o.sipHost || '188.254.33.73';
  const records = new Map(); // token -> { sessionId, expires }
  const timers = new Set();
  let closed = false;

  const pbx = {
    url: '', mode: 'normal', requests: [], calls: new Map(), autoPlays: [],
    webhookUrl: o.webhookUrl || null,
    users: o.users || defaultUsers(), groups: o.groups || defaultGroups(),
    domain: domain, clientId: clientId, signKey: signKey,
    failCallInfo: false, recordReadyAfterMs: 0, resultAsString: !!o.resultAsString,
    autoPlayCallback: o.autoPlayCallback !== false, autoPlayDelayMs: o.autoPlayDelayMs == null ? 10 : o.autoPlayDelayMs,
    appendInterfaceName: !!o.appendInterfaceName, line: o.line || '74992222222',
    keepRequests: o.keepRequests !== false, served: {},
  };

  const ok = function (extra) {
    const r = { result: pbx.resultAsString ? '0' : 0, resultMessage: '' };
    Object.keys(extra || {}).forEach(function (k) { r[k] = extra[k]; });
    return r;
  };
  const fail = function (code, msg) { return { result: code, resultMessage: msg }; };
  const userByPin = function (pin) { return pbx.users.find(function (u) { return String(u.pin) === String(pin); }); };
  const userUri = function (u, prefix) { return (prefix ? 'sip:' : '') + (u ? u.name : 'unknown') + '@' + domain; };
  const clientUri = function (num) { return 'sip:' + String(num).replace(/[^\d+]/g, '') + '@' + sipHost; };

  // ---- API methods -------------------------------------------------------------------------------------------
  const api = {
    users_info: function () { return ok({ users: pbx.users, groups: pbx.groups }); },

    call_back: function (b) {
      if (typeof b.request_number !== 'string' || !/\d/.test(b.request_number)) return fail(6, 'Некорректные параметры запроса: request_number');
      const hasPin = b.from_pin != null && b.from_pin !== '';
      const hasUri = b.from_sipuri != null && b.from_sipuri !== '';
      if (hasPin === hasUri) return fail(6, 'Некорректные параметры запроса: нужен ровно один из from_pin, from_sipuri');
      let user;
      if (hasPin) user = userByPin(b.from_pin);
      else {
        const m = /^([^@:\s]+)@([^@\s]+)$/.exec(String(b.from_sipuri)); // user@domain, no "sip:"
        user = m && m[2].toLowerCase() === domain.toLowerCase() && pbx.users.find(function (u) { return u.name === m[1]; });
      }
      if (!user) return fail(-20, 'Ошибка при попытке выполнения обратного вызова');
      const sessionId = randomAlnum(16);
      if (pbx.webhookUrl && pbx.autoPlayCallback) {
        pbx.autoPlays.push(new Promise(function (resolve) {
          const pending = { resolve: resolve };
          pending.timer = setTimeout(function () {
            timers.delete(pending);
            pbx.playCall('outbound', { sessionId: sessionId, pin: user.pin, from: b.request_number, callType: 3 })
              .then(resolve, function (err) { resolve({ sessionId: sessionId, error: String(err && err.message || err) }); });
          }, pbx.autoPlayDelayMs);
          timers.add(pending);
        }));
      }
      return ok({ session_id: sessionId });
    },

    call_info: function (b) {
      const call = pbx.calls.get(String(b.session_id));
      if (pbx.failCallInfo || !call) return fail(1, 'Сессия не найдена');
      return ok({ info: call.info });
    },

    get_record: function (b, entry) {
      entry.ip_adress = b.ip_adress;
      if (b.ip_adress != null && b.ip_adress !== '' && !/^(\d{1,3}\.){3}\d{1,3}$/.test(String(b.ip_adress))) {
        return fail(6, 'Некорректные параметры запроса: ip_adress');
      }
      const call = pbx.calls.get(String(b.session_id));
      if (!call || !call.info.is_record || !call.endedAt || Date.now() < call.endedAt + pbx.recordReadyAfterMs) {
        return fail(1, 'Запись не найдена');
      }
      const token = crypto.randomBytes(16).toString('hex');
      records.set(token, { sessionId: call.sessionId, expires: Date.now() + RECORD_TTL_MS });
      return ok({ url: pbx.url + '/records/' + token + '/' + encodeURIComponent(call.sessionId) + '.mp3' });
    },
  };

  // The JSON API's answer to one request: { status, obj }.
  function apiAnswer(entry) {
    const method = entry.path.replace(/^\/+|\/+$/g, '');
    if (METHODS.indexOf(method) < 0) return { status: 404, obj: fail(5, 'Неизвестный метод API: ' + entry.path) };
    const a = methodAnswer(method, entry);
    const served = pbx.served[method] || (pbx.served[method] = { ok: 0, failed: 0 });
    if (String(a.obj.result) === '0') served.ok++; else served.failed++;
    return a;
  }
  function methodAnswer(method, entry) {
    if (entry.method !== 'POST') return { status: 405, obj: fail(5, 'Метод API вызывается только через POST') };
    if (entry.headers['x-client-id'] !== clientId) return { status: 401, obj: fail(2, 'Неизвестный X-Client-ID') };
    if (entry.headers['x-client-sign'] !== sign(clientId, entry.body, signKey)) {
      return { status: 401, obj: fail(3, 'Неверная подпись X-Client-Sign') };
    }
    let json;
    try { json = JSON.parse(entry.body); } catch (e) { json = undefined; }
    if (!json || typeof json !== 'object' || Array.isArray(json)) return { status: 400, obj: fail(4, 'Некорректный JSON') };
    entry.json = json;
    return { status: 200, obj: api[method](json, entry) };
  }

  pbx.answer = function (r) {
    const headers = {};
    Object.keys(r.headers || {}).forEach(function (k) { headers[k.toLowerCase()] = r.headers[k]; });
    const entry = { method: r.method || 'POST', path: r.path, headers: headers, body: r.body == null ? '' : String(r.body), time: Date.now() };
    if (pbx.keepRequests) pbx.requests.push(entry);
    const a = apiAnswer(entry);
    return Promise.resolve({ status: a.status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(a.obj) });
  };

  async function handle(req, res) {
    const body = await common.readBody(req);
    const path = req.url.split('?')[0];
    const entry = { method: req.method, path: path, headers: req.headers, body: body, time: Date.now() };
    if (pbx.keepRequests) pbx.requests.push(entry);
    if (common.applyMisbehaviour(pbx.mode, req, res)) return;

    const rec = /^\/records\/([0-9a-f]+)\/([^/]+)\.mp3$/.exec(path);
    if (rec && (req.method === 'GET' || req.method === 'HEAD')) {
      const r = records.get(rec[1]);
      if (!r || r.expires < Date.now() || encodeURIComponent(r.sessionId) !== rec[2]) {
        return common.send(res, 404, 'text/plain', 'Not Found');
      }
      res.writeHead(200, { 'Content-Type': 'audio/mpeg', 'Content-Length': MP3.length,
        'Content-Disposition': 'attachment; filename="' + rec[2] + '.mp3"' });
      return res.end(req.method === 'HEAD' ? undefined : MP3);
    }
    const a = apiAnswer(entry);
    return common.sendJson(res, a.status, a.obj);
  }

  // ---- webhooks ----------------------------------------------------------------------------------------------
  pbx.sendSignedWebhook = function (bodyString, opts) {
    opts = opts || {};
    if (!pbx.webhookUrl) return Promise.reject(new Error('rostelecom emulator: pbx.webhookUrl is not set'));
    const cid = opts.clientId != null ? opts.clientId : clientId;
    const headers = { 'Content-Type': 'application/json', 'X-Client-ID': cid,
      'X-Client-Sign': sign(cid, bodyString, opts.signKey != null ? opts.signKey : signKey) };
    const omit = opts.omitHeaders === true ? ['x-client-id', 'x-client-sign']
      : (opts.omitHeaders || []).map(function (h) { return h.toLowerCase(); });
    Object.keys(headers).forEach(function (h) { if (omit.indexOf(h.toLowerCase()) >= 0) delete headers[h]; });
    const u = new URL(pbx.webhookUrl);
    if (pbx.appendInterfaceName && opts.path) u.pathname = u.pathname.replace(/\/+$/, '') + '/' + opts.path;
    return common.httpRequest(u.toString(), { method: 'POST', headers: headers, body: bodyString, timeoutMs: opts.timeoutMs || 5000 });
  };

  pbx.sendNumberInfo = function (opts) {
    opts = opts || {};
    const body = JSON.stringify({ domain: opts.domain || domain, from_number: opts.from || '74959561111',
      request_number: opts.line || '74992222222' });
    return pbx.sendSignedWebhook(body, { path: 'get_number_info', timeoutMs: opts.timeoutMs }).then(function (r) {
      let json;
      try { json = JSON.parse(r.body); } catch (e) { json = undefined; }
      return { status: r.status, body: r.body, json: json };
    });
  };

  // Builds the event list and the call_info object for a scenario.
  function plan(scenario, opts, sessionId) {
    const t0 = opts.startMs || Date.now() - 60000;
    const ring = (opts.ringSeconds == null ? 5 : opts.ringSeconds) * 1000;
    const talk = opts.talkSeconds == null ? 14 : opts.talkSeconds;
    const client = opts.from || '79161234567';
    const line = clientUri(opts.line || pbx.line);
    const a = userByPin(opts.pin || '101') || { name: 'user' + opts.pin, pin: String(opts.pin) };
    const b = userByPin(opts.pin2 || '102') || { name: 'user' + opts.pin2, pin: String(opts.pin2) };
    const disc = opts.spacedDisconnected ? ' disconnected ' : 'disconnected';
    const events = [];
    let t = t0;
    const ev = function (dt, state, f) {
      t += dt;
      events.push({ session_id: sessionId, timestamp: moscowTimestamp(t), type: f.type, state: state,
        from_number: f.from_number, from_pin: f.from_pin || '', request_number: f.request_number,
        request_pin: f.request_pin || '', disconnect_reason: f.reason || '', is_record: f.is_record || '' });
    };
    let info = { call_type: opts.callType || 1, direction: 1, state: 1, orig_number: clientUri(client), orig_pin: null,
      dest_number: line, answering_sipuri: userUri(a), answering_pin: a.pin, start_call_date: String(Math.floor(t0 / 1000)),
      duration: talk, session_log: '', is_voicemail: false, is_record: false, is_fax: false, status_code: '0', status_string: '' };
    let answered = true;
    const inc = { type: 'incoming', from_number: clientUri(client), request_number: line };
    const incAt = function (u, uri) { return Object.assign({}, inc, { request_pin: u.pin, request_number: uri ? userUri(u) : line }); };
    const rs = ring / 1000;
    switch (scenario) {
      case 'incoming-answered':
        ev(0, 'new', inc); ev(300, 'calling', incAt(a)); ev(ring, 'connected', incAt(a, true));
        ev(talk * 1000, disc, Object.assign(incAt(a, true), { reason: '5' }));
        info.session_log = '0:el:' + client + ';0:ru:' + a.name + ';' + rs + ':ct:' + a.name + ';' + rs + ':cc:' + a.name + ';' + (rs + talk) + ':cd:' + a.name + ';';
        break;
      case 'incoming-missed':
      case 'incoming-busy':
        answered = false;
        ev(0, 'new', inc); ev(300, 'calling', incAt(a));
        if (scenario === 'incoming-busy') ev(1000, disc, Object.assign(incAt(a), { reason: '3' }));
        else t += ring * 4;
        info.status_code = scenario === 'incoming-busy' ? '486' : '480';
        info.status_string = scenario === 'incoming-busy' ? 'Busy Here' : 'Temporarily Unavailable';
        info.session_log = '0:el:' + client + ';0:ru:' + a.name + ';';
        break;
      case 'incoming-transferred': {
        const half = Math.floor(talk / 2);
        ev(0, 'new', inc); ev(300, 'calling', incAt(a)); ev(ring, 'connected', incAt(a, true));
        ev(half * 1000, disc, Object.assign(incAt(a, true), { reason: '0' }));
        ev(200, 'calling', incAt(b)); ev(ring, 'connected', incAt(b, true));
        ev((talk - half) * 1000, disc, Object.assign(incAt(b, true), { reason: '5' }));
        info.session_log = '0:el:' + client + ';0:ru:' + a.name + ';' + rs + ':cc:' + a.name + ';' + (rs + half) + ':tr:' + b.name +
          ';' + (2 * rs + half) + ':cc:' + b.name + ';' + (2 * rs + talk) + ':cd:' + b.name + ';';
        break;
      }
      case 'outbound':
      case 'outbound-missed': {
        const out = { type: 'outbound', from_number: userUri(a, true), from_pin: a.pin, request_number: clientUri(client) };
        answered = scenario === 'outbound';
        info = Object.assign(info, { direction: 2, orig_number: userUri(a, true), orig_pin: a.pin, dest_number: clientUri(client),
          answering_sipuri: clientUri(client), answering_pin: null, session_log: '0:ct:' + client + ';' });
        ev(0, 'new', out);
        if (answered) {
          ev(ring, 'connected', out); ev(talk * 1000, disc, Object.assign({}, out, { reason: '5' }));
          info.session_log += rs + ':cc:' + client + ';' + (rs + talk) + ':cd:' + client + ';';
        } else {
          t += ring * 4;
          info.status_code = '480'; info.status_string = 'Temporarily Unavailable';
        }
        break;
      }
      case 'internal': {
        const intl = { type: 'internal', from_number: userUri(a, true), from_pin: a.pin, request_number: userUri(b, true) };
        const intB = Object.assign({}, intl, { request_pin: b.pin });
        info = Object.assign(info, { direction: 3, orig_number: userUri(a, true), orig_pin: a.pin, dest_number: userUri(b, true),
          answering_sipuri: userUri(b), answering_pin: b.pin, session_log: '0:ru:' + b.name + ';' + rs + ':cc:' + b.name + ';' + (rs + talk) + ':cd:' + b.name + ';' });
        ev(0, 'new', intl); ev(300, 'calling', intB); ev(ring, 'connected', intB);
        ev(talk * 1000, disc, Object.assign({}, intB, { reason: '5' }));
        break;
      }
      default:
        throw new Error('rostelecom emulator: unknown scenario ' + JSON.stringify(scenario));
    }
    const record = answered && (opts.record == null ? true : !!opts.record);
    if (!answered) Object.assign(info, { state: 2, duration: 0, answering_sipuri: null, answering_pin: null });
    info.is_record = record;
    const last = events[events.length - 1];
    ev(200, 'end', { type: last.type, from_number: last.from_number, from_pin: last.from_pin,
      request_number: scenario.indexOf('incoming') === 0 ? line : last.request_number, request_pin: last.request_pin,
      is_record: record ? 'true' : '' });
    return { events: events, info: info };
  }

  // Plans a call and registers it in pbx.calls (call_info and get_record answer it); delivers nothing.
  function register(scenario, opts) {
    const sessionId = opts.sessionId || randomAlnum(16);
    const p = plan(scenario, opts, sessionId);
    const call = { sessionId: sessionId, scenario: scenario, info: p.info, events: p.events, endedAt: null };
    pbx.calls.set(sessionId, call);
    return call;
  }
  const eventBody = function (e, opts) { return opts.pretty ? JSON.stringify(e, null, 2) : JSON.stringify(e); };

  pbx.prepareCall = function (scenario, opts) {
    opts = opts || {};
    const call = register(scenario, opts);
    const events = call.events.map(function (e) {
      const body = eventBody(e, opts);
      return { state: e.state, body: body,
        headers: { 'Content-Type': 'application/json', 'X-Client-ID': clientId, 'X-Client-Sign': sign(clientId, body, signKey) } };
    });
    return { sessionId: call.sessionId, call: call, events: events };
  };

  pbx.playCall = async function (scenario, opts) {
    opts = opts || {};
    if (!pbx.webhookUrl) throw new Error('rostelecom emulator: pbx.webhookUrl is not set');
    const call = register(scenario, opts);
    const sessionId = call.sessionId;
    const deliveries = [];
    const gap = opts.gapMs == null ? 5 : opts.gapMs;
    for (let i = 0; i < call.events.length && !closed; i++) {
      const e = call.events[i];
      if (e.state === 'end') call.endedAt = Date.now(); // call_info/get_record must work while `end` is handled
      const body = eventBody(e, opts);
      for (let k = 0; k < (opts.duplicate ? 2 : 1) && !closed; k++) {
        try {
          const r = await pbx.sendSignedWebhook(body, { path: 'call_events', timeoutMs: opts.timeoutMs });
          deliveries.push({ body: body, status: r.status, responseBody: r.body });
        } catch (err) {
          deliveries.push({ body: body, status: 0, responseBody: '', error: String(err && err.message || err) });
        }
        if (gap > 0 && !closed) await delay(gap);
      }
    }
    return { sessionId: sessionId, deliveries: deliveries };
  };

  const srv = await common.startServer(handle, { host: o.host, port: o.port, tls: o.tls });
  pbx.url = srv.url;
  pbx.server = srv.server;
  pbx.close = function () {
    closed = true;
    timers.forEach(function (p) { clearTimeout(p.timer); p.resolve({ cancelled: true, deliveries: [] }); });
    timers.clear();
    return srv.close();
  };
  return pbx;
}

module.exports = { startRostelecom, sign, moscowTimestamp, silentMp3, TEST_CLIENT_ID, TEST_SIGN_KEY };
