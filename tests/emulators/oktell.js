'use strict';
/**
 * Oktell (classic, oktell.ru) server emulator for tests. CommonJS, Node core only, Node 14.16+ and 20.
 * Spec: /work/shared/spec/oktell.md. [doc] = Oktell wiki, [practice] = seen in working integrations,
 * [ours] = chosen here because the real behaviour is unknown.
 *
 *   const okt = await startOktell({ auth, regserial, users, membersScripts, crm, tls, execXmlShape, autoPlay });
 *     auth: {mode:'none'} | {mode:'password', password} | {mode:'basic', login, password}
 *     users: [{id, login, name, number}]        (defaults: 4 users, Cyrillic names, one without a number)
 *     membersScripts: {scriptName: 'json'|'lines'} (default ELMA365_Users: json, ELMA365_UsersLines: lines)
 *     crm: {url, basic: {login, password}}     where Oktell pushes call events (okt.crm is live/settable)
 *     execXmlShape: 'cdata' | 'simple' | 'broken'  returnvalue shape in execsvcscript XML (okt.execXmlShape);
 *                                              'broken' cuts the XML short (malformed)
 *     disabledCommands: ['execsvcscriptplain']  commands answered 404, like an older build without them
 *                                              (okt.disabledCommands, an array)
 *     playbackPath: '/play/'                   also serve recordings at <playbackPath><id> WITHOUT auth: the
 *                                              dedicated playback path an admin exposes (e.g. a reverse proxy)
 *   okt.url, okt.mode (common.js misbehaviour), okt.requests [{method, path, query, headers, body}],
 *   okt.scripts[name] = (params) => string | {status, body}  (may return a Promise), okt.users,
 *   okt.autocalls [{user, number, sequence, direction, played?: Promise<playCall result>}], okt.autoPlay,
 *   okt.recordings Map id -> {id, link, bytes, path}, okt.addRecording(id?),
 *   okt.playCall(scenario, opts) -> {chainId, messages, deliveries:[{messages, status, responseBody, decodedReply, error?}], recording?}
 *   okt.playScenarioWebhook(scenario, opts) -> deliveries [{fields, status, responseBody, error?}] (+ .callId, .recording)
 *       opts.recordAs: 'path' (default, /download/rec/<id>) | 'url' (absolute, = opts.recordUrl) | 'playback'
 *       (absolute URL on playbackPath) | 'link' (the bare record link code, for downloadrecordbylink)
 *   okt.sendProtocol(method, extra, opts) -> {status, body, decodedReply, messages}
 *   decodeReply(body) (also exported), okt.close()
 *
 * Server API:
 *   [doc] GET or POST (form body) /<command>?params; auth by `password=` or (newer versions) Basic; failure -> 403.
 *   [doc] getlicenseinfo?detail=regserial|confirmdate|updatelimitdate (dd.MM.yyyy); [ours] other detail -> empty 200.
 *   [doc] getlicensefulltext, getlicensefullxml; execsvcscript(plain) name, startparam1..5, async, timeout.
 *   [doc] execsvcscript XML: utf-16 declaration; [ours] sent as UTF-16LE with BOM, text/xml; charset=utf-16.
 *   [ours] unknown script: plain -> 200 empty body; XML -> started=0, no returnvalue. async=1 -> no result.
 *   [ours] script output is text/plain; charset=utf-8. Members 'json' omits "number" for a user without one;
 *          'lines' is login;name[;number] joined by CRLF with a blank line after the 2nd user.
 *   [practice] tst_getuserstate?iduser= -> userstate XML (state 1 usReady); [ours] unknown id -> count="0".
 *   [doc] wp_* take user=|line=|wp= (GUID, login, name or number). [practice] failure -> 500;
 *   [ours] 500 bodies "Line not found" / "Number not specified"; wp_setuserstate sets user.state.
 *   [doc] download/rec/<id>, downloadrecordbylink?recordlink=; [ours] audio/mpeg, 404 "Not found" if unknown;
 *   [ours] unknown command -> 404 "Not found".
 * CRM push (native "Web-интеграция с CRM", HTTP mode):
 *   [doc] POST form `data=<base64(JSON)>`, Basic auth optional. [practice] message ["method",{qid,...}], fields
 *   as the captured sample. [ours] callerdirection: 'city' for the external party, 'internal' for another
 *   operator, 'oktell_pbx' for the auto-dial leg; external calls come on line 17001; callerid is the client's
 *   digits only; no time fields (none documented). Each delivery waits for the CRM's reply before the next.
 *   Scenarios: incoming-answered, incoming-missed, outgoing-callback (what wp_autocallstart produces; includes the
 *   operator's ringstopped when they pick up), internal (comm events sent for both operators).
 * Scenario webhook [ours]: fields event/callid/direction/client/user/duration/answered/record/token.
 */
const crypto = require('crypto');
const querystring = require('querystring');
const common = require('./common');

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
const TRUNK = { id: '3b1f6a0e-8d2c-4f7e-9a51-6c0d2e7b4f18', num: '17001' };
const STATE_NAMES = { 1: 'usReady', 2: 'usBreak', 3: 'usNotAvailable', 5: 'usBusy' }; // 1 is [practice], rest presumed
const DEFAULT_USERS = [
  { id: '2a594b51-bb89-4da6-a69f-f48761baf0d9', login: 'ivanov', name: 'Иванов Иван', number: '101' },
  { id: 'd8af50ea-74a6-4a57-b0d5-451962f6c042', login: 'airato', name: 'Айрат Оразов', number: '102' },
  { id: '7cf84c23-2736-4fc8-9bf7-bfbb4778fb01', login: 'petrova', name: 'Петрова Мария Сергеевна', number: '103' },
  { id: 'e76c86ea-a28a-4519-b4ff-8879a92c62b7', login: 'sidorov', name: 'Сидоров Пётр', number: '' },
];

function uuid() {
  const b = crypto.randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
}
function ddmmyyyy(d) {
  const p = (n) => (n < 10 ? '0' : '') + n;
  return p(d.getDate()) + '.' + p(d.getMonth() + 1) + '.' + d.getFullYear();
}
const xmlEsc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const cdata = (s) => '<![CDATA[' + String(s).split(']]>').join(']]]]><![CDATA[>') + ']]>';
const utf16 = (xml) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
const basicHeader = (b) => 'Basic ' + Buffer.from(b.login + ':' + b.password, 'utf8').toString('base64');
function sortKeys(o) { const r = {}; Object.keys(o).sort().forEach((k) => { r[k] = o[k]; }); return r; }

/** ~20 MPEG-1 Layer III frames, 128 kbit/s 44.1 kHz joint stereo: a valid (silent-ish) MP3. */
function makeMp3(frames) {
  const frame = Buffer.alloc(417);
  frame[0] = 0xff; frame[1] = 0xfb; frame[2] = 0x90; frame[3] = 0x64;
  const list = [];
  for (let i = 0; i < (frames || 20); i++) list.push(frame);
  return Buffer.concat(list);
}

function mapperXml(dataName, count, inner) {
  return '<?xml version="1.0" encoding="utf-16"?>\r\n<oktellxmlmapper version="80710">\r\n' +
    '  <data name="' + dataName + '" count="' + count + '">\r\n' + inner + '  </data>\r\n</oktellxmlmapper>\r\n';
}

/** Parse a CRM reply: form `data=<base64 JSON>`, then bare base64 JSON, then plain JSON; null if none. */
function decodeReply(body) {
  const s = String(body == null ? '' : body).trim();
  if (!s) return null;
  const json = (t) => { try { return JSON.parse(t); } catch (e) { return undefined; } };
  const b64 = (t) => {
    t = t.replace(/ /g, '+').replace(/\s+/g, '');
    return /^[A-Za-z0-9+/]+={0,2}$/.test(t) ? json(Buffer.from(t, 'base64').toString('utf8')) : undefined;
  };
  let v;
  if (/(^|&)data=/.test(s)) {
    const d = querystring.parse(s).data;
    if (typeof d === 'string') v = b64(d);
    if (v !== undefined) return v;
  }
  v = b64(s);
  if (v !== undefined) return v;
  v = json(s);
  return v === undefined ? null : v;
}

function authorized(auth, req, params) {
  if (!auth || !auth.mode || auth.mode === 'none') return true;
  if (auth.mode === 'password') return params.password === auth.password;
  if (auth.mode === 'basic') {
    const m = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization || '');
    return !!m && Buffer.from(m[1], 'base64').toString('utf8') === auth.login + ':' + auth.password;
  }
  return false;
}

function send(res, status, body, type) {
  common.send(res, status, type || 'text/plain; charset=utf-8', body == null ? '' : body);
}

async function startOktell(options) {
  const o = options || {};
  const okt = {
    mode: 'normal', requests: [], autocalls: [], recordings: new Map(), scripts: {},
    auth: o.auth || { mode: 'none' }, regserial: o.regserial || '1234567',
    users: (o.users || DEFAULT_USERS).map((u) => Object.assign({ state: 1, lineId: uuid() }, u)),
    crm: Object.assign({ url: null, basic: null }, o.crm || {}),
    execXmlShape: o.execXmlShape || 'cdata', autoPlay: o.autoPlay !== false, autoPlayOpts: o.autoPlayOpts || {},
    disabledCommands: o.disabledCommands || [], playbackPath: o.playbackPath || null,
  };
  const timers = new Set();
  let closed = false;
  const sleep = (ms) => new Promise((resolve) => {
    if (closed || !(ms > 0)) return resolve();
    const t = setTimeout(() => { timers.delete(t); resolve(); }, Math.min(ms, 60000));
    timers.add(t);
  });

  const shapes = o.membersScripts || { ELMA365_Users: 'json', ELMA365_UsersLines: 'lines' };
  Object.keys(shapes).forEach((name) => { okt.scripts[name] = () => membersOutput(okt.users, shapes[name]); });

  okt.findUser = (key) => {
    if (key == null || key === '') return null;
    const k = String(key).toLowerCase();
    return okt.users.find((u) => [u.id, u.login, u.name, u.number].some((v) => v && String(v).toLowerCase() === k)) || null;
  };
  okt.addRecording = (id) => {
    const rec = { id: id || uuid(), link: crypto.randomBytes(6).toString('hex').toUpperCase(), bytes: makeMp3(20) };
    rec.path = '/download/rec/' + rec.id;
    okt.recordings.set(rec.id, rec);
    return rec;
  };

  async function runScript(params) {
    const fn = okt.scripts[params.name];
    if (typeof fn !== 'function') return null;
    let r = await fn(params);
    if (r == null || typeof r !== 'object' || Buffer.isBuffer(r)) r = { body: r == null ? '' : r };
    return { status: r.status || 200, body: r.body == null ? '' : r.body };
  }

  async function handle(req, res) {
    const body = await common.readBody(req);
    const u = new URL(req.url, 'http://127.0.0.1');
    const query = querystring.parse(u.search.slice(1));
    okt.requests.push({ method: req.method, path: u.pathname, query, headers: req.headers, body });
    if (common.applyMisbehaviour(okt.mode, req, res)) return;
    if (okt.playbackPath && u.pathname.indexOf(okt.playbackPath) === 0) {
      const rec = okt.recordings.get(decodeURIComponent(u.pathname.slice(okt.playbackPath.length))) || null;
      if (!rec) return send(res, 404, 'Not found');
      return common.send(res, 200, 'audio/mpeg', rec.bytes);
    }
    const params = Object.assign({}, query);
    const ctype = req.headers['content-type'] || '';
    if (req.method === 'POST' && body && (!ctype || /x-www-form-urlencoded/i.test(ctype))) Object.assign(params, querystring.parse(body));
    if (!authorized(okt.auth, req, params)) return send(res, 403, 'Forbidden');

    const path = decodeURIComponent(u.pathname).replace(/^\/+/, '');
    const cmd = path.toLowerCase();
    if (okt.disabledCommands.indexOf(cmd) >= 0) return send(res, 404, 'Not found');
    if (cmd.indexOf('download/rec/') === 0 || cmd === 'downloadrecordbylink') {
      let rec = null;
      if (cmd === 'downloadrecordbylink') okt.recordings.forEach((r) => { if (r.link === params.recordlink) rec = r; });
      else rec = okt.recordings.get(path.slice('download/rec/'.length)) || null;
      if (!rec) return send(res, 404, 'Not found');
      return common.send(res, 200, 'audio/mpeg', rec.bytes, { 'Content-Disposition': 'attachment; filename="' + rec.id + '.mp3"' });
    }
    switch (cmd) {
      case 'getlicenseinfo': {
        const d = String(params.detail || '').toLowerCase();
        const now = new Date();
        if (d === 'regserial') return send(res, 200, okt.regserial);
        if (d === 'confirmdate') return send(res, 200, ddmmyyyy(new Date(now.getTime() + 20 * 864e5)));
        if (d === 'updatelimitdate') return send(res, 200, ddmmyyyy(new Date(now.getFullYear() + 1, 11, 31)));
        return send(res, 200, '');
      }
      case 'getlicensefulltext':
        return send(res, 200, 'Регистрационный номер: ' + okt.regserial + '\r\nВладелец: ООО "Тест"\r\n' +
          'Количество линий: 30\r\nКоличество операторов: 10\r\nМодули: Call-центр, Web-интеграция с CRM\r\n');
      case 'getlicensefullxml':
        return send(res, 200, utf16('<?xml version="1.0" encoding="utf-16"?>\r\n<license regserial="' +
          xmlEsc(okt.regserial) + '" owner="ООО &quot;Тест&quot;" lines="30" operators="10" />\r\n'), 'text/xml; charset=utf-16');
      case 'execsvcscriptplain':
      case 'execsvcscript': {
        const isAsync = String(params.async) === '1';
        let r = null;
        if (isAsync) { if (okt.scripts[params.name]) { runScript(params).catch(() => {}); r = { status: 200, body: '' }; } } else r = await runScript(params);
        if (cmd === 'execsvcscriptplain') return r ? send(res, r.status, r.body) : send(res, 200, '');
        let inner = r ? '      <property_simple key="started" value="1" name="success" />\r\n' +
          '      <property_simple key="startresult" value="0" name="success" />\r\n'
          : '      <property_simple key="started" value="0" name="fail" />\r\n' +
          '      <property_simple key="startresult" value="1" name="fail" />\r\n';
        if (r && !isAsync) {
          const v = Buffer.isBuffer(r.body) ? r.body.toString('utf8') : String(r.body);
          inner += okt.execXmlShape === 'simple' ? '      <property_simple key="returnvalue" name="' + xmlEsc(v) + '" />\r\n'
            : '      <property_cdata key="returnvalue">' + cdata(v) + '</property_cdata>\r\n';
        }
        let xml = mapperXml('result', 1, '    <property_set name="execsvcscript">\r\n' + inner + '    </property_set>\r\n');
        if (okt.execXmlShape === 'broken') xml = xml.slice(0, xml.indexOf('</property_set>'));
        return send(res, 200, utf16(xml), 'text/xml; charset=utf-16');
      }
      case 'tst_getuserstate': {
        const user = okt.users.find((x) => String(x.id).toLowerCase() === String(params.iduser || '').toLowerCase());
        const id = user && String(user.id).toLowerCase();
        const xml = user ? mapperXml('userstate', 1, '    <property_set name="user" id="' + id + '">\r\n' +
          '      <property_simple key="id" value="' + id + '" />\r\n' + '      <property_simple key="state" value="' +
          user.state + '" name="' + (STATE_NAMES[user.state] || 'usUnknown') + '" />\r\n    </property_set>\r\n')
          : mapperXml('userstate', 0, '');
        return send(res, 200, utf16(xml), 'text/xml; charset=utf-16');
      }
    }
    if (cmd.indexOf('wp_') === 0) {
      const user = okt.findUser(params.user || params.line || params.wp);
      if (!user) return send(res, 500, 'Line not found');
      if (cmd === 'wp_autocallstart' || cmd === 'wp_switchcall') {
        if (!params.number) return send(res, 500, 'Number not specified');
        const call = { user: user.login, number: String(params.number), sequence: params.sequence || 'direct', direction: params.direction || '' };
        okt.autocalls.push(call);
        send(res, 200, '');
        if (okt.crm.url && okt.autoPlay && !closed) {
          call.played = okt.playCall('outgoing-callback', Object.assign({ user: user.login, client: call.number }, okt.autoPlayOpts))
            .catch((e) => ({ error: e.message }));
        }
        return;
      }
      if (cmd === 'wp_setuserstate' && params.userstateid) user.state = Number(params.userstateid);
      return send(res, 200, '');
    }
    return send(res, 404, 'Not found');
  }

  // ---- Oktell -> CRM ----
  async function post(url, headers, body, opts) {
    try {
      const r = await common.httpRequest(url, { method: opts.method || 'POST', headers, body, timeoutMs: opts.timeoutMs || 10000 });
      return { status: r.status, headers: r.headers, body: r.body };
    } catch (e) {
      return { status: 0, headers: {}, body: '', error: e.message };
    }
  }
  async function pushNative(payload, opts) {
    const url = opts.url || okt.crm.url;
    if (!url) throw new Error('oktell emulator: okt.crm.url is not set');
    let b64 = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
    if (opts.plusAsSpace) b64 = b64.replace(/\+/g, ' ');
    const body = querystring.stringify({ data: b64 });
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const basic = opts.basic || okt.crm.basic;
    if (basic) headers.Authorization = basicHeader(basic);
    const r = await post(url, headers, body, opts);
    const d = { messages: Array.isArray(payload[0]) ? payload : [payload], status: r.status, responseBody: r.body, decodedReply: decodeReply(r.body) };
    if (r.error) d.error = r.error;
    return d;
  }
  function pickUser(key, notLogin) {
    if (key) { const u = okt.findUser(key); if (!u) throw new Error('oktell emulator: unknown user ' + key); return u; }
    return okt.users.find((u) => u.login !== notLogin) || okt.users[0];
  }

  okt.playCall = async function (scenario, opts) {
    opts = opts || {};
    const user = pickUser(opts.user);
    const user2 = pickUser(opts.user2, user.login);
    const client = String(opts.client || '89161234567').replace(/[^\d#*]/g, '');
    const chainId = opts.chainId || uuid();
    const leg = (u, index, other) => Object.assign({
      callercomment: '', callerdescription: '', callerdirection: 'oktell_pbx', callerid: '', callerinfo: '',
      callerlineid: ZERO_GUID, callerlinenum: '00000', callername: '', canfax: false, canvideo: false, chainid: chainId,
      connectionindex: index, isconference: false, isextline: false, istask: false, userid: u.id, userlogin: u.login,
    }, other);
    const ext = leg(user, 2, { callerdirection: 'city', callerid: client, callerlineid: TRUNK.id, callerlinenum: TRUNK.num, isextline: true });
    const steps = [];
    const add = (method, fields) => steps.push([method, fields]);
    if (scenario === 'incoming-answered' || scenario === 'incoming-missed') {
      add('phoneevent_ringstarted', ext); add('phoneevent_ringstopped', ext);
      if (scenario === 'incoming-answered') { add('phoneevent_commstarted', ext); add('phoneevent_commstopped', ext); }
    } else if (scenario === 'outgoing-callback') {
      const own = leg(user, 1, { callerinfo: 'Автодозвон. Обратный вызов.\nАбонент: ' + client });
      add('phoneevent_acmcallstarted', own); add('phoneevent_ringstarted', own); add('phoneevent_ringstopped', own);
      add('phoneevent_commstarted', ext); add('phoneevent_commstopped', ext); add('phoneevent_acmcallstopped', own);
    } else if (scenario === 'internal') {
      const other = (u) => ({ callerdirection: 'internal', callerid: u.number, callerlineid: u.lineId, callerlinenum: u.number, callername: u.name });
      const a = leg(user, 1, other(user2));
      const b = leg(user2, 2, other(user));
      add('phoneevent_ringstarted', a); add('phoneevent_ringstopped', a);
      add('phoneevent_commstarted', a); add('phoneevent_commstarted', b);
      add('phoneevent_commstopped', a); add('phoneevent_commstopped', b);
    } else throw new Error('oktell emulator: unknown playCall scenario ' + scenario);

    const messages = steps.map((s) => [s[0], sortKeys(Object.assign({ qid: uuid() }, s[1]))]);
    const pushes = opts.batch ? [messages] : messages;
    const gap = opts.gapMs == null ? 5 : opts.gapMs;
    const deliveries = [];
    for (let i = 0; i < pushes.length && !closed; i++) {
      if (i) await sleep(pushes[i][0] === 'phoneevent_commstopped' && opts.talkMs != null ? opts.talkMs : gap);
      for (let k = 0; k < (opts.duplicate ? 2 : 1); k++) deliveries.push(await pushNative(pushes[i], opts));
    }
    const result = { chainId, messages, deliveries, talkSeconds: opts.talkSeconds == null ? 12 : opts.talkSeconds };
    if (opts.record) result.recording = okt.addRecording();
    return result;
  };

  okt.sendProtocol = async function (method, extra, opts) {
    const msg = [method, Object.assign({ qid: uuid() }, extra || {})];
    const d = await pushNative(msg, opts || {});
    return { status: d.status, body: d.responseBody, decodedReply: d.decodedReply, messages: d.messages, error: d.error };
  };

  okt.playScenarioWebhook = async function (scenario, opts) {
    opts = opts || {};
    const url = opts.url || okt.crm.url;
    if (!url) throw new Error('oktell emulator: okt.crm.url is not set');
    const user = pickUser(opts.user);
    const callid = opts.callId || uuid();
    const talk = opts.talkSeconds == null ? 12 : opts.talkSeconds;
    let direction = 'in';
    let client = String(opts.client || '89161234567');
    if (scenario === 'outgoing') direction = 'out';
    else if (scenario === 'internal') { direction = 'internal'; client = pickUser(opts.user2, user.login).number; } else if (scenario !== 'incoming-answered' && scenario !== 'incoming-missed') throw new Error('oktell emulator: unknown webhook scenario ' + scenario);
    const answered = scenario !== 'incoming-missed';
    const recording = answered && opts.record !== false ? okt.addRecording() : null;
    const base = { callid, direction, client, user: user.login };
    const events = [Object.assign({ event: 'ring' }, base)];
    if (answered) events.push(Object.assign({ event: 'answer' }, base));
    const hangup = Object.assign({ event: 'hangup' }, base, { duration: answered ? talk : 0, answered: answered ? 1 : 0 });
    if (recording) {
      const as = opts.recordAs || (opts.recordUrl ? 'url' : 'path');
      if (as === 'url') hangup.record = okt.url + recording.path;
      else if (as === 'playback') hangup.record = okt.url + (okt.playbackPath || '/play/') + recording.id;
      else if (as === 'link') hangup.record = recording.link;
      else hangup.record = recording.path;
    }
    events.push(hangup);

    const transport = opts.transport || 'query';
    const deliveries = [];
    for (let i = 0; i < events.length && !closed; i++) {
      if (i) await sleep(opts.gapMs == null ? 5 : opts.gapMs);
      const fields = events[i];
      if (opts.token != null) fields.token = opts.token;
      const headers = {};
      if (opts.basic) headers.Authorization = basicHeader(typeof opts.basic === 'string' ? { login: 'oktell', password: opts.basic } : opts.basic);
      let target = url, body, method = 'POST';
      if (transport === 'query') {
        method = 'GET';
        target = url + (url.indexOf('?') >= 0 ? '&' : '?') + querystring.stringify(fields);
      } else if (transport === 'form') {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = querystring.stringify(fields);
      } else if (transport === 'json') {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(fields);
      } else throw new Error('oktell emulator: unknown transport ' + transport);
      for (let k = 0; k < (opts.duplicate ? 2 : 1); k++) {
        const r = await post(target, headers, body, Object.assign({}, opts, { method }));
        const d = { fields, status: r.status, responseBody: r.body };
        if (r.error) d.error = r.error;
        deliveries.push(d);
      }
    }
    deliveries.callId = callid;
    deliveries.recording = recording;
    return deliveries;
  };

  const srv = await common.startServer(handle, { host: '127.0.0.1', port: o.port || 0, tls: o.tls });
  okt.url = srv.url;
  okt.port = srv.port;
  okt.server = srv.server;
  okt.close = async function () {
    closed = true;
    timers.forEach((t) => clearTimeout(t));
    timers.clear();
    await srv.close();
  };
  return okt;
}

function membersOutput(users, shape) {
  if (shape === 'json') {
    return JSON.stringify(users.map((u) => (u.number ? { login: u.login, name: u.name, number: u.number } : { login: u.login, name: u.name })));
  }
  const lines = users.map((u) => [u.login, u.name].concat(u.number ? [u.number] : []).join(';'));
  lines.splice(Math.min(2, lines.length), 0, '');
  return lines.join('\r\n') + '\r\n';
}

module.exports = { startOktell, decodeReply, makeMp3, DEFAULT_USERS };
