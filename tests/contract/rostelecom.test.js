'use strict';
// The Rostelecom contract end to end through the vm host: members, click-to-call, signed call events
// with call records, recordings. The emulator plays the PBX; startWebhookHost plays ELMA365's webhook
// endpoint, so every webhook crosses real HTTP, the module's verification and the shim.
const fs = require('fs');
const path = require('path');
const http = require('http');
const h = require('./helpers');
const { assert } = h;
const { sign } = require('../emulators/rostelecom');
const common = require('../emulators/common');

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'rostelecom');
const fixture = (name) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

// The host harness's enum values (tests/harness/host.js makeEnums).
const EV = { start: 'notify_start', answer: 'notify_answer', end: 'notify_end', outStart: 'notify_out_start', outEnd: 'notify_out_end', internal: 'notify_internal' };

async function setup(c, opts = {}) {
  const pbx = c.add(await h.startRostelecom(opts.pbx || {}));
  const mod = h.loadModule({ settings: h.rtSettings(pbx, opts.settings), enums: opts.enums });
  const host = c.add(await h.startWebhookHost(mod));
  pbx.webhookUrl = host.url;
  return { pbx, mod, host };
}

/** POSTs `body` to the module's webhook with exactly these headers. */
function post(host, body, headers) {
  return common.httpRequest(host.url, { method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, headers), body });
}

function signedHeaders(body, clientId = h.TEST_CLIENT_ID, key = h.TEST_SIGN_KEY) {
  return { 'X-Client-ID': clientId, 'X-Client-Sign': sign(clientId, body, key) };
}

/** Events and records the host received for one call, compacted for comparison. */
function callOf(host, sessionId) {
  const events = host.events().filter((e) => e.callId === sessionId);
  const records = host.records().filter((r) => r.callId === sessionId);
  return { events, records, compact: events.map((e) => [e.event, e.srcPhone, e.dstPhone, e.direction, e.disposition]) };
}

function assertAllAccepted(deliveries) {
  for (const d of deliveries) {
    assert.strictEqual(d.status, 200, `${d.body} → ${d.status} ${d.responseBody}`);
    assert.strictEqual(JSON.parse(d.responseBody).result, 0, d.responseBody);
  }
}

function fetchBinary(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks = [];
      res.on('data', (x) => chunks.push(x));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** The record's link, and proof that it plays: an MPEG audio frame header. */
async function assertPlayable(mod, record) {
  const url = await mod.fns.VoipGetCallLink(record.call);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/records\/[0-9a-f]+\/.+\.mp3$/);
  const mp3 = await fetchBinary(url);
  assert.strictEqual(mp3.status, 200);
  assert.strictEqual(mp3.type, 'audio/mpeg');
  assert.ok(mp3.body.length > 1000 && mp3.body[0] === 0xff && (mp3.body[1] & 0xe0) === 0xe0, 'not an MPEG audio frame');
  return url;
}

const noRtKeys = (mod) => [...mod.storage.map.keys()].filter((k) => k.startsWith('rt:'));

describe('Rostelecom: VoipGetMembers', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('returns one member per user with the PIN as id and display_name → name → PIN; groups are not members', async () => {
    const { pbx, mod } = await setup(c);
    const members = await mod.fns.VoipGetMembers();
    assert.deepStrictEqual(JSON.parse(JSON.stringify(members)), [
      { id: '101', name: 'Иванов Иван' },
      { id: '102', name: 'Петрова Анна' },
      { id: '103', name: 'sidorov' },
    ]);
    const req = pbx.requests.find((q) => q.path === '/users_info');
    assert.strictEqual(req.headers['x-client-sign'], sign(h.TEST_CLIENT_ID, req.body, h.TEST_SIGN_KEY));
  });

  it('tolerates absent optional fields, numeric PINs and a result sent as a string', async () => {
    const users = [{ pin: '201' }, { name: 'x', pin: 202 }, { display_name: 'Only Display', pin: '203' }, { name: 'nopin' }];
    const { mod } = await setup(c, { pbx: { users, groups: [], resultAsString: true } });
    assert.deepStrictEqual(JSON.parse(JSON.stringify(await mod.fns.VoipGetMembers())), [
      { id: '201', name: '201' },
      { id: '202', name: 'x' },
      { id: '203', name: 'Only Display' },
    ]);
  });

  it('rejects with the settings to check when the signature is refused, without the key', async () => {
    const { mod } = await setup(c, { settings: { rtSignKey: 'WRONGKEY0000' } });
    await assert.rejects(mod.fns.VoipGetMembers(), (e) => {
      h.assertNoSecret(e.message, ['WRONGKEY0000']);
      return h.say({ en: /rejected the credentials/, ru: /Учётные данные отклонены/ }).test(e.message) && /rtSignKey/.test(e.message);
    });
  });
});

describe('Rostelecom: VoipGenerateCall', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  const callBacks = (pbx) => pbx.requests.filter((q) => q.path === '/call_back');

  it('sends a signed call_back with from_pin and the canonical +E.164 number', async () => {
    const { pbx, mod } = await setup(c, { pbx: { autoPlayCallback: false } });
    assert.strictEqual(await mod.fns.VoipGenerateCall('101', '8 (916) 123-45-67'), undefined);
    const [req] = callBacks(pbx);
    assert.deepStrictEqual(req.json, { from_pin: '101', request_number: '+79161234567' });
    assert.strictEqual(req.headers['x-client-sign'], sign(h.TEST_CLIENT_ID, req.body, h.TEST_SIGN_KEY));
  });

  it('sends from_sipuri without sip: for a SIP address', async () => {
    const { pbx, mod } = await setup(c, { pbx: { autoPlayCallback: false } });
    await mod.fns.VoipGenerateCall('sip:petrova@demo.cloudpbx.rt.ru', '+7 495 123-45-67');
    assert.deepStrictEqual(callBacks(pbx)[0].json, { from_sipuri: 'petrova@demo.cloudpbx.rt.ru', request_number: '+74951234567' });
  });

  it('rejects result -20 with the PBX message and both numbers, sent once', async () => {
    const { pbx, mod } = await setup(c);
    await assert.rejects(mod.fns.VoipGenerateCall('999', '89161234567'), (e) => {
      for (const part of ['-20', 'Ошибка при попытке выполнения обратного вызова', 'PIN 999', '+79161234567']) {
        assert.ok(e.message.includes(part), `«${e.message}» lacks «${part}»`);
      }
      return true;
    });
    assert.strictEqual(callBacks(pbx).length, 1);
  });

  for (const mode of ['hang', 'http500']) {
    it(`is never retried (PBX ${mode})`, async () => {
      const { pbx, mod } = await setup(c, { settings: { requestTimeoutSec: 1 } });
      pbx.mode = mode;
      await assert.rejects(mod.fns.VoipGenerateCall('101', '+79161234567'), h.say({
        en: /Click-to-call from PIN 101 to \+79161234567|not like the PBX/,
        ru: /Звонок из карточки( не удался)? \(PIN 101 → \+79161234567\)|Ответ не похож на ответ АТС/,
      }));
      await new Promise((r) => setTimeout(r, 300));
      assert.strictEqual(callBacks(pbx).length, 1);
    });
  }

  it('refuses an srcPhone that is not an employee, and a dstPhone that is not a number, without calling', async () => {
    const { pbx, mod } = await setup(c);
    await assert.rejects(mod.fns.VoipGenerateCall('+79161234567', '+79031112233'), h.say({ en: /srcPhone «\+79161234567» is not a Rostelecom employee/, ru: /srcPhone «\+79161234567» — не сотрудник ВАТС Ростелеком/ }));
    await assert.rejects(mod.fns.VoipGenerateCall('101', 'call me'), h.say({ en: /dstPhone «call me» is not a phone number/, ru: /dstPhone «call me» — не номер, который АТС может набрать/ }));
    assert.strictEqual(callBacks(pbx).length, 0);
  });
});

describe('Rostelecom: calls end to end (call events → events and one call record → link → mp3)', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('click-to-call: call_back, then the outbound call it produces', async () => {
    const { pbx, mod, host } = await setup(c);
    await mod.fns.VoipGenerateCall('101', '+7 916 123-45-67');
    const [played] = await Promise.all(pbx.autoPlays);
    assertAllAccepted(played.deliveries);
    const call = callOf(host, played.sessionId);
    assert.deepStrictEqual(call.compact, [
      [EV.outStart, '101', '+79161234567', 'out', 'unknown'],
      [EV.answer, '101', '+79161234567', 'out', 'answered'],
      [EV.outEnd, '101', '+79161234567', 'out', 'answered'],
    ]);
    assert.strictEqual(call.records.length, 1);
    const rec = call.records[0];
    assert.deepStrictEqual(
      { direction: rec.direction, disposition: rec.disposition, srcPhone: rec.srcPhone, dstPhone: rec.dstPhone, duration: rec.duration, callId: rec.callId },
      { direction: 'out', disposition: 'answered', srcPhone: '101', dstPhone: '+79161234567', duration: 14, callId: played.sessionId });
    assert.deepStrictEqual(JSON.parse(JSON.stringify(rec.call)), { provider: 'rostelecom', sessionId: played.sessionId });
    await assertPlayable(mod, rec);
  });

  it('incoming, answered: the line rings, then the employee; dstPhone becomes the PIN', async () => {
    const { pbx, mod, host } = await setup(c);
    const played = await pbx.playCall('incoming-answered', { from: '89161234567', pin: '101' });
    assertAllAccepted(played.deliveries);
    const call = callOf(host, played.sessionId);
    assert.deepStrictEqual(call.compact, [
      [EV.start, '+79161234567', '+74992222222', 'in', 'unknown'],
      [EV.start, '+79161234567', '101', 'in', 'unknown'],
      [EV.answer, '+79161234567', '101', 'in', 'answered'],
      [EV.end, '+79161234567', '101', 'in', 'answered'],
    ]);
    assert.strictEqual(call.records.length, 1);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(call.records[0])), {
      call: { provider: 'rostelecom', sessionId: played.sessionId }, callId: played.sessionId, direction: 'in',
      disposition: 'answered', srcPhone: '+79161234567', dstPhone: '101', duration: 14,
    });
    assert.ok(pbx.requests.some((q) => q.path === '/call_info' && q.json.session_id === played.sessionId), 'call_info asked on end');
    await assertPlayable(mod, call.records[0]);
  });

  it('incoming, missed: no answer, no duration, nothing to play', async () => {
    const { pbx, host } = await setup(c);
    const played = await pbx.playCall('incoming-missed');
    assertAllAccepted(played.deliveries);
    const call = callOf(host, played.sessionId);
    assert.deepStrictEqual(call.compact.map((e) => [e[0], e[2], e[4]]), [
      [EV.start, '+74992222222', 'unknown'], [EV.start, '101', 'unknown'], [EV.end, '101', 'no_answer'],
    ]);
    assert.strictEqual(call.records.length, 1);
    assert.deepStrictEqual([call.records[0].disposition, call.records[0].duration, call.records[0].call], ['no_answer', 0, null]);
  });

  it('incoming, busy', async () => {
    const { pbx, host } = await setup(c);
    const played = await pbx.playCall('incoming-busy');
    assertAllAccepted(played.deliveries);
    const call = callOf(host, played.sessionId);
    assert.deepStrictEqual(call.compact.map((e) => e[0]), [EV.start, EV.start, EV.end]);
    assert.deepStrictEqual([call.records.length, call.records[0].disposition, call.records[0].duration], [1, 'busy', 0]);
  });

  it('incoming, transferred: two connected/disconnected pairs are one call with one record', async () => {
    const { pbx, mod, host } = await setup(c);
    const played = await pbx.playCall('incoming-transferred', { pin: '101', pin2: '102' });
    assertAllAccepted(played.deliveries);
    const call = callOf(host, played.sessionId);
    assert.strictEqual(host.events().length, call.events.length, 'every event carries the session id');
    assert.deepStrictEqual(call.compact.map((e) => [e[0], e[2]]), [
      [EV.start, '+74992222222'], [EV.start, '101'], [EV.answer, '101'], [EV.start, '102'], [EV.answer, '102'], [EV.end, '102'],
    ]);
    assert.strictEqual(host.records().length, 1);
    assert.deepStrictEqual([call.records[0].dstPhone, call.records[0].disposition, call.records[0].duration], ['102', 'answered', 14]);
    await assertPlayable(mod, call.records[0]);
  });

  it('outbound, not answered', async () => {
    const { pbx, host } = await setup(c);
    const played = await pbx.playCall('outbound-missed', { pin: '102', from: '79031112233' });
    const call = callOf(host, played.sessionId);
    assert.deepStrictEqual(call.compact, [
      [EV.outStart, '102', '+79031112233', 'out', 'unknown'],
      [EV.outEnd, '102', '+79031112233', 'out', 'no_answer'],
    ]);
    assert.deepStrictEqual([call.records.length, call.records[0].disposition, call.records[0].call], [1, 'no_answer', null]);
  });

  it('internal: both parties are employees, named by PIN once known', async () => {
    const { pbx, mod, host } = await setup(c);
    const played = await pbx.playCall('internal', { pin: '101', pin2: '102' });
    assertAllAccepted(played.deliveries);
    const call = callOf(host, played.sessionId);
    assert.deepStrictEqual(call.compact, [
      [EV.internal, '101', 'petrova', 'internal', 'unknown'],
      [EV.internal, '101', '102', 'internal', 'unknown'],
      [EV.answer, '101', '102', 'internal', 'answered'],
      [EV.end, '101', '102', 'internal', 'answered'],
    ]);
    assert.deepStrictEqual([call.records.length, call.records[0].direction, call.records[0].srcPhone, call.records[0].dstPhone], [1, 'internal', '101', '102']);
    await assertPlayable(mod, call.records[0]);
  });

  it('a host without NotifyInternal gets no internal start events, but still the answer, end and record', async () => {
    const { pbx, host } = await setup(c, { enums: 'partial' });
    const played = await pbx.playCall('internal');
    const call = callOf(host, played.sessionId);
    assert.deepStrictEqual(call.compact.map((e) => e[0]), [EV.answer, EV.end]);
    assert.strictEqual(call.records.length, 1);
  });

  it('every webhook delivered twice (PBX retries) gives no second event and no second record', async () => {
    const { pbx, host } = await setup(c);
    const once = await pbx.playCall('incoming-transferred');
    const twice = await pbx.playCall('incoming-transferred', { duplicate: true });
    assertAllAccepted(twice.deliveries);
    assert.strictEqual(twice.deliveries.length, 2 * once.deliveries.length);
    const a = callOf(host, once.sessionId);
    const b = callOf(host, twice.sessionId);
    assert.deepStrictEqual(b.compact, a.compact);
    assert.strictEqual(b.records.length, 1);
    assert.strictEqual(pbx.requests.filter((q) => q.path === '/call_info' && q.json.session_id === twice.sessionId).length, 1);
  });

  it('" disconnected " with spaces carries the busy reason (call_info unavailable)', async () => {
    const { pbx, host } = await setup(c);
    pbx.failCallInfo = true;
    const played = await pbx.playCall('incoming-busy', { spacedDisconnected: true });
    assertAllAccepted(played.deliveries);
    assert.ok(played.deliveries.some((d) => d.body.includes('" disconnected "')));
    assert.strictEqual(callOf(host, played.sessionId).records[0].disposition, 'busy');
  });

  it('without call_info, the duration is the talk time between the events, and is_record still gives a link', async () => {
    const { pbx, mod, host } = await setup(c);
    pbx.failCallInfo = true;
    const played = await pbx.playCall('incoming-answered', { talkSeconds: 37, ringSeconds: 9 });
    const [rec] = callOf(host, played.sessionId).records;
    assert.deepStrictEqual([rec.disposition, rec.duration], ['answered', 37]);
    await assertPlayable(mod, rec);
  });

  it('keeps what it stores small, and forgets the call once it is over', async () => {
    const { pbx, mod } = await setup(c);
    const played = await pbx.playCall('incoming-transferred');
    assert.ok(mod.storage.map.get(`rt:c:${played.sessionId}`).includes('"d":1'), 'the call state gives way to a tombstone');
    for (const [k, v] of mod.storage.map) assert.ok(v.length < 2000, `${k} holds ${v.length} chars`);
  });

  it('unknown states answer 200 and produce nothing', async () => {
    const { pbx, host } = await setup(c);
    const body = JSON.stringify({ session_id: 'A1', timestamp: '2018-04-23 15:01:27.214', type: 'incoming', state: 'analytics', from_number: 'sip:79161234567@h', request_number: 'sip:74992222222@h' });
    const r = await pbx.sendSignedWebhook(body);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(JSON.parse(r.body).result, 0);
    assert.strictEqual(host.events().length + host.records().length, 0);
  });
});

describe('Rostelecom: webhook verification', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  const body = JSON.stringify({ session_id: 'V1', timestamp: '2018-04-23 15:01:27.214', type: 'incoming', state: 'new', from_number: 'sip:79161234567@188.254.33.73', from_pin: '', request_number: 'sip:74992222222@188.254.33.73', request_pin: '', disconnect_reason: '', is_record: '' });

  async function refused(setupResult, r, status) {
    assert.strictEqual(r.status, status, r.body);
    assert.doesNotThrow(() => JSON.parse(r.body));
    h.assertNoSecret(r.body);
    assert.strictEqual(setupResult.host.events().length + setupResult.host.records().length, 0);
    assert.deepStrictEqual(noRtKeys(setupResult.mod), []);
  }

  it('accepts a correctly signed event, whatever the case of the header names', async () => {
    const s = await setup(c);
    const hd = signedHeaders(body);
    const r = await post(s.host, body, { 'x-client-id': hd['X-Client-ID'], 'X-CLIENT-SIGN': hd['X-Client-Sign'].toUpperCase() });
    assert.strictEqual(r.status, 200, r.body);
    assert.deepStrictEqual(JSON.parse(r.body), { result: 0, resultMessage: 'ok' });
    assert.strictEqual(s.host.events()[0].callId, 'V1');
  });

  it('refuses a forged signature with 403 and no event', async () => {
    const s = await setup(c);
    await refused(s, await post(s.host, body, signedHeaders(body, h.TEST_CLIENT_ID, 'not-the-key')), 403);
  });

  it('refuses a wrong X-Client-ID with 403', async () => {
    const s = await setup(c);
    await refused(s, await post(s.host, body, signedHeaders(body, 'FFFF0000', h.TEST_SIGN_KEY)), 403);
  });

  for (const missing of ['X-Client-ID', 'X-Client-Sign']) {
    it(`refuses a request without ${missing} with 403`, async () => {
      const s = await setup(c);
      const hd = signedHeaders(body);
      delete hd[missing];
      await refused(s, await post(s.host, body, hd), 403);
    });
  }

  it('refuses a body re-serialised with different spacing (the signature covers the exact bytes)', async () => {
    const s = await setup(c);
    const respaced = JSON.stringify(JSON.parse(body), null, 2);
    await refused(s, await post(s.host, respaced, signedHeaders(body)), 403);
    // The same spaced body is fine when it is the one that was signed.
    const ok = await post(s.host, respaced, signedHeaders(respaced));
    assert.strictEqual(ok.status, 200);
  });

  it('answers a body that is not a string with 400', async () => {
    const s = await setup(c);
    const result = await s.mod.fns.VoipParseWebhookRequest({ method: 'POST', headers: signedHeaders(body), body: JSON.parse(body) });
    assert.strictEqual(result.response._status, 400);
    assert.match(result.response._body, /raw text/);
    assert.strictEqual(result.event, undefined);
  });

  it('answers a body over 64 KB with 413, even when signed', async () => {
    const s = await setup(c);
    const big = JSON.stringify({ session_id: 'BIG', state: 'new', type: 'incoming', pad: 'x'.repeat(70 * 1024) });
    await refused(s, await post(s.host, big, signedHeaders(big)), 413);
    const huge = 'й'.repeat(400 * 1024);
    const result = await s.mod.fns.VoipParseWebhookRequest({ method: 'POST', headers: signedHeaders(huge), body: huge });
    assert.strictEqual(result.response._status, 413);
  });

  it('answers a signed body that is not JSON with 400', async () => {
    const s = await setup(c);
    await refused(s, await post(s.host, 'state=new', signedHeaders('state=new')), 400);
  });
});

describe('Rostelecom: spec payloads (tests/fixtures/rostelecom)', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('verifies the manual\'s test vector body and sign, and refuses it altered', async () => {
    const v = JSON.parse(fixture('sign-test-vector.json'));
    const vecBody = fixture(v.bodyFile);
    const s = await setup(c, { pbx: { clientId: v.clientId, signKey: v.signKey }, settings: { rtClientId: v.clientId, rtSignKey: v.signKey } });
    const accepted = await post(s.host, vecBody, { 'X-Client-ID': v.clientId, 'X-Client-Sign': v.sign });
    assert.strictEqual(accepted.status, 200, accepted.body);
    assert.strictEqual(JSON.parse(accepted.body).result, 0);
    assert.strictEqual(s.host.events().length, 0, 'a call_back body is not a call event');
    const flipped = v.sign.slice(0, -1) + (v.sign.endsWith('0') ? '1' : '0');
    assert.strictEqual((await post(s.host, vecBody, { 'X-Client-ID': v.clientId, 'X-Client-Sign': flipped })).status, 403);
    assert.strictEqual((await post(s.host, vecBody.replace('": "', '":"'), { 'X-Client-ID': v.clientId, 'X-Client-Sign': v.sign })).status, 403);
  });

  it('answers get_number_info at once, leaving routing to the PBX', async () => {
    const s = await setup(c);
    const started = Date.now();
    const r = await s.pbx.sendSignedWebhook(fixture('get_number_info.json'), { path: 'get_number_info' });
    const took = Date.now() - started;
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(JSON.parse(r.body), { result: 0, resultMessage: '', displayName: '', PIN: '' });
    assert.ok(took < 1000, `took ${took} ms`);
    assert.deepStrictEqual(s.pbx.requests, [], 'no API call while the PBX waits');
    assert.strictEqual(s.host.events().length, 0);
  });

  it('maps the spec\'s " disconnected " (busy) then end into one busy record for PIN 317', async () => {
    const s = await setup(c);
    const d = await s.pbx.sendSignedWebhook(fixture('call_events-spaced-disconnected.json'));
    assert.strictEqual(d.status, 200);
    assert.strictEqual(s.host.events().length, 0, 'disconnected emits no event');
    const e = await s.pbx.sendSignedWebhook(fixture('call_events-end.json'));
    assert.strictEqual(e.status, 200);
    const call = callOf(s.host, 'SPEC0000000001');
    assert.deepStrictEqual(call.compact, [[EV.end, '+79771234567', '317', 'in', 'busy']]);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(call.records)), [{
      call: null, callId: 'SPEC0000000001', direction: 'in', disposition: 'busy', srcPhone: '+79771234567', dstPhone: '317', duration: 0,
    }]);
  });
});

describe('Rostelecom: VoipGetCallLink', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('sends ip_adress when rtRecordIp is set', async () => {
    const { pbx, mod, host } = await setup(c, { settings: { rtRecordIp: '203.0.113.10' } });
    const played = await pbx.playCall('incoming-answered');
    await assertPlayable(mod, callOf(host, played.sessionId).records[0]);
    const req = pbx.requests.find((q) => q.path === '/get_record');
    assert.deepStrictEqual(req.json, { ip_adress: '203.0.113.10', session_id: played.sessionId });
  });

  it('says there is no recording yet while the file lags behind, then gives the link', async () => {
    const { pbx, mod, host } = await setup(c);
    pbx.recordReadyAfterMs = 400;
    const played = await pbx.playCall('incoming-answered', { gapMs: 0 });
    const rec = callOf(host, played.sessionId).records[0];
    await assert.rejects(mod.fns.VoipGetCallLink(rec.call), new RegExp(h.say({ en: `No recording \\(yet\\) for session ${played.sessionId}.*Запись не найдена`, ru: `Записи \\(пока\\) нет для сессии ${played.sessionId}.*Запись не найдена` })));
    await new Promise((r) => setTimeout(r, 450));
    await assertPlayable(mod, rec);
  });

  it('gives a clear error for garbage call data, without asking the PBX', async () => {
    const { pbx, mod } = await setup(c);
    for (const bad of [null, undefined, 42, {}, { sessionId: '' }, { sessionId: '../../x' }, '{broken', [1]]) {
      await assert.rejects(mod.fns.VoipGetCallLink(bad), h.say({ en: /VoipGetCallLink got call data it cannot use/, ru: /VoipGetCallLink: непригодные данные звонка/ }));
    }
    await assert.rejects(mod.fns.VoipGetCallLink({ provider: 'oktell', sessionId: 'x' }), h.say({ en: /oktell integration/, ru: /интеграцией oktell/ }));
    assert.strictEqual(pbx.requests.length, 0);
  });

  it('accepts the call data back as JSON text too', async () => {
    const { pbx, mod, host } = await setup(c);
    const played = await pbx.playCall('outbound');
    const rec = callOf(host, played.sessionId).records[0];
    await assertPlayable(mod, { call: JSON.stringify(rec.call) });
  });
});

describe('Rostelecom: VoipOnWebhookUpdated', () => {
  it('keeps the webhook URL in storage', async () => {
    const mod = h.loadModule({ settings: { provider: 'rostelecom', rtClientId: h.TEST_CLIENT_ID, rtSignKey: h.TEST_SIGN_KEY } });
    await mod.fns.VoipOnWebhookUpdated(' https://elma.example.ru/api/extensions/1234/script/webhook \n');
    assert.strictEqual(mod.storage.map.get('voip:webhookUrl'), 'https://elma.example.ru/api/extensions/1234/script/webhook');
  });
});
