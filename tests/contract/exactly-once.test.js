'use strict';
// Exactly one record per call, nothing lost: every final event delivered twice at the same moment,
// many calls at once, in one instance and across two instances (two vm contexts, as two ELMA365
// workers) that share one storage answering with random latency (0-10 ms); Oktell's missed calls
// collected after the hold time (the module's clock is moved, nobody waits 90 s); and a storage that
// fails still hands out the request's event and record. What the answers to the PBX say is machine-facing
// and English whatever the `language` setting, so those assertions hold in both suite languages.
const h = require('./helpers');
const { assert } = h;
const { sign } = require('../emulators/rostelecom');

/** Counts the records per call id over many results; `check()` asserts exactly one each. */
function ledger() {
  const records = new Map();
  return {
    add(r) {
      if (r && r.callRecord) records.set(r.callRecord.callId, (records.get(r.callRecord.callId) || 0) + 1);
      return r;
    },
    count: () => Array.from(records.values()).reduce((a, b) => a + b, 0),
    check(ids) {
      const dup = Array.from(records).filter(([, n]) => n > 1).map(([id, n]) => `${id}×${n}`);
      const missing = ids.filter((id) => !records.has(id));
      const strange = Array.from(records.keys()).filter((id) => !ids.includes(id));
      assert.deepStrictEqual({ dup, missing, strange }, { dup: [], missing: [], strange: [] });
    },
  };
}

function assertBounded(storage) {
  let longest = 0;
  for (const v of storage.map.values()) longest = Math.max(longest, v.length);
  assert.ok(longest <= 2000, `a stored value of ${longest} characters`);
  return longest;
}

// ---- Rostelecom ---------------------------------------------------------------------------------

function rtDelivery(session, state, pin, extra = {}) {
  const body = JSON.stringify(Object.assign({
    session_id: session, timestamp: '2018-04-23 15:01:27.214', type: 'incoming', state,
    from_number: 'sip:79161234567@188.254.33.73', from_pin: '', request_number: 'sip:74992222222@188.254.33.73',
    request_pin: pin, disconnect_reason: '', is_record: '',
  }, extra));
  return { method: 'POST', headers: { 'X-Client-ID': h.TEST_CLIENT_ID, 'X-Client-Sign': sign(h.TEST_CLIENT_ID, body, h.TEST_SIGN_KEY) }, body, query: {} };
}

// ---- Oktell -------------------------------------------------------------------------------------

function oktPush(payload) {
  const data = Buffer.from(JSON.stringify(payload)).toString('base64');
  return { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `data=${encodeURIComponent(data)}`, query: {} };
}

function oktMsg(method, qid, chain, login = 'ivanov', extra = {}) {
  return [method, Object.assign({ qid, chainid: chain, userlogin: login, isextline: true, callerid: '89161234567', callerdirection: 'city', callerinfo: '' }, extra)];
}

function scenario(query) {
  return { method: 'GET', headers: {}, query, body: '' };
}

const INSTANCES = [['one instance', 1], ['two instances sharing the storage', 2]];

describe('exactly once: final events delivered twice at the same moment', function () {
  this.timeout(60000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  for (const [where, n] of INSTANCES) {
    it(`Rostelecom end, 30 calls at once, ${where}: one record per call`, async () => {
      const pbx = c.add(await h.startRostelecom());
      const storage = h.slowStorage();
      const mods = Array.from({ length: n }, () => h.loadModule({ settings: h.rtSettings(pbx), storage }));
      const at = (i) => mods[i % n].fns.VoipParseWebhookRequest;
      const ids = Array.from({ length: 30 }, (_, i) => `RT-${n}-${i}`);
      const l = ledger();
      await Promise.all(ids.map(async (id, i) => {
        const pin = String(100 + (i % 5));
        assert.strictEqual((await at(i)(rtDelivery(id, 'new', pin))).event.callId, id);
        await at(i + 1)(rtDelivery(id, 'connected', pin));
        const end = rtDelivery(id, 'end', pin);
        const both = await Promise.all([at(i)(end), at(i + 1)(end)]);
        both.forEach((r) => { l.add(r); assert.strictEqual(r.response._status, 200); });
      }));
      l.check(ids);
      // Late repeats after the end: nothing more.
      const late = await Promise.all(ids.slice(0, 5).map((id, i) => at(i)(rtDelivery(id, 'end', '100'))));
      late.forEach((r) => l.add(r));
      l.check(ids);
      assertBounded(storage);
    });

    it(`Oktell commstopped and acmcallstopped, 30 chains at once, ${where}: one record per chain`, async () => {
      const okt = c.add(await h.startOktell());
      const storage = h.slowStorage();
      const mods = Array.from({ length: n }, () => h.loadModule({ settings: h.oktellSettings(okt), storage }));
      const at = (i) => mods[i % n].fns.VoipParseWebhookRequest;
      const ids = Array.from({ length: 30 }, (_, i) => `OK-${n}-${i}`);
      const l = ledger();
      await Promise.all(ids.map(async (id, i) => {
        const login = `op${i % 4}`;
        if (i % 2 === 0) {
          // An answered incoming call; Oktell retries the final message (same qid).
          await at(i)(oktPush(oktMsg('phoneevent_ringstarted', '1', id, login)));
          await at(i + 1)(oktPush(oktMsg('phoneevent_commstarted', '2', id, login)));
          const stop = oktPush(oktMsg('phoneevent_commstopped', '3', id, login));
          (await Promise.all([at(i)(stop), at(i + 1)(stop)])).forEach((r) => l.add(r));
        } else {
          // An unanswered click-to-call.
          await at(i)(oktPush(oktMsg('phoneevent_acmcallstarted', '1', id, login)));
          const stop = oktPush(oktMsg('phoneevent_acmcallstopped', '2', id, login));
          (await Promise.all([at(i)(stop), at(i + 1)(stop)])).forEach((r) => l.add(r));
        }
      }));
      l.check(ids);
      assertBounded(storage);
    });

    it(`Oktell scenario hangup, 30 calls at once, ${where}: one record per call`, async () => {
      const okt = c.add(await h.startOktell());
      const storage = h.slowStorage();
      const mods = Array.from({ length: n }, () => h.loadModule({ settings: h.oktellSettings(okt), storage }));
      const at = (i) => mods[i % n].fns.VoipParseWebhookRequest;
      const ids = Array.from({ length: 30 }, (_, i) => `SC-${n}-${i}`);
      const l = ledger();
      await Promise.all(ids.map(async (id, i) => {
        await at(i)(scenario({ event: 'ring', callid: id, client: '89161234567', user: 'ivanov' }));
        const hangup = scenario({ event: 'hangup', callid: id, duration: '12', answered: '1' });
        (await Promise.all([at(i)(hangup), at(i + 1)(hangup)])).forEach((r) => l.add(r));
      }));
      l.check(ids);
    });
  }
});

describe('exactly once: Oktell missed calls held for the hold time', function () {
  this.timeout(60000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  for (const [where, n] of INSTANCES) {
    it(`40 calls missed at once, ${where}: every missed record comes out once after the hold time`, async () => {
      const okt = c.add(await h.startOktell());
      const storage = h.slowStorage();
      const mods = Array.from({ length: n }, () => h.loadModule({ settings: h.oktellSettings(okt), storage }));
      const at = (i) => mods[i % n].fns.VoipParseWebhookRequest;
      const ids = Array.from({ length: 40 }, (_, i) => `MS-${n}-${i}`);
      const l = ledger();
      await Promise.all(ids.map(async (id, i) => {
        await at(i)(oktPush(oktMsg('phoneevent_ringstarted', '1', id, `op${i % 6}`)));
        l.add(await at(i + 1)(oktPush(oktMsg('phoneevent_ringstopped', '2', id, `op${i % 6}`))));
      }));
      assert.strictEqual(l.count(), 0, 'nothing is missed before the hold time');
      // Before the hold time is over, pings hand out nothing.
      (await Promise.all(Array.from({ length: 4 }, (_, i) => at(i)(oktPush(['ping', { qid: `early${i}` }]))))).forEach((r) => l.add(r));
      assert.strictEqual(l.count(), 0);
      for (const m of mods) h.skewClock(m, 91000);
      let round = 0;
      while (l.count() < ids.length && round < 40) {
        const pings = Array.from({ length: 8 }, (_, i) => at(i)(oktPush(['ping', { qid: `p${round}-${i}` }])));
        for (const r of await Promise.all(pings)) {
          l.add(r);
          assert.ok(!r.callRecord || r.callRecord.disposition !== undefined);
        }
        round++;
      }
      l.check(ids);
      // Nothing is left to hand out.
      (await Promise.all(Array.from({ length: 8 }, (_, i) => at(i)(oktPush(['ping', { qid: `after${i}` }]))))).forEach((r) => l.add(r));
      l.check(ids);
      assertBounded(storage);
    });
  }

  it('a chain that rings again within the hold time is not missed', async () => {
    const okt = c.add(await h.startOktell());
    const storage = h.slowStorage();
    const mod = h.loadModule({ settings: h.oktellSettings(okt), storage });
    const hook = mod.fns.VoipParseWebhookRequest;
    const l = ledger();
    await hook(oktPush(oktMsg('phoneevent_ringstarted', '1', 'again', 'op1')));
    await hook(oktPush(oktMsg('phoneevent_ringstopped', '2', 'again', 'op1')));
    h.skewClock(mod, 30000);
    await hook(oktPush(oktMsg('phoneevent_ringstarted', '3', 'again', 'op2')));
    await hook(oktPush(oktMsg('phoneevent_commstarted', '4', 'again', 'op2')));
    h.skewClock(mod, 91000);
    for (let i = 0; i < 3; i++) l.add(await hook(oktPush(['ping', { qid: `p${i}` }])));
    assert.strictEqual(l.count(), 0, 'answered by the second operator: not missed');
    l.add(await hook(oktPush(oktMsg('phoneevent_commstopped', '5', 'again', 'op2'))));
    l.check(['again']);
  });
});

describe('a storage failure never loses the request', function () {
  this.timeout(30000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  /** A storage whose reads or writes (or both) reject. */
  function failing(what) {
    const map = new Map();
    const fail = () => Promise.reject(new Error('storage service unavailable (ESTORAGE)'));
    return {
      map,
      getItem: (k) => (what.includes('read') ? fail() : Promise.resolve(map.get(k))),
      setItem: (k, v) => (what.includes('write') ? fail() : (map.set(k, v), Promise.resolve())),
      removeItem: (k) => (what.includes('write') ? fail() : (map.delete(k), Promise.resolve())),
    };
  }

  for (const what of ['read', 'write', 'read and write']) {
    it(`Rostelecom: a failing storage ${what} still gives the end's event and record, and the answer says what failed`, async () => {
      const pbx = c.add(await h.startRostelecom());
      const mod = h.loadModule({ settings: h.rtSettings(pbx), storage: failing(what) });
      const hook = mod.fns.VoipParseWebhookRequest;
      const start = await hook(rtDelivery('F1', 'new', '101'));
      assert.strictEqual(start.event.callId, 'F1');
      assert.match(start.response._body, /storage.*failed to (read|write).*storage service unavailable/);
      const end = await hook(rtDelivery('F1', 'end', '101'));
      assert.strictEqual(end.response._status, 200);
      assert.strictEqual(end.callRecord.callId, 'F1');
      assert.strictEqual(end.event.callId, 'F1');
      const body = JSON.parse(end.response._body);
      assert.strictEqual(body.result, 0);
      assert.match(body.warning, /still handed to ELMA365/);
    });

    it(`Oktell: a failing storage ${what} still gives the record of a scenario hangup and of a native commstopped`, async () => {
      const okt = c.add(await h.startOktell());
      const mod = h.loadModule({ settings: h.oktellSettings(okt), storage: failing(what) });
      const hook = mod.fns.VoipParseWebhookRequest;
      const r = await hook(scenario({ event: 'hangup', callid: 'F2', client: '89161234567', user: 'ivanov', duration: '5', answered: '1' }));
      assert.strictEqual(r.callRecord.callId, 'F2');
      assert.match(r.response._body, /failed to (read|write)/);
      const ring = await hook(oktPush(oktMsg('phoneevent_ringstarted', '1', 'F3')));
      assert.strictEqual(ring.event.callId, 'F3', 'the event still goes out');
      assert.match(ring.response._body, /"warning":".*failed to (read|write)/);
      await hook(oktPush(oktMsg('phoneevent_commstarted', '2', 'F3')));
      // Nothing was kept, so the stop alone cannot make a record; it is still answered in Oktell's format.
      const stop = await hook(oktPush(oktMsg('phoneevent_commstopped', '3', 'F3')));
      const reply = JSON.parse(stop.response._body);
      assert.strictEqual(reply[0], 'phoneevent_commstopped', 'the Oktell reply keeps its format');
    });
  }
});
