'use strict';
// A panic in the core must never leave a promise hanging. The test build (`node scripts/build.js
// --panic-test`, which npm test runs) has one input that panics on purpose inside the executor:
// a webhook with a `deliberatePanic` header. The shipped build has no such input.
const fs = require('fs');
const http = require('http');
const h = require('./helpers');
const { assert } = h;
const { PANIC_TEST_TS, MODULE_TS } = require('../harness/host');

/** A Rostelecom API stand-in that answers users_info after `delayMs`. */
async function slowPbx(delayMs) {
  const server = http.createServer((req, res) => {
    req.resume();
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ result: '0', users: [{ pin: '101', display_name: 'Иванов' }], groups: [] }));
    }, delayMs);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

const panicking = (extra = {}) => ({
  method: 'POST',
  headers: Object.assign({ 'X-Client-ID': h.TEST_CLIENT_ID, deliberatePanic: '1' }, extra),
  body: '{}',
  query: {},
});

describe('a panic in the core', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());
  let unhandled;
  const onUnhandled = (e) => unhandled.push(e);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => process.removeListener('unhandledRejection', onUnhandled));

  before(() => {
    assert.ok(fs.existsSync(PANIC_TEST_TS), `${PANIC_TEST_TS} is missing: run "node scripts/build.js --panic-test"`);
  });

  it('the shipped build has no input that panics on purpose', () => {
    const text = fs.readFileSync(MODULE_TS, 'utf8');
    assert.ok(!text.includes('deliberatePanic'));
  });

  it('rejects every call in flight, naming the function and the panic, and the next call gets a fresh core', async () => {
    const pbx = c.add(await slowPbx(400));
    const mod = h.loadModule({ source: PANIC_TEST_TS, settings: h.rtSettings(pbx) });
    const members = mod.fns.VoipGetMembers(); // in flight: waiting for the slow PBX
    await new Promise((r) => setTimeout(r, 50));
    const webhook = mod.fns.VoipParseWebhookRequest(panicking());
    const [m, w] = await Promise.allSettled([members, webhook]);
    assert.strictEqual(w.status, 'rejected');
    assert.match(w.reason.message, h.say({ en: /internal error in VoipParseWebhookRequest: .*a deliberate panic for the test/, ru: /внутренняя ошибка в VoipParseWebhookRequest: .*a deliberate panic for the test/ }));
    assert.strictEqual(m.status, 'rejected', 'a call in flight on the trapped core must not hang or resolve');
    assert.match(m.reason.message, h.say({ en: /internal error in VoipGetMembers: .*a deliberate panic for the test/, ru: /внутренняя ошибка в VoipGetMembers: .*a deliberate panic for the test/ }));
    assert.strictEqual(Object.prototype.toString.call(w.reason), '[object Error]');
    // The late answer to the dead core's fetch changes nothing, and raises nothing.
    await new Promise((r) => setTimeout(r, 500));
    // The next calls run on a fresh instance.
    const again = await mod.fns.VoipGetMembers();
    assert.deepStrictEqual(JSON.parse(JSON.stringify(again)), [{ id: '101', name: 'Иванов' }]);
    const test = await mod.fns.VoipTestConnection();
    assert.strictEqual(test.success, true, JSON.stringify(test));
    assert.deepStrictEqual(unhandled, [], 'no unhandled rejection reached the host');
  });

  it('names no secret that the panicking input carried, and recovers again and again', async () => {
    const pbx = c.add(await slowPbx(0));
    const mod = h.loadModule({ source: PANIC_TEST_TS, settings: h.rtSettings(pbx) });
    for (let i = 0; i < 3; i++) {
      const e = await mod.fns.VoipParseWebhookRequest(panicking({ 'X-Client-Sign': h.TEST_SIGN_KEY })).then(() => null, (x) => x);
      assert.ok(e, 'the panicking call must reject');
      assert.match(e.message, h.say({ en: /internal error in VoipParseWebhookRequest/, ru: /внутренняя ошибка в VoipParseWebhookRequest/ }));
      h.assertNoSecret(e.message);
      const ok = await mod.fns.VoipTestConnection();
      assert.strictEqual(ok.success, true, JSON.stringify(ok));
    }
    assert.deepStrictEqual(unhandled, []);
  });
});
