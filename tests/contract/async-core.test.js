'use strict';
// The core is async Rust awaiting the shim's host: calls on one instance interleave at every await.
// These tests run many calls at once against a storage that answers after a random delay, and check
// that each call gets its own answer, intact, and that a call awaiting a slow PBX does not hold the others up.
const h = require('./helpers');
const { assert } = h;
const { sign } = require('../emulators/rostelecom');

function delivery(session, state, pin) {
  const body = JSON.stringify({
    session_id: session, timestamp: '2018-04-23 15:01:27.214', type: 'incoming', state,
    from_number: 'sip:79161234567@188.254.33.73', from_pin: '', request_number: 'sip:74992222222@188.254.33.73',
    request_pin: pin, disconnect_reason: '', is_record: '',
  });
  return { method: 'POST', headers: { 'X-Client-ID': h.TEST_CLIENT_ID, 'X-Client-Sign': sign(h.TEST_CLIENT_ID, body, h.TEST_SIGN_KEY) }, body, query: {} };
}

describe('the async core on one instance', function () {
  this.timeout(30000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('answers 100 webhooks of 100 calls at once, each with its own event, over a storage with latency', async () => {
    const pbx = c.add(await h.startRostelecom());
    const storage = h.slowStorage(10);
    const mod = h.loadModule({ settings: h.rtSettings(pbx), storage });
    const calls = Array.from({ length: 100 }, (_, i) => ({ session: `S${i}`, pin: String(100 + (i % 7)) }));
    const results = await Promise.all(calls.map((k) => mod.fns.VoipParseWebhookRequest(delivery(k.session, 'new', k.pin))));
    results.forEach((r, i) => {
      assert.strictEqual(r.response._status, 200);
      assert.strictEqual(r.event.event, 'notify_start', JSON.stringify(r));
      assert.strictEqual(r.event.callId, calls[i].session, 'each call gets its own answer');
      assert.strictEqual(r.event.dstPhone, calls[i].pin);
    });
    const answered = await Promise.all(calls.map((k) => mod.fns.VoipParseWebhookRequest(delivery(k.session, 'connected', k.pin))));
    answered.forEach((r, i) => assert.strictEqual(r.event && r.event.callId, calls[i].session));
    for (const k of calls) assert.ok(storage.map.get(`rt:c:${k.session}`), `state of ${k.session} saved`);
  });

  it('a call waiting for a slow PBX does not hold up the webhooks that arrive meanwhile', async () => {
    const pbx = c.add(await h.startRostelecom());
    pbx.mode = 'hang';
    const mod = h.loadModule({ settings: h.rtSettings(pbx, { requestTimeoutSec: 2 }) });
    let membersDone = false;
    const members = mod.fns.VoipGetMembers().then(() => { membersDone = true; }, (e) => { membersDone = true; return e; });
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 20; i++) {
      const r = await mod.fns.VoipParseWebhookRequest(delivery(`W${i}`, 'new', '101'));
      assert.strictEqual(r.event.callId, `W${i}`);
    }
    assert.ok(!membersDone, 'the members call is still waiting for the PBX: the webhooks did not wait for it');
    const e = await members;
    assert.match(e.message, h.say({ en: /No answer from .* within 2 s/, ru: /Нет ответа за 2 с: .+/ }));
  });
});
