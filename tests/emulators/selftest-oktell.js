'use strict';
// Self-test for the Oktell emulator. Plain node, no dependencies: `node tests/emulators/selftest-oktell.js`.
// Exits 0 when every check passes, 1 otherwise.
const http = require('http');
const querystring = require('querystring');
const common = require('./common');
const { startOktell, decodeReply } = require('./oktell');

let failures = 0;
let checks = 0;
function ok(cond, what) {
  checks++;
  if (!cond) { failures++; console.error('FAIL: ' + what); }
}
function eq(a, b, what) { ok(JSON.stringify(a) === JSON.stringify(b), what + ' (got ' + JSON.stringify(a) + ', want ' + JSON.stringify(b) + ')'); }

function req(url, opts) {
  opts = opts || {};
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const r = http.request({ hostname: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method || 'GET', headers: opts.headers || {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => { const buf = Buffer.concat(chunks); resolve({ status: res.statusCode, headers: res.headers, buf, body: buf.toString('utf8') }); });
    });
    r.setTimeout(opts.timeoutMs || 5000, () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end(opts.body);
  });
}
const basic = (l, p) => 'Basic ' + Buffer.from(l + ':' + p).toString('base64');
const utf16Text = (buf) => buf.slice(2).toString('utf16le');

// A tiny CRM: records every request, answers native pushes in the same data=base64(JSON) format.
async function startCrm() {
  const crm = { hits: [] };
  const srv = await common.startServer(async (rq, res) => {
    const body = await common.readBody(rq);
    const u = new URL(rq.url, 'http://x');
    const hit = { method: rq.method, path: u.pathname, query: querystring.parse(u.search.slice(1)), headers: rq.headers, body };
    crm.hits.push(hit);
    if (u.pathname.indexOf('/native') === 0) {
      const data = querystring.parse(body).data;
      hit.data = data;
      let parsed = JSON.parse(Buffer.from(String(data).replace(/ /g, '+'), 'base64').toString('utf8'));
      if (!Array.isArray(parsed[0])) parsed = [parsed];
      hit.messages = parsed;
      const replies = parsed.map((m) => (m[0] === 'whoareyou' ? ['iam', { qid: m[1].qid, type: 'crm', name: 'selftest' }]
        : m[0] === 'ping' ? ['pong', { qid: m[1].qid }] : [m[0], { qid: m[1].qid, result: 'ok' }]));
      const reply = replies.length === 1 ? replies[0] : replies;
      const b64 = Buffer.from(JSON.stringify(reply)).toString('base64');
      if (u.pathname === '/native/json') return common.send(res, 200, 'application/json', JSON.stringify(reply));
      if (u.pathname === '/native/b64') return common.send(res, 200, 'text/plain', b64);
      return common.send(res, 200, 'application/x-www-form-urlencoded', querystring.stringify({ data: b64 }));
    }
    common.sendJson(res, 200, { ok: true });
  });
  crm.url = srv.url;
  crm.close = srv.close;
  return crm;
}

async function testAuthAndLicense() {
  let okt = await startOktell({});
  let r = await req(okt.url + '/getlicenseinfo?detail=regserial');
  eq([r.status, r.body], [200, '1234567'], 'none: regserial');
  ok(/^text\/plain/.test(r.headers['content-type']), 'regserial content-type text/plain');
  r = await req(okt.url + '/getlicenseinfo?detail=confirmdate');
  ok(/^\d\d\.\d\d\.\d{4}$/.test(r.body), 'confirmdate dd.MM.yyyy: ' + r.body);
  r = await req(okt.url + '/getlicenseinfo?detail=updatelimitdate');
  ok(/^\d\d\.\d\d\.\d{4}$/.test(r.body), 'updatelimitdate dd.MM.yyyy');
  r = await req(okt.url + '/getlicenseinfo');
  eq([r.status, r.body], [200, ''], 'no detail -> empty 200');
  r = await req(okt.url + '/getlicensefulltext');
  ok(r.status === 200 && r.body.indexOf('1234567') >= 0, 'getlicensefulltext');
  r = await req(okt.url + '/nosuchcommand');
  eq(r.status, 404, 'unknown command 404');
  eq(okt.requests[0].path, '/getlicenseinfo', 'request log path');
  eq(okt.requests[0].query.detail, 'regserial', 'request log query');
  await okt.close();

  okt = await startOktell({ auth: { mode: 'password', password: 's3cr&t' }, regserial: '7654321' });
  r = await req(okt.url + '/getlicenseinfo?detail=regserial');
  eq([r.status, r.body], [403, 'Forbidden'], 'password: missing -> 403');
  r = await req(okt.url + '/getlicenseinfo?detail=regserial&password=nope');
  eq(r.status, 403, 'password: wrong -> 403');
  r = await req(okt.url + '/getlicenseinfo?detail=regserial&password=' + encodeURIComponent('s3cr&t'));
  eq([r.status, r.body], [200, '7654321'], 'password: right -> 200');
  r = await req(okt.url + '/getlicenseinfo', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'detail=regserial&password=s3cr%26t' });
  eq([r.status, r.body], [200, '7654321'], 'password: POST form');
  r = await req(okt.url + '/getlicenseinfo?detail=regserial', { headers: { Authorization: basic('x', 's3cr&t') } });
  eq(r.status, 403, 'password mode ignores Basic');
  await okt.close();

  okt = await startOktell({ auth: { mode: 'basic', login: 'elma', password: 'Пароль1' } });
  r = await req(okt.url + '/getlicenseinfo?detail=regserial');
  eq(r.status, 403, 'basic: missing -> 403');
  r = await req(okt.url + '/getlicenseinfo?detail=regserial', { headers: { Authorization: basic('elma', 'wrong') } });
  eq(r.status, 403, 'basic: wrong -> 403');
  r = await req(okt.url + '/getlicenseinfo?detail=regserial&password=Пароль1'.replace('Пароль1', encodeURIComponent('Пароль1')));
  eq(r.status, 403, 'basic: password= query not enough');
  r = await req(okt.url + '/getlicenseinfo?detail=regserial', { headers: { Authorization: basic('elma', 'Пароль1') } });
  eq([r.status, r.body], [200, '1234567'], 'basic: right -> 200');
  await okt.close();
}

async function testScripts() {
  const okt = await startOktell({});
  let r = await req(okt.url + '/execsvcscriptplain?name=ELMA365_Users&async=0&timeout=10');
  eq(r.status, 200, 'members json status');
  const users = JSON.parse(r.body);
  ok(Array.isArray(users) && users.length === 4, 'members json array of 4');
  eq(users[0], { login: 'ivanov', name: 'Иванов Иван', number: '101' }, 'members json first user');
  ok(users.some((u) => u.number === undefined), 'members json: one user without number');

  r = await req(okt.url + '/execsvcscriptplain?name=ELMA365_UsersLines&async=0&timeout=10');
  const lines = r.body.split('\r\n');
  ok(lines.indexOf('') >= 0 && lines.indexOf('') < lines.length - 1, 'lines: blank line in the middle');
  ok(lines.indexOf('ivanov;Иванов Иван;101') === 0, 'lines: first line');
  ok(lines.some((l) => l.split(';').length === 2), 'lines: a user without number');
  ok(r.body.replace(/\r\n/g, '').indexOf('\n') < 0, 'lines: CRLF only');

  r = await req(okt.url + '/execsvcscriptplain?name=NoSuchScript&async=0');
  eq([r.status, r.body], [200, ''], 'unknown script -> 200 empty');

  okt.scripts.Custom = (p) => ({ status: 202, body: 'got ' + p.startparam1 + '/' + p.startparam2 });
  r = await req(okt.url + '/execsvcscriptplain?name=Custom&startparam1=a&startparam2=' + encodeURIComponent('б'));
  eq([r.status, r.body], [202, 'got a/б'], 'custom script');

  r = await req(okt.url + '/execsvcscript?name=ELMA365_Users&async=0&timeout=10');
  ok(r.buf[0] === 0xff && r.buf[1] === 0xfe, 'execsvcscript: UTF-16LE BOM');
  ok(/^text\/xml; charset=utf-16$/.test(r.headers['content-type']), 'execsvcscript content-type');
  let xml = utf16Text(r.buf);
  ok(xml.indexOf('<?xml version="1.0" encoding="utf-16"?>') === 0, 'execsvcscript: xml declaration');
  ok(/<property_simple key="started" value="1"/.test(xml), 'execsvcscript: started=1');
  let m = /<property_cdata key="returnvalue"><!\[CDATA\[([\s\S]*?)\]\]><\/property_cdata>/.exec(xml);
  ok(m && JSON.stringify(JSON.parse(m[1])) === JSON.stringify(users), 'execsvcscript: CDATA returnvalue parses back');

  okt.scripts.Tricky = () => 'a]]>b & <c> "d"';
  r = await req(okt.url + '/execsvcscript?name=Tricky');
  xml = utf16Text(r.buf);
  m = xml.match(/<!\[CDATA\[([\s\S]*?)\]\]>/g);
  eq(m.map((x) => x.slice(9, -3)).join(''), 'a]]>b & <c> "d"', 'CDATA split of ]]>');
  okt.execXmlShape = 'simple';
  r = await req(okt.url + '/execsvcscript?name=Tricky');
  xml = utf16Text(r.buf);
  m = /<property_simple key="returnvalue" name="([^"]*)" \/>/.exec(xml);
  ok(m && m[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') === 'a]]>b & <c> "d"', 'simple returnvalue shape');
  r = await req(okt.url + '/execsvcscript?name=NoSuchScript');
  xml = utf16Text(r.buf);
  ok(/key="started" value="0"/.test(xml) && xml.indexOf('returnvalue') < 0, 'execsvcscript unknown: started=0');

  r = await req(okt.url + '/tst_getuserstate?iduser=D8AF50EA-74A6-4A57-B0D5-451962F6C042');
  xml = utf16Text(r.buf);
  ok(r.buf[0] === 0xff && /<data name="userstate" count="1">/.test(xml) && /key="state" value="1" name="usReady"/.test(xml), 'userstate usReady');
  ok(xml.indexOf('id="d8af50ea-74a6-4a57-b0d5-451962f6c042"') > 0, 'userstate lowercase id');
  r = await req(okt.url + '/tst_getuserstate?iduser=00000000-1111-2222-3333-444444444444');
  ok(/count="0"/.test(utf16Text(r.buf)), 'userstate unknown -> count 0');
  await okt.close();
}

async function testMisbehaviour() {
  const okt = await startOktell({});
  const u = okt.url + '/getlicenseinfo?detail=regserial';
  okt.mode = 'http500'; eq((await req(u)).status, 500, 'http500');
  okt.mode = 'garbage'; let r = await req(u); ok(r.status === 200 && r.body !== '1234567', 'garbage');
  okt.mode = 'html200'; r = await req(u); ok(r.status === 200 && /<html>/.test(r.body), 'html200');
  okt.mode = 'wrong-service'; eq((await req(u)).status, 404, 'wrong-service');
  okt.mode = 'hang';
  let err = null;
  try { await req(u, { timeoutMs: 300 }); } catch (e) { err = e; }
  ok(err && /timeout/.test(err.message), 'hang -> client timeout');
  const pending = req(u, { timeoutMs: 5000 }).then(() => 'answered', (e) => 'error: ' + e.message);
  await new Promise((res) => setTimeout(res, 50));
  okt.mode = 'normal';
  eq((await req(u)).body, '1234567', 'back to normal');
  await okt.close();
  ok(/^error/.test(await pending), 'close() kills hung request');
}

async function testNativeAndAutocall(crm) {
  const okt = await startOktell({ auth: { mode: 'password', password: 'p' }, crm: { url: crm.url + '/native', basic: { login: 'oktell', password: 'hook' } } });
  let r = await req(okt.url + '/wp_autocallstart?user=nobody&number=89161234567&sequence=back&password=p');
  eq([r.status, r.body], [500, 'Line not found'], 'autocall unknown user -> 500');
  r = await req(okt.url + '/wp_autocallstart?user=ivanov&sequence=back&password=p');
  eq(r.status, 500, 'autocall without number -> 500');
  crm.hits.length = 0;
  r = await req(okt.url + '/wp_autocallstart?user=ivanov&number=%2B74951234567&sequence=back&password=p');
  eq([r.status, r.body], [200, ''], 'autocall ok');
  const call = okt.autocalls[okt.autocalls.length - 1];
  eq([call.user, call.number, call.sequence], ['ivanov', '+74951234567', 'back'], 'autocall recorded');
  const played = await call.played;
  eq(played.messages.map((x) => x[0].replace('phoneevent_', '')), ['acmcallstarted', 'ringstarted', 'ringstopped', 'commstarted', 'commstopped', 'acmcallstopped'], 'callback message order');
  const got = [].concat.apply([], crm.hits.map((h) => h.messages));
  eq(got.length, 6, 'CRM got 6 messages');
  ok(crm.hits.every((h) => h.headers.authorization === basic('oktell', 'hook')), 'CRM push has Basic');
  ok(crm.hits.every((h) => /^application\/x-www-form-urlencoded/.test(h.headers['content-type'])), 'CRM push form content-type');
  const ring = got[1][1];
  const sampleKeys = ['callercomment', 'callerdescription', 'callerdirection', 'callerid', 'callerinfo', 'callerlineid', 'callerlinenum', 'callername', 'canfax', 'canvideo', 'chainid', 'connectionindex', 'isconference', 'isextline', 'istask', 'qid', 'userid', 'userlogin'];
  eq(Object.keys(ring), sampleKeys, 'ringstarted keys as in the captured sample');
  ok(ring.isextline === false && ring.callerdirection === 'oktell_pbx' && /^Автодозвон\. Обратный вызов\.\nАбонент: 74951234567$/.test(ring.callerinfo), 'operator leg like the sample');
  eq([got[3][1].isextline, got[3][1].callerid, got[3][1].userlogin], [true, '74951234567', 'ivanov'], 'client leg commstarted');
  ok(got.every((x) => x[1].chainid === played.chainId), 'one chainid');
  ok(new Set(got.map((x) => x[1].qid)).size === 6, 'unique qids');
  eq(played.deliveries[0].decodedReply, ['phoneevent_acmcallstarted', { qid: got[0][1].qid, result: 'ok' }], 'decodedReply data= form');

  okt.crm.url = crm.url + '/native/json';
  let res = await okt.playCall('incoming-answered', { user: 'airato', client: '89161234567', batch: true });
  eq(res.deliveries.length, 1, 'batch: one push');
  eq(res.deliveries[0].messages.map((x) => x[0]), ['phoneevent_ringstarted', 'phoneevent_ringstopped', 'phoneevent_commstarted', 'phoneevent_commstopped'], 'incoming-answered order');
  ok(res.deliveries[0].messages.every((x) => x[1].isextline === true && x[1].callerid === '89161234567' && x[1].userlogin === 'airato'), 'incoming fields');
  ok(Array.isArray(res.deliveries[0].decodedReply) && res.deliveries[0].decodedReply.length === 4, 'decodedReply plain JSON');

  okt.crm.url = crm.url + '/native/b64';
  crm.hits.length = 0;
  res = await okt.playCall('incoming-missed', { duplicate: true, chainId: 'c6ed99c1-c53a-4224-b4e5-cd58682c8b87', gapMs: 1 });
  eq(res.deliveries.length, 4, 'duplicate: 4 deliveries');
  eq(crm.hits.map((h) => h.messages[0][0]), ['phoneevent_ringstarted', 'phoneevent_ringstarted', 'phoneevent_ringstopped', 'phoneevent_ringstopped'], 'missed order, duplicated');
  eq(crm.hits[0].messages[0][1].qid, crm.hits[1].messages[0][1].qid, 'duplicate repeats the same qid');
  eq(res.chainId, 'c6ed99c1-c53a-4224-b4e5-cd58682c8b87', 'chainId option');
  ok(res.deliveries[0].decodedReply[0] === 'phoneevent_ringstarted', 'decodedReply bare base64');

  okt.crm.url = crm.url + '/native';
  crm.hits.length = 0;
  res = await okt.playCall('internal', { user: 'ivanov', user2: 'petrova', plusAsSpace: true });
  ok(crm.hits.some((h) => h.data.indexOf(' ') >= 0 && h.data.indexOf('+') < 0), 'plusAsSpace: data arrives with spaces');
  const a = res.messages[0][1];
  eq([a.isextline, a.callerid, a.userlogin, a.callername], [false, '103', 'ivanov', 'Петрова Мария Сергеевна'], 'internal ringstarted');
  ok(res.messages.some((x) => x[0] === 'phoneevent_commstarted' && x[1].userlogin === 'petrova' && x[1].callerid === '101'), 'internal: other side too');

  const p = await okt.sendProtocol('whoareyou');
  eq([p.status, p.decodedReply[0], p.decodedReply[1].qid], [200, 'iam', p.messages[0][1].qid], 'whoareyou -> iam');

  eq(decodeReply('data=' + encodeURIComponent(Buffer.from('["pong",{"qid":"1"}]').toString('base64'))), ['pong', { qid: '1' }], 'decodeReply form');
  eq(decodeReply(Buffer.from('[]').toString('base64')), [], 'decodeReply base64');
  eq(decodeReply('{"a":1}'), { a: 1 }, 'decodeReply json');
  eq(decodeReply('<html>'), null, 'decodeReply garbage -> null');

  okt.crm.url = 'http://127.0.0.1:1/none';
  res = await okt.playCall('incoming-missed', { gapMs: 0 });
  ok(res.deliveries.every((d) => d.status === 0 && d.error), 'unreachable CRM -> status 0 with error');
  await okt.close();
}

async function testWebhookAndRecordings(crm) {
  const okt = await startOktell({ auth: { mode: 'basic', login: 'api', password: 'pw' }, crm: { url: crm.url + '/hook?x=1' } });
  const seen = {};
  for (const transport of ['query', 'form', 'json']) {
    crm.hits.length = 0;
    const d = await okt.playScenarioWebhook('incoming-answered', { transport, token: 'tok', user: 'ivanov', client: '+79161234567' });
    eq(d.map((x) => x.status), [200, 200, 200], transport + ': statuses');
    const fields = crm.hits.map((h) => (transport === 'query' ? h.query : transport === 'form' ? querystring.parse(h.body) : JSON.parse(h.body)));
    eq(crm.hits.map((h) => h.method), transport === 'query' ? ['GET', 'GET', 'GET'] : ['POST', 'POST', 'POST'], transport + ': methods');
    eq(fields.map((f) => f.event), ['ring', 'answer', 'hangup'], transport + ': events');
    ok(fields.every((f) => f.callid === d.callId && f.token === 'tok' && f.user === 'ivanov' && f.direction === 'in' && f.client === '+79161234567'), transport + ': common fields');
    eq([String(fields[2].duration), String(fields[2].answered)], ['12', '1'], transport + ': hangup duration/answered');
    eq(fields[2].record, '/download/rec/' + d.recording.id, transport + ': record path');
    if (transport === 'query') eq(crm.hits[0].query.x, '1', 'query: keeps the URL own params');
    if (transport === 'json') ok(/^application\/json/.test(crm.hits[0].headers['content-type']), 'json content-type');
    seen[transport] = d.recording;
  }
  crm.hits.length = 0;
  let d = await okt.playScenarioWebhook('incoming-missed', { transport: 'form', basic: { login: 'oktell', password: 'secret' } });
  const f = querystring.parse(crm.hits[1].body);
  eq([f.event, f.duration, f.answered, f.record, f.token], ['hangup', '0', '0', undefined, undefined], 'missed hangup');
  eq(crm.hits[0].headers.authorization, basic('oktell', 'secret'), 'webhook Basic');
  d = await okt.playScenarioWebhook('outgoing', { transport: 'json', recordUrl: true });
  eq(JSON.parse(crm.hits[crm.hits.length - 1].body).direction, 'out', 'outgoing direction');
  ok(JSON.parse(crm.hits[crm.hits.length - 1].body).record === okt.url + '/download/rec/' + d.recording.id, 'recordUrl absolute');
  d = await okt.playScenarioWebhook('internal', { transport: 'query', user: 'ivanov', user2: 'airato' });
  eq([crm.hits[crm.hits.length - 1].query.direction, crm.hits[crm.hits.length - 1].query.client], ['internal', '102'], 'internal webhook');

  const rec = seen.query;
  let r = await req(okt.url + rec.path);
  eq(r.status, 403, 'download without auth -> 403');
  const auth = { headers: { Authorization: basic('api', 'pw') } };
  r = await req(okt.url + rec.path, auth);
  ok(r.status === 200 && r.headers['content-type'] === 'audio/mpeg', 'download 200 audio/mpeg');
  ok(r.buf.length === 20 * 417 && r.buf[0] === 0xff && r.buf[1] === 0xfb && r.buf[2] === 0x90 && r.buf[3] === 0x64 && r.buf[417] === 0xff, 'mp3 frames');
  r = await req(okt.url + '/downloadrecordbylink?recordlink=' + rec.link, auth);
  ok(r.status === 200 && r.buf.length === 8340, 'downloadrecordbylink');
  r = await req(okt.url + '/download/rec/nope', auth);
  eq(r.status, 404, 'unknown recording 404');
  r = await req(okt.url + '/downloadrecordbylink?recordlink=NOPE', auth);
  eq(r.status, 404, 'unknown link 404');
  await okt.close();
}

// Options the contract tests use: an older build without a command, broken XML, a playback path
// without auth, and the record forms of the scenario webhook.
async function testVariants(crm) {
  const auth = { headers: { Authorization: basic('elma', 'pw') } };
  const okt = await startOktell({ auth: { mode: 'basic', login: 'elma', password: 'pw' }, disabledCommands: ['execsvcscriptplain'], playbackPath: '/play/' });
  let r = await req(okt.url + '/execsvcscriptplain?name=ELMA365_Users', auth);
  eq(r.status, 404, 'disabled command -> 404');
  r = await req(okt.url + '/execsvcscript?name=ELMA365_Users', auth);
  ok(r.status === 200 && utf16Text(r.buf).indexOf('Иванов Иван') > 0, 'execsvcscript still works');
  okt.execXmlShape = 'broken';
  r = await req(okt.url + '/execsvcscript?name=ELMA365_Users', auth);
  const broken = utf16Text(r.buf);
  ok(broken.indexOf('<oktellxmlmapper') >= 0 && broken.indexOf('</oktellxmlmapper>') < 0, 'broken XML is cut short');
  const rec = okt.addRecording('rec-1');
  r = await req(okt.url + '/play/rec-1');
  ok(r.status === 200 && r.buf.equals(rec.bytes), 'playback path serves without auth');
  r = await req(okt.url + '/download/rec/rec-1');
  eq(r.status, 403, 'download/rec still needs auth');
  r = await req(okt.url + '/play/nope');
  eq(r.status, 404, 'unknown playback id 404');
  for (const as of ['path', 'url', 'playback', 'link']) {
    const d = await okt.playScenarioWebhook('incoming-answered', { url: crm.url + '/scenario', recordAs: as, gapMs: 0 });
    const record = d[d.length - 1].fields.record;
    const want = { path: d.recording.path, url: okt.url + d.recording.path, playback: okt.url + '/play/' + d.recording.id, link: d.recording.link }[as];
    eq(record, want, 'recordAs ' + as);
  }
  await okt.close();
}

(async () => {
  const crm = await startCrm();
  const guard = setTimeout(() => { console.error('FAIL: selftest timed out'); process.exit(1); }, 60000);
  try {
    await testAuthAndLicense();
    await testScripts();
    await testMisbehaviour();
    await testNativeAndAutocall(crm);
    await testWebhookAndRecordings(crm);
    await testVariants(crm);
  } catch (e) {
    failures++;
    console.error('FAIL: exception ' + (e && e.stack || e));
  }
  await crm.close();
  clearTimeout(guard);
  console.log((failures ? 'FAILED ' : 'OK ') + (checks - failures) + '/' + checks + ' checks (node ' + process.version + ')');
  process.exitCode = failures ? 1 : 0;
})();
