'use strict';
/**
 * Standalone self-test of the Rostelecom VPBX emulator (tests/emulators/rostelecom.js) and common.js.
 * Run: node tests/emulators/selftest-rostelecom.js   (Node 14.16 and Node 20; exits non-zero on failure).
 * Uses only plain node http/https; the process must exit by itself, which proves close() frees every socket.
 */
const assert = require('assert');
const crypto = require('crypto');
const common = require('./common');
const { startRostelecom, sign, TEST_CLIENT_ID, TEST_SIGN_KEY } = require('./rostelecom');

// Self-signed certificate for 127.0.0.1 (test only, valid 100 years) for the TLS check.
const TEST_KEY = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQChgOkz1ubKbysw',
  'legemKEnKExUZ/tGmkzFSsWDv5RZmwutwb1NMqWYWETCCKeSqEkcTiP9oy1/JuNt',
  'waf1p76bM4eLhhncD/gnI9ETeP4M1Qfop6rRkaYFS7R+w5d773jB6qdyK5ykqRPA',
  'O1aU1bEd51nUe7MsldkFoqcp7c8lBdl3AeUnu/I1EO4Mi4VShavzwWv+ioVXPgzA',
  'SnPyqMj5dKfkavWgzd0fCFAIbtUQMezrLyzTfgSOADsPj4J3+ev4G8iaZ60V2u7x',
  'DBvJCHzp9uVhPqxxEpCEEn+lsaQ0BeAD65NK2UsdwpDe6KlV2svHhKnMI4H+mriL',
  'ZSJTfwS3AgMBAAECggEARecUCNoFPq1rVjYsJ8IMTnSExSvUeLSkcehxIRs0zKvt',
  'HCH1G4rGXfAmoo04aqPoMRYpQcj1Ekn0ujbNyef2+hoNmvhKDRPkZpx8DB+cZlV2',
  'fN7FcrvFzhj8YLmrwXrfG5/DJgl2XVbJM7T7PqRXawgNu4hm/u9E5cmG7QD/XZg/',
  'ivOkmC/URGoLemtcEc9GE/DJoNiKSsoIbZE1MFF7gl0MIIfxUMw7xgQHuwtBxzl7',
  'gRbEhBEe7MF55lfmncgVilIqT89CeNerIW+EevDBx7SAVNEWWcROiW2Z11vIM/W8',
  'XFn0CkUasinYU26W0ibxuvEk/URaPEWRsWqcyzVH4QKBgQDiGvVqCFExryATeMP5',
  'VG58L9JZWghY70ilkQEnfLrYp7s6x/5jLVyoTdCCP3bwSJk/0CxsfZ24tcEHlTYQ',
  'eVHmq1bPvz7dIIj0OcgWmtewJ6YZza+BnErNa/5DlEl1PF3VgsuiZ33+7p5iu2yV',
  '2oAb3MW4euqjm69hcH1alCoyLwKBgQC221x2rxuCaWa85jSLh97WEKfaL6u2ukM9',
  'o0JqNgJWKFAnzb6XdkxTUbK1AtO26Sz3cogbTH5ZZrXM3ddxL3TkTR1yRvThbfaz',
  'rhcvcum7OoGsdvlA3Lv9qwDD+WLYPZTxBG8fLwwM4+MNXeKv0oTMYeuwTFrJ6Y3q',
  'OE5D11rb+QKBgDeYDVOe6+fdeXOQNA9wFSJv17akjnzfiOs8th3xazeuNjkDx6a3',
  'FptDVstPs3ztPNEV7HZYhJlQB0BIDd0LF3oyEsxN57UTNNloA6ybMgFcHlkl28tw',
  'lGvh68jOAynSR/ghitRJwg8WuNbp4o8OBIXVSMBNaLgFpZ+9uvS0jZN9AoGBAIpS',
  '1ldRj1XPtdAftI/4cDEu2ErM1PCdZlAyOANwZ8QVKs1xbkPVUVeV7cHQKaesLD/j',
  'e+JqswmeENiw2FDevWYWj7fqxUPik0TI5PEX1Ie1cnKsbVELqYny2dllxcgejZTk',
  '7cqBJHR7zz5FTz4B2kNhr5Dlsagb7SbJASuAtVLBAoGARg2+A7Hn+iJILqETxyLV',
  'DxrlLXsnavr2UrPbrMYHUOIzgq8wd4snNZaQFJwS5+nkYSA5mTFh3EUbgolpMJvt',
  'qUSr8QSzuHk3WiOVjw8PhJujwn22wG3R7yzNpK3vTo/jD2T8NIR7TMRi9wWPBiFt',
  'Z8YBhK9tjOrldk2tH9sBb/M=',
  '-----END PRIVATE KEY-----',
].join('\n') + '\n';
const TEST_CERT = [
  '-----BEGIN CERTIFICATE-----',
  'MIIDJzCCAg+gAwIBAgIUOY4YixkxsdCRbXWwBLA5tZBB7X8wDQYJKoZIhvcNAQEL',
  'BQAwFDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMTE4MTgyM1oYDzIxMjYx',
  'MDI4MTgxODIzWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwggEiMA0GCSqGSIb3DQEB',
  'AQUAA4IBDwAwggEKAoIBAQChgOkz1ubKbyswlegemKEnKExUZ/tGmkzFSsWDv5RZ',
  'mwutwb1NMqWYWETCCKeSqEkcTiP9oy1/JuNtwaf1p76bM4eLhhncD/gnI9ETeP4M',
  '1Qfop6rRkaYFS7R+w5d773jB6qdyK5ykqRPAO1aU1bEd51nUe7MsldkFoqcp7c8l',
  'Bdl3AeUnu/I1EO4Mi4VShavzwWv+ioVXPgzASnPyqMj5dKfkavWgzd0fCFAIbtUQ',
  'MezrLyzTfgSOADsPj4J3+ev4G8iaZ60V2u7xDBvJCHzp9uVhPqxxEpCEEn+lsaQ0',
  'BeAD65NK2UsdwpDe6KlV2svHhKnMI4H+mriLZSJTfwS3AgMBAAGjbzBtMB0GA1Ud',
  'DgQWBBTnTxZtzVi7nlFByNDt6Pp0+iGqFjAfBgNVHSMEGDAWgBTnTxZtzVi7nlFB',
  'yNDt6Pp0+iGqFjAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGHBH8AAAGCCWxv',
  'Y2FsaG9zdDANBgkqhkiG9w0BAQsFAAOCAQEAj+hF1veqHOwG0rTwG4eB8pskthUE',
  'OHLTv1D5/GQ1G32aOC+ihgBL8291NZ5nT7WKw6LNtOkI8L+XwdzLCSWbxLsjx5wP',
  's9X6CXgK/Gs+0zwjkbEC24qZKQMr6kJ6vGlbo2HMSPbdU/o729tkB93r/QSM3Oqj',
  'XbwsW01kxT5bsa+gaZUmu1Ms8+ST8zWVILcYAhFSoKq7mbzIWJ1mJfwN/HUKoTTo',
  'xU5jN6zWITx5rY//3w9udng6HjvZV/qH4SFliT2O4fQcVczCgICxz1aNcxKBNGll',
  '8AHa1a29WsysvFigrm3/4gGrd6beocTnI4w2utH+qZZY3UPG3byi6gNNWQ==',
  '-----END CERTIFICATE-----',
].join('\n') + '\n';

const watchdog = setTimeout(function () { console.error('FAIL: self-test timed out'); process.exit(2); }, 60000);
watchdog.unref();

let passed = 0;
async function check(name, fn) {
  try { await fn(); passed++; console.log('ok   ' + name); } catch (e) { console.error('FAIL ' + name + '\n     ' + (e && e.stack || e)); process.exitCode = 1; }
}

function api(pbx, method, body, o) {
  o = o || {};
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const cid = o.clientId || pbx.clientId;
  const headers = { 'Content-Type': 'application/json', 'X-Client-ID': cid, 'X-Client-Sign': sign(cid, raw, o.signKey || pbx.signKey) };
  if (o.noHeaders) { delete headers['X-Client-ID']; delete headers['X-Client-Sign']; }
  return common.httpRequest(pbx.url + '/' + method, { method: o.method || 'POST', headers: headers, body: raw, timeoutMs: o.timeoutMs })
    .then(function (r) { let json; try { json = JSON.parse(r.body); } catch (e) { /* not JSON */ } r.json = json; return r; });
}

// A tiny webhook receiver acting as the ELMA365 side: verifies the signature over the raw body.
async function startHook(clientId, signKey) {
  const hook = { received: [], numberInfoReply: { result: 0, resultMessage: '', displayName: 'ООО Ромашка', PIN: '101' } };
  const srv = await common.startServer(async function (req, res) {
    const body = await common.readBody(req);
    const good = req.headers['x-client-id'] === clientId && req.headers['x-client-sign'] === sign(clientId, body, signKey);
    let json; try { json = JSON.parse(body); } catch (e) { /* not JSON */ }
    hook.received.push({ path: req.url, headers: req.headers, body: body, json: json, good: good });
    if (!good) return common.send(res, 403, 'text/plain', 'Forbidden');
    if (json && json.request_number !== undefined && json.session_id === undefined) return common.sendJson(res, 200, hook.numberInfoReply);
    return common.sendJson(res, 200, { result: 0, resultMessage: 'ok' });
  });
  hook.url = srv.url + '/webhook/rt';
  hook.close = srv.close;
  return hook;
}

const TS = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;
const states = function (d) { return d.deliveries.map(function (x) { return JSON.parse(x.body).state; }); };
const events = function (d) { return d.deliveries.map(function (x) { return JSON.parse(x.body); }); };

function checkEvents(evs, type) {
  evs.forEach(function (e) {
    assert.deepStrictEqual(Object.keys(e), ['session_id', 'timestamp', 'type', 'state', 'from_number', 'from_pin',
      'request_number', 'request_pin', 'disconnect_reason', 'is_record']);
    assert.strictEqual(e.type, type);
    assert.ok(TS.test(e.timestamp), e.timestamp);
    assert.ok(/^[A-Za-z0-9]{16}$/.test(e.session_id), e.session_id);
    if (e.state.trim() !== 'disconnected') assert.strictEqual(e.disconnect_reason, '');
    if (e.state !== 'end') assert.strictEqual(e.is_record, '');
  });
  assert.strictEqual(evs[evs.length - 1].state, 'end');
  for (let i = 1; i < evs.length; i++) assert.ok(evs[i].timestamp >= evs[i - 1].timestamp, 'timestamps ascend');
}

async function main() {
  await check('sign() matches the manual test vector', function () {
    const body = '{"request_number": "+74951234567","from_sipuri": "test_user@cloudpbx.rt.ru"}';
    assert.strictEqual(sign('000003C405E6525C64C184258C44EC99', body, '00000716ABDA6D4DFF10F82BCBBFC532'),
      'fc95a524342dc68df90f7488e6d821c5a8a3b667d585490b50ebf939f1202c36');
  });

  const hook = await startHook(TEST_CLIENT_ID, TEST_SIGN_KEY);
  const pbx = await startRostelecom({ clientId: TEST_CLIENT_ID, signKey: TEST_SIGN_KEY });
  pbx.webhookUrl = hook.url;
  assert.ok(/^http:\/\/127\.0\.0\.1:\d+$/.test(pbx.url), pbx.url);

  await check('users_info with a good signature', async function () {
    const r = await api(pbx, 'users_info', {});
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.result, 0);
    assert.strictEqual(r.json.resultMessage, '');
    assert.strictEqual(r.json.users.length, 3);
    assert.ok(r.json.users.some(function (u) { return u.display_name === '' && u.name; }), 'one user without display_name');
    assert.deepStrictEqual(Object.keys(r.json.users[0]), ['display_name', 'name', 'pin', 'email', 'is_supervisor', 'is_operator', 'recording']);
    assert.strictEqual(r.json.groups.length, 1);
    assert.ok(Array.isArray(r.json.groups[0].users_list));
    const last = pbx.requests[pbx.requests.length - 1];
    assert.strictEqual(last.method, 'POST'); assert.strictEqual(last.path, '/users_info'); assert.strictEqual(last.body, '{}');
  });

  await check('the exact manual body is accepted (signature over raw bytes); unknown sipuri -> -20', async function () {
    const r = await api(pbx, 'call_back', '{"request_number": "+74951234567","from_sipuri": "test_user@cloudpbx.rt.ru"}');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.result, -20);
    assert.strictEqual(r.json.resultMessage, 'Ошибка при попытке выполнения обратного вызова');
  });

  await check('auth failures: wrong client id, wrong sign, missing headers', async function () {
    let r = await api(pbx, 'users_info', {}, { clientId: 'DEADBEEF' });
    assert.strictEqual(r.status, 401); assert.strictEqual(r.json.result, 2);
    r = await api(pbx, 'users_info', {}, { signKey: 'wrong' });
    assert.strictEqual(r.status, 401); assert.strictEqual(r.json.result, 3);
    r = await api(pbx, 'users_info', {}, { noHeaders: true });
    assert.strictEqual(r.status, 401); assert.strictEqual(r.json.result, 2);
    // sign of a re-serialised body does not match the bytes actually sent
    const sent = '{ "session_id": "x" }';
    r = await common.postJson(pbx.url + '/call_info', sent, { 'X-Client-ID': TEST_CLIENT_ID,
      'X-Client-Sign': sign(TEST_CLIENT_ID, JSON.stringify(JSON.parse(sent)), TEST_SIGN_KEY) });
    assert.strictEqual(r.status, 401); assert.strictEqual(JSON.parse(r.body).result, 3);
  });

  await check('bad JSON -> 400/4, unknown method -> 404/5, GET -> 405/5', async function () {
    let r = await api(pbx, 'users_info', 'not json{');
    assert.strictEqual(r.status, 400); assert.strictEqual(r.json.result, 4);
    r = await api(pbx, 'users_info', '');
    assert.strictEqual(r.status, 400); assert.strictEqual(r.json.result, 4);
    r = await api(pbx, 'no_such_method', {});
    assert.strictEqual(r.status, 404); assert.strictEqual(r.json.result, 5);
    r = await api(pbx, 'users_info', {}, { method: 'GET' });
    assert.strictEqual(r.status, 405); assert.strictEqual(r.json.result, 5);
  });

  await check('resultAsString makes result "0"', async function () {
    pbx.resultAsString = true;
    const r = await api(pbx, 'users_info', { domain: pbx.domain });
    pbx.resultAsString = false;
    assert.strictEqual(r.json.result, '0');
  });

  await check('misbehaviour modes', async function () {
    pbx.mode = 'http500';
    let r = await api(pbx, 'users_info', {});
    assert.strictEqual(r.status, 500); assert.strictEqual(r.body, 'Internal Server Error');
    assert.ok(/^text\/plain/.test(r.headers['content-type']));
    pbx.mode = 'garbage';
    r = await api(pbx, 'users_info', {});
    assert.strictEqual(r.status, 200); assert.ok(/^application\/json/.test(r.headers['content-type']));
    assert.throws(function () { JSON.parse(r.body); });
    pbx.mode = 'wrong-service';
    r = await api(pbx, 'users_info', {});
    assert.strictEqual(r.status, 404); assert.ok(/^nginx/.test(r.headers.server)); assert.ok(/^text\/html/.test(r.headers['content-type']));
    assert.ok(r.body.indexOf('404 Not Found') >= 0);
    pbx.mode = 'html200';
    r = await api(pbx, 'users_info', {});
    assert.strictEqual(r.status, 200); assert.strictEqual(r.body, '<html><body>Welcome</body></html>');
    pbx.mode = 'hang';
    await assert.rejects(api(pbx, 'users_info', {}, { timeoutMs: 300 }), /timeout/);
    pbx.mode = 'normal';
    r = await api(pbx, 'users_info', {});
    assert.strictEqual(r.json.result, 0);
  });

  await check('call_back parameter validation', async function () {
    let r = await api(pbx, 'call_back', { from_pin: '101' });
    assert.strictEqual(r.json.result, 6);
    r = await api(pbx, 'call_back', { request_number: '+74951234567', from_pin: '101', from_sipuri: 'ivanov@' + pbx.domain });
    assert.strictEqual(r.json.result, 6);
    r = await api(pbx, 'call_back', { request_number: '+74951234567' });
    assert.strictEqual(r.json.result, 6);
    r = await api(pbx, 'call_back', { request_number: '+74951234567', from_pin: '999' });
    assert.strictEqual(r.json.result, -20);
    r = await api(pbx, 'call_back', { request_number: '+74951234567', from_sipuri: 'sip:ivanov@' + pbx.domain });
    assert.strictEqual(r.json.result, -20);
  });

  await check('call_back -> outbound call played to the webhook, then call_info/get_record/mp3', async function () {
    hook.received.length = 0;
    const r = await api(pbx, 'call_back', { request_number: '+74951234567', from_pin: '101' });
    assert.strictEqual(r.json.result, 0);
    assert.ok(/^[A-Za-z0-9]{16}$/.test(r.json.session_id), r.json.session_id);
    const played = await pbx.autoPlays[pbx.autoPlays.length - 1];
    assert.strictEqual(played.sessionId, r.json.session_id);
    assert.deepStrictEqual(states(played), ['new', 'connected', 'disconnected', 'end']);
    assert.ok(played.deliveries.every(function (d) { return d.status === 200 && JSON.parse(d.responseBody).result === 0; }));
    assert.strictEqual(hook.received.length, 4);
    assert.ok(hook.received.every(function (h) { return h.good && h.path === '/webhook/rt' && /^application\/json/.test(h.headers['content-type']); }));
    const evs = events(played);
    checkEvents(evs, 'outbound');
    assert.strictEqual(evs[0].from_pin, '101');
    assert.ok(/^sip:ivanov@/.test(evs[0].from_number));
    assert.ok(/^sip:\+74951234567@/.test(evs[0].request_number));
    assert.strictEqual(evs[2].disconnect_reason, '5');
    assert.strictEqual(evs[3].is_record, 'true');

    const ci = await api(pbx, 'call_info', { session_id: r.json.session_id });
    assert.strictEqual(ci.json.result, 0);
    const info = ci.json.info;
    assert.deepStrictEqual(Object.keys(info), ['call_type', 'direction', 'state', 'orig_number', 'orig_pin', 'dest_number',
      'answering_sipuri', 'answering_pin', 'start_call_date', 'duration', 'session_log', 'is_voicemail', 'is_record',
      'is_fax', 'status_code', 'status_string']);
    assert.strictEqual(info.call_type, 3); assert.strictEqual(info.direction, 2); assert.strictEqual(info.state, 1);
    assert.strictEqual(info.duration, 14); assert.strictEqual(info.orig_pin, '101'); assert.strictEqual(info.is_record, true);
    assert.ok(/^\d{10}$/.test(info.start_call_date), info.start_call_date);

    const gr = await api(pbx, 'get_record', { session_id: r.json.session_id, ip_adress: '10.1.2.3' });
    assert.strictEqual(gr.json.result, 0);
    assert.ok(gr.json.url.indexOf(pbx.url + '/records/') === 0, gr.json.url);
    assert.strictEqual(pbx.requests[pbx.requests.length - 1].ip_adress, '10.1.2.3');
    for (let i = 0; i < 2; i++) { // reusable within its lifetime
      const mp3 = await common.httpRequest(gr.json.url, { binary: true });
      assert.strictEqual(mp3.status, 200);
      assert.strictEqual(mp3.headers['content-type'], 'audio/mpeg');
      assert.strictEqual(mp3.body.length, 20 * 417);
      for (let off = 0; off < mp3.body.length; off += 417) {
        assert.ok(mp3.body[off] === 0xff && mp3.body[off + 1] === 0xfb && mp3.body[off + 2] === 0x90, 'frame header at ' + off);
      }
    }
    const bad = await common.httpRequest(pbx.url + '/records/00112233/' + r.json.session_id + '.mp3');
    assert.strictEqual(bad.status, 404);
    const badIp = await api(pbx, 'get_record', { session_id: r.json.session_id, ip_adress: 'localhost' });
    assert.strictEqual(badIp.json.result, 6);
  });

  await check('autoPlayCallback=false: no webhook traffic', async function () {
    pbx.autoPlayCallback = false;
    const n = pbx.autoPlays.length;
    const r = await api(pbx, 'call_back', { request_number: '84951234567', from_sipuri: 'petrova@' + pbx.domain });
    pbx.autoPlayCallback = true;
    assert.strictEqual(r.json.result, 0);
    assert.strictEqual(pbx.autoPlays.length, n);
  });

  await check('incoming-answered', async function () {
    const d = await pbx.playCall('incoming-answered', { from: '79161234567', pin: '101', line: '74992222222' });
    assert.deepStrictEqual(states(d), ['new', 'calling', 'connected', 'disconnected', 'end']);
    const evs = events(d);
    checkEvents(evs, 'incoming');
    assert.strictEqual(evs[0].from_number, 'sip:79161234567@188.254.33.73');
    assert.ok(/^sip:74992222222@/.test(evs[0].request_number));
    assert.strictEqual(evs[0].request_pin, '');
    assert.strictEqual(evs[1].request_pin, '101');
    assert.strictEqual(evs[2].request_number, 'ivanov@' + pbx.domain);
    assert.strictEqual(evs[3].disconnect_reason, '5');
    assert.strictEqual(evs[4].is_record, 'true');
    const info = (await api(pbx, 'call_info', { session_id: d.sessionId })).json.info;
    assert.strictEqual(info.direction, 1); assert.strictEqual(info.state, 1); assert.strictEqual(info.call_type, 1);
    assert.strictEqual(info.answering_pin, '101'); assert.strictEqual(info.orig_pin, null); assert.strictEqual(info.duration, 14);
  });

  await check('incoming-missed / incoming-busy', async function () {
    let d = await pbx.playCall('incoming-missed', { talkSeconds: 30 });
    assert.deepStrictEqual(states(d), ['new', 'calling', 'end']);
    checkEvents(events(d), 'incoming');
    assert.strictEqual(events(d)[2].is_record, '');
    let info = (await api(pbx, 'call_info', { session_id: d.sessionId })).json.info;
    assert.strictEqual(info.state, 2); assert.strictEqual(info.duration, 0); assert.strictEqual(info.is_record, false);
    assert.strictEqual((await api(pbx, 'get_record', { session_id: d.sessionId })).json.result, 1);
    d = await pbx.playCall('incoming-busy');
    assert.deepStrictEqual(states(d), ['new', 'calling', 'disconnected', 'end']);
    assert.strictEqual(events(d)[2].disconnect_reason, '3');
    info = (await api(pbx, 'call_info', { session_id: d.sessionId })).json.info;
    assert.strictEqual(info.state, 2); assert.strictEqual(info.duration, 0);
  });

  await check('incoming-transferred', async function () {
    const d = await pbx.playCall('incoming-transferred', { pin: '101', pin2: '102' });
    assert.deepStrictEqual(states(d), ['new', 'calling', 'connected', 'disconnected', 'calling', 'connected', 'disconnected', 'end']);
    const evs = events(d);
    checkEvents(evs, 'incoming');
    assert.strictEqual(evs[3].disconnect_reason, '0');
    assert.strictEqual(evs[4].request_pin, '102');
    assert.strictEqual(evs[7].request_pin, '102');
  });

  await check('outbound / outbound-missed / internal', async function () {
    let d = await pbx.playCall('outbound', { pin: '102', from: '79031112233', record: false });
    assert.deepStrictEqual(states(d), ['new', 'connected', 'disconnected', 'end']);
    checkEvents(events(d), 'outbound');
    assert.strictEqual(events(d)[3].is_record, '');
    assert.strictEqual((await api(pbx, 'call_info', { session_id: d.sessionId })).json.info.call_type, 1);
    assert.strictEqual((await api(pbx, 'get_record', { session_id: d.sessionId })).json.result, 1);
    d = await pbx.playCall('outbound-missed');
    assert.deepStrictEqual(states(d), ['new', 'end']);
    assert.strictEqual((await api(pbx, 'call_info', { session_id: d.sessionId })).json.info.state, 2);
    d = await pbx.playCall('internal', { pin: '101', pin2: '103' });
    assert.deepStrictEqual(states(d), ['new', 'calling', 'connected', 'disconnected', 'end']);
    const evs = events(d);
    checkEvents(evs, 'internal');
    assert.strictEqual(evs[0].from_pin, '101'); assert.strictEqual(evs[1].request_pin, '103');
    assert.strictEqual((await api(pbx, 'call_info', { session_id: d.sessionId })).json.info.direction, 3);
  });

  await check('spacedDisconnected, duplicate, sessionId, pretty', async function () {
    const d = await pbx.playCall('incoming-answered', { spacedDisconnected: true, duplicate: true, sessionId: 'FixedSession0001', pretty: true, gapMs: 0 });
    assert.strictEqual(d.sessionId, 'FixedSession0001');
    assert.deepStrictEqual(states(d), ['new', 'new', 'calling', 'calling', 'connected', 'connected', ' disconnected ', ' disconnected ', 'end', 'end']);
    assert.strictEqual(d.deliveries[0].body, d.deliveries[1].body);
    assert.ok(d.deliveries[0].body.indexOf('\n') > 0);
    assert.ok(d.deliveries.every(function (x) { return x.status === 200; }));
  });

  await check('failCallInfo and recordReadyAfterMs', async function () {
    const d = await pbx.playCall('incoming-answered');
    pbx.failCallInfo = true;
    const ci = await api(pbx, 'call_info', { session_id: d.sessionId });
    pbx.failCallInfo = false;
    assert.strictEqual(ci.json.result, 1);
    assert.strictEqual((await api(pbx, 'call_info', { session_id: 'nope' })).json.result, 1);
    pbx.recordReadyAfterMs = 150;
    const d2 = await pbx.playCall('incoming-answered', { gapMs: 0 });
    assert.strictEqual((await api(pbx, 'get_record', { session_id: d2.sessionId })).json.result, 1);
    await new Promise(function (r) { setTimeout(r, 200); });
    assert.strictEqual((await api(pbx, 'get_record', { session_id: d2.sessionId })).json.result, 0);
    pbx.recordReadyAfterMs = 0;
  });

  await check('call_info and get_record work while the end event is being handled', async function () {
    const seen = [];
    const inner = await common.startServer(async function (req, res) {
      const body = await common.readBody(req);
      const e = JSON.parse(body);
      if (e.state === 'end') {
        seen.push((await api(pbx, 'call_info', { session_id: e.session_id })).json.result);
        seen.push((await api(pbx, 'get_record', { session_id: e.session_id })).json.result);
      }
      common.sendJson(res, 200, { result: 0, resultMessage: 'ok' });
    });
    pbx.webhookUrl = inner.url;
    await pbx.playCall('incoming-answered');
    pbx.webhookUrl = hook.url;
    await inner.close();
    assert.deepStrictEqual(seen, [0, 0]);
  });

  await check('prepareCall registers a call for call_info without delivering; answer() without HTTP; keepRequests', async function () {
    const before = hook.received.length;
    const p = pbx.prepareCall('outbound', { sessionId: 'Prepared00000001', pin: '102', from: '79031112233', talkSeconds: 21 });
    assert.strictEqual(p.sessionId, 'Prepared00000001');
    assert.deepStrictEqual(p.events.map(function (e) { return e.state; }), ['new', 'connected', 'disconnected', 'end']);
    checkEvents(p.events.map(function (e) { return JSON.parse(e.body); }), 'outbound');
    p.events.forEach(function (e) {
      assert.strictEqual(e.headers['X-Client-ID'], TEST_CLIENT_ID);
      assert.strictEqual(e.headers['X-Client-Sign'], sign(TEST_CLIENT_ID, e.body, TEST_SIGN_KEY));
    });
    assert.strictEqual(hook.received.length, before, 'nothing delivered');
    assert.strictEqual(pbx.calls.get('Prepared00000001'), p.call);
    const info = (await api(pbx, 'call_info', { session_id: p.sessionId })).json.info;
    assert.strictEqual(info.direction, 2); assert.strictEqual(info.duration, 21); assert.strictEqual(info.orig_pin, '102');
    assert.strictEqual((await api(pbx, 'get_record', { session_id: p.sessionId })).json.result, 1, 'no record before end');
    p.call.endedAt = Date.now();
    assert.strictEqual((await api(pbx, 'get_record', { session_id: p.sessionId })).json.result, 0);
    // The same API in process: the same answers, signature checked.
    const body = JSON.stringify({ session_id: p.sessionId });
    const inproc = await pbx.answer({ method: 'POST', path: '/call_info', body: body,
      headers: { 'X-Client-ID': TEST_CLIENT_ID, 'X-Client-Sign': sign(TEST_CLIENT_ID, body, TEST_SIGN_KEY) } });
    assert.strictEqual(inproc.status, 200);
    assert.deepStrictEqual(JSON.parse(inproc.body).info, info);
    const forged = await pbx.answer({ path: '/call_info', body: body, headers: { 'x-client-id': TEST_CLIENT_ID, 'x-client-sign': 'x' } });
    assert.strictEqual(forged.status, 401); assert.strictEqual(JSON.parse(forged.body).result, 3);
    assert.strictEqual((await pbx.answer({ path: '/nope', body: '{}', headers: {} })).status, 404);
    const n = pbx.requests.length;
    const served = Object.assign({}, pbx.served.call_info);
    pbx.keepRequests = false;
    await api(pbx, 'call_info', { session_id: p.sessionId });
    await pbx.answer({ path: '/call_info', body: body, headers: {} });
    pbx.keepRequests = true;
    assert.strictEqual(pbx.requests.length, n, 'keepRequests=false keeps nothing');
    assert.deepStrictEqual(pbx.served.call_info, { ok: served.ok + 1, failed: served.failed + 1 }, 'but counts what it served');
    pbx.calls.delete(p.sessionId);
    assert.strictEqual((await api(pbx, 'call_info', { session_id: p.sessionId })).json.result, 1, 'forgotten');
  });

  await check('get_number_info webhook', async function () {
    const r = await pbx.sendNumberInfo();
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.PIN, '101');
    const last = hook.received[hook.received.length - 1];
    assert.ok(last.good);
    assert.deepStrictEqual(last.json, { domain: pbx.domain, from_number: '74959561111', request_number: '74992222222' });
  });

  await check('sendSignedWebhook: mis-signed and header-less bodies are rejected by the receiver', async function () {
    let r = await pbx.sendSignedWebhook('{"a":1}', { signKey: 'wrong' });
    assert.strictEqual(r.status, 403);
    r = await pbx.sendSignedWebhook('{"a":1}', { omitHeaders: true });
    assert.strictEqual(r.status, 403);
    assert.strictEqual(hook.received[hook.received.length - 1].headers['x-client-id'], undefined);
    r = await pbx.sendSignedWebhook('{"a":1}', { omitHeaders: ['X-Client-Sign'] });
    assert.strictEqual(r.status, 403);
    r = await pbx.sendSignedWebhook('{"a":1}', { clientId: 'OTHER' });
    assert.strictEqual(r.status, 403);
    r = await pbx.sendSignedWebhook('{"a":1}');
    assert.strictEqual(r.status, 200);
  });

  await check('appendInterfaceName appends /call_events and /get_number_info', async function () {
    pbx.appendInterfaceName = true;
    hook.received.length = 0;
    await pbx.playCall('outbound-missed', { gapMs: 0 });
    await pbx.sendNumberInfo();
    pbx.appendInterfaceName = false;
    assert.deepStrictEqual(hook.received.map(function (h) { return h.path; }),
      ['/webhook/rt/call_events', '/webhook/rt/call_events', '/webhook/rt/get_number_info']);
  });

  await check('unreachable webhook is recorded as status 0 with an error', async function () {
    const dead = await common.startServer(function () {});
    const deadUrl = dead.url;
    await dead.close();
    pbx.webhookUrl = deadUrl;
    const d = await pbx.playCall('outbound-missed', { gapMs: 0 });
    pbx.webhookUrl = hook.url;
    assert.ok(d.deliveries.length === 2 && d.deliveries.every(function (x) { return x.status === 0 && x.error; }));
  });

  await check('close() ends hanging requests and pending auto-plays', async function () {
    pbx.mode = 'hang';
    const pending = api(pbx, 'users_info', {}, { timeoutMs: 20000 }).then(function () { return 'answered'; }, function (e) { return 'error'; });
    await new Promise(function (r) { setTimeout(r, 50); });
    pbx.mode = 'normal';
    pbx.autoPlayDelayMs = 5000;
    const cb = await api(pbx, 'call_back', { request_number: '+74951234567', from_pin: '101' });
    assert.strictEqual(cb.json.result, 0);
    pbx.mode = 'hang';
    const t0 = Date.now();
    await pbx.close();
    assert.strictEqual(await pending, 'error');
    const ap = await pbx.autoPlays[pbx.autoPlays.length - 1];
    assert.strictEqual(ap.cancelled, true);
    assert.ok(Date.now() - t0 < 2000, 'close took ' + (Date.now() - t0) + ' ms');
  });
  await hook.close();

  await check('TLS: https API with the same behaviour', async function () {
    const tpbx = await startRostelecom({ tls: { key: TEST_KEY, cert: TEST_CERT }, clientId: 'CID', signKey: 'KEY', resultAsString: true });
    try {
      assert.ok(/^https:\/\/127\.0\.0\.1:\d+$/.test(tpbx.url));
      const r = await api(tpbx, 'users_info', {});
      assert.strictEqual(r.json.result, '0');
      const bad = await api(tpbx, 'users_info', {}, { signKey: 'x' });
      assert.strictEqual(bad.status, 401);
    } finally {
      await tpbx.close();
    }
  });

  await check('custom users/groups/domain', async function () {
    const cpbx = await startRostelecom({ domain: 'cloudpbx.rt.ru', users: [{ display_name: 'T', name: 'test_user', pin: '317' }], groups: [] });
    try {
      const r = await api(cpbx, 'call_back', '{"request_number": "+74951234567","from_sipuri": "test_user@cloudpbx.rt.ru"}');
      assert.strictEqual(r.json.result, 0); // no webhookUrl: nothing is played
      assert.strictEqual(cpbx.autoPlays.length, 0);
      await assert.rejects(cpbx.playCall('incoming-answered'), /webhookUrl/);
      cpbx.webhookUrl = 'http://127.0.0.1:1/';
      await assert.rejects(cpbx.playCall('no-such-scenario'), /unknown scenario/);
    } finally {
      await cpbx.close();
    }
  });

  console.log((process.exitCode ? 'FAILED' : 'PASSED') + ' (' + passed + ' checks ok, node ' + process.version + ')');
}

main().catch(function (e) { console.error('FAIL (crash) ' + (e && e.stack || e)); process.exitCode = 1; });
