'use strict';
// Oktell end to end through the vm host, over real HTTP on loopback: the directory, click-to-call,
// native CRM pushes and the scenario webhook into the module's webhook endpoint, call records,
// recording links. Runs on Node 20 and Node 14.16.
const fs = require('fs');
const path = require('path');
const querystring = require('querystring');
const h = require('./helpers');
const common = require('../emulators/common');
const { assert } = h;

const SAMPLE = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'oktell', 'phoneevent_ringstarted.json'), 'utf8');
const LOGIN = 'elma365';
const AUTHS = {
  none: { emulator: { mode: 'none' }, settings: {} },
  password: { emulator: { mode: 'password', password: h.SECRETS.oktellPassword }, settings: { oktellPassword: h.SECRETS.oktellPassword } },
  basic: { emulator: { mode: 'basic', login: LOGIN, password: h.SECRETS.oktellPassword }, settings: { oktellLogin: LOGIN, oktellPassword: h.SECRETS.oktellPassword } },
};

/** Every user-visible string in a result, checked for secrets and credentials in links. */
function clean(x) {
  h.assertNoSecret(x);
  return x === undefined ? x : JSON.parse(JSON.stringify(x));
}

async function rejects(promise, ...fragments) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, 'expected a rejection');
  h.assertNoSecret(error.message);
  for (const f of fragments) assert.ok(error.message.includes(f), `«${error.message}» lacks «${f}»`);
  return error;
}

/** An Oktell emulator, the module in the vm host, and ELMA365's webhook endpoint wired to each other. */
async function rig(c, opts = {}) {
  const auth = AUTHS[opts.auth || 'basic'];
  const okt = c.add(await h.startOktell(Object.assign({ auth: auth.emulator }, opts.emulator || {})));
  const settings = h.oktellSettings(okt, Object.assign({}, auth.settings, opts.secret === false ? {} : { webhookSecret: h.SECRETS.webhookSecret }, opts.settings || {}));
  const mod = h.loadModule({ settings });
  const host = c.add(await h.startWebhookHost(mod));
  okt.crm.url = host.url;
  if (opts.secret !== false) okt.crm.basic = { login: 'oktell', password: h.SECRETS.webhookSecret };
  return { okt, mod, host, fns: mod.fns };
}

/** The host's event values back to the canonical names (NotifyStart, ...). */
const EVENT_NAMES = (() => {
  const e = require('../harness/host').makeEnums(false).VoipWebhookEvent;
  const out = {};
  for (const k of Object.keys(e)) out[e[k]] = k;
  return out;
})();

function kinds(host) {
  return host.events().map((e) => EVENT_NAMES[e.event]);
}

function repliesMatch(deliveries) {
  for (const d of deliveries) {
    assert.strictEqual(d.status, 200, JSON.stringify(d));
    const replies = Array.isArray(d.decodedReply && d.decodedReply[0]) ? d.decodedReply : [d.decodedReply];
    assert.deepStrictEqual(replies.map((r) => r[1].qid), d.messages.map((m) => m[1].qid), 'each message gets a reply with its qid');
  }
}

// LINK_NO_RECORD and LINK_CREDENTIALS (src/i18n/oktell.rs).
const NO_RECORDING = h.say({ en: 'no recording to play', ru: 'Для этого звонка нет записи' });
const CARRIES_CREDENTIALS = h.say({ en: 'carries credentials', ru: 'содержит учётные данные' });

async function fetchBytes(url) {
  return common.httpRequest(url, { binary: true });
}

describe('Oktell: VoipGetMembers', function () {
  const c = h.closer();
  afterEach(() => c.closeAll());

  for (const [script, shape] of [['ELMA365_Users', 'JSON array'], ['ELMA365_UsersLines', 'login;name[;number] lines']]) {
    it(`reads the directory script's ${shape}`, async () => {
      const { okt, fns } = await rig(c, { settings: { oktellMembersScript: script } });
      const members = clean(await fns.VoipGetMembers());
      assert.deepStrictEqual(members, [
        { id: 'ivanov', name: 'Иванов Иван' },
        { id: 'airato', name: 'Айрат Оразов' },
        { id: 'petrova', name: 'Петрова Мария Сергеевна' },
        { id: 'sidorov', name: 'Сидоров Пётр' },
      ]);
      const q = okt.requests.find((r) => r.path === '/execsvcscriptplain');
      assert.strictEqual(q.query.name, script);
      assert.strictEqual(q.query.async, '0');
    });
  }

  it('falls back to execsvcscript and reads its UTF-16 XML on a build without execsvcscriptplain', async () => {
    const { okt, fns } = await rig(c, { auth: 'password', settings: { oktellMembersScript: 'ELMA365_Users' }, emulator: { disabledCommands: ['execsvcscriptplain'] } });
    const members = clean(await fns.VoipGetMembers());
    assert.strictEqual(members.length, 4);
    assert.strictEqual(members[2].name, 'Петрова Мария Сергеевна');
    assert.ok(okt.requests.some((r) => r.path === '/execsvcscript'));
  });

  it('reads the value from <property_simple name=…> XML too', async () => {
    const { fns } = await rig(c, { settings: { oktellMembersScript: 'ELMA365_UsersLines' }, emulator: { disabledCommands: ['execsvcscriptplain'], execXmlShape: 'simple' } });
    assert.strictEqual((await fns.VoipGetMembers()).length, 4);
  });

  it('says when Oktell has no such service script', async () => {
    const { fns } = await rig(c, { settings: { oktellMembersScript: 'NoSuchScript' } });
    await rejects(fns.VoipGetMembers(), 'oktellMembersScript', h.say({ en: 'did not start', ru: 'Oktell его не запустил' }));
  });

  it('says when the script runs but returns nothing', async () => {
    const { okt, fns } = await rig(c, { settings: { oktellMembersScript: 'Empty' } });
    okt.scripts.Empty = () => '';
    await rejects(fns.VoipGetMembers(), 'oktellMembersScript', 'Возвращаемое значение 1');
  });

  it('rejects malformed XML with a clear message', async () => {
    const { fns } = await rig(c, { settings: { oktellMembersScript: 'ELMA365_Users' }, emulator: { disabledCommands: ['execsvcscriptplain'], execXmlShape: 'broken' } });
    await rejects(fns.VoipGetMembers(), h.say({ en: 'unreadable XML', ru: 'нечитаемым XML' }));
  });

  it('reports a malformed script line by its number', async () => {
    const { okt, fns } = await rig(c, { settings: { oktellMembersScript: 'Bad' } });
    okt.scripts.Bad = () => 'ivanov;Иванов\r\n\r\n;no login\r\n';
    await rejects(fns.VoipGetMembers(), h.say({ en: 'line 3', ru: 'строка 3' }));
  });

  it('uses the static oktellMembers list when no script is set', async () => {
    const { okt, fns } = await rig(c, { settings: { oktellMembers: 'ivanov;Иванов Иван;101\n\npetrova\nivanov;again\n' } });
    assert.deepStrictEqual(clean(await fns.VoipGetMembers()), [{ id: 'ivanov', name: 'Иванов Иван' }, { id: 'petrova', name: 'petrova' }]);
    assert.strictEqual(okt.requests.length, 0);
  });

  it('explains both options when neither is set', async () => {
    const { fns } = await rig(c);
    await rejects(fns.VoipGetMembers(), h.say({ en: 'oktellMembersScript («', ru: '» (oktellMembersScript)' }), h.say({ en: 'oktellMembers («', ru: '» (oktellMembers)' }),
      h.say({ en: 'one login;name[;number] per line', ru: 'строками вида логин;имя[;номер]' }));
  });

  it('says credentials were rejected', async () => {
    const { fns } = await rig(c, { settings: { oktellMembersScript: 'ELMA365_Users', oktellPassword: 'wrong' } });
    await rejects(fns.VoipGetMembers(), h.say({ en: 'rejected the credentials', ru: 'Учётные данные отклонены' }), 'oktellLogin', 'oktellPassword');
  });
});

describe('Oktell: VoipGenerateCall', function () {
  const c = h.closer();
  afterEach(() => c.closeAll());

  for (const mode of Object.keys(AUTHS)) {
    it(`starts wp_autocallstart with sequence=back (auth: ${mode})`, async () => {
      const { okt, fns } = await rig(c, { auth: mode, emulator: { autoPlay: false } });
      assert.strictEqual(await fns.VoipGenerateCall('ivanov', '+7 (916) 123-45-67'), undefined);
      assert.deepStrictEqual(okt.autocalls.map((a) => [a.user, a.number, a.sequence, a.direction]), [['ivanov', '79161234567', 'back', '']]);
      const q = okt.requests.filter((r) => r.path === '/wp_autocallstart');
      assert.strictEqual(q.length, 1);
      if (mode === 'password') assert.strictEqual(q[0].query.password, h.SECRETS.oktellPassword);
      if (mode === 'basic') assert.match(q[0].headers.authorization, /^Basic /);
    });
  }

  it('leaves the direction to Oktell except for an internal number', async () => {
    const { okt, fns } = await rig(c, { emulator: { autoPlay: false } });
    await fns.VoipGenerateCall('ivanov', '103');
    assert.strictEqual(okt.autocalls[0].direction, 'pbx');
  });

  it('rejects an unknown user with Oktell\'s text', async () => {
    const { okt, fns } = await rig(c, { emulator: { autoPlay: false } });
    await rejects(fns.VoipGenerateCall('nobody', '89161234567'), h.say({ en: 'Oktell could not start the call for user «nobody»', ru: 'Oktell не смог начать звонок пользователя «nobody»' }), 'Line not found');
    assert.strictEqual(okt.requests.filter((r) => r.path === '/wp_autocallstart').length, 1, 'never retried');
  });

  it('names oktellLogin and oktellPassword on 403', async () => {
    const { fns } = await rig(c, { settings: { oktellPassword: 'wrong' } });
    await rejects(fns.VoipGenerateCall('ivanov', '89161234567'), h.say({ en: 'rejected the credentials', ru: 'Учётные данные отклонены' }), 'oktellLogin', 'oktellPassword');
  });

  it('times out once and does not send the call again', async () => {
    const { okt, fns } = await rig(c, { settings: { requestTimeoutSec: 1 } });
    okt.mode = 'hang';
    await rejects(fns.VoipGenerateCall('ivanov', '89161234567'), h.say({ en: 'No answer from the Oktell server', ru: 'Нет ответа за 1 с: сервер Oktell' }), h.say({ en: 'within 1 s', ru: 'за 1 с' }));
    assert.strictEqual(okt.requests.filter((r) => r.path === '/wp_autocallstart').length, 1, 'never retried');
  });

  it('refuses a number that is not one, without calling Oktell', async () => {
    const { okt, fns } = await rig(c);
    await rejects(fns.VoipGenerateCall('ivanov', 'позвони мне'), h.say({ en: 'not a phone number', ru: 'не номер телефона' }));
    assert.strictEqual(okt.requests.length, 0);
  });
});

describe('Oktell: calls end to end (native CRM pushes)', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('click-to-call: wp_autocallstart → callback pushes → events and exactly one call record', async () => {
    const { okt, host, fns } = await rig(c, { emulator: { autoPlayOpts: { talkMs: 1100 } } });
    await fns.VoipGenerateCall('airato', '8 916 123-45-67');
    const played = await okt.autocalls[0].played;
    assert.ok(!played.error, played.error);
    repliesMatch(played.deliveries);
    assert.deepStrictEqual(kinds(host), ['NotifyOutStart', 'NotifyAnswer', 'NotifyOutEnd']);
    for (const e of host.events()) {
      assert.deepStrictEqual([e.direction, e.srcPhone, e.dstPhone, e.callId], ['out', 'airato', '+79161234567', played.chainId]);
    }
    const records = clean(host.records());
    assert.strictEqual(records.length, 1);
    assert.deepStrictEqual([records[0].direction, records[0].disposition, records[0].srcPhone, records[0].dstPhone, records[0].callId],
      ['out', 'answered', 'airato', '+79161234567', played.chainId]);
    assert.ok(records[0].duration >= 1 && records[0].duration <= 3, `duration ${records[0].duration}`);
    await rejects(fns.VoipGetCallLink(records[0].call), NO_RECORDING);
  });

  it('incoming answered: ring, answer, end and one answered record', async () => {
    const { okt, host } = await rig(c);
    const played = await okt.playCall('incoming-answered', { user: 'petrova', client: '+7 495 123-45-67', talkMs: 1100 });
    repliesMatch(played.deliveries);
    assert.deepStrictEqual(kinds(host), ['NotifyStart', 'NotifyAnswer', 'NotifyEnd']);
    const e = host.events()[0];
    assert.deepStrictEqual([e.direction, e.srcPhone, e.dstPhone], ['in', '+74951234567', 'petrova']);
    const records = host.records();
    assert.strictEqual(records.length, 1);
    assert.strictEqual(records[0].disposition, 'answered');
    assert.ok(records[0].duration >= 1);
  });

  it('incoming missed: no record while it might still be answered, then exactly one missed record', async () => {
    const { okt, host, mod } = await rig(c);
    const played = await okt.playCall('incoming-missed', { user: 'ivanov' });
    assert.deepStrictEqual(kinds(host), ['NotifyStart']);
    assert.strictEqual(host.records().length, 0);
    await okt.sendProtocol('ping');
    assert.strictEqual(host.records().length, 0, 'too early: ringing also stops when someone answers');
    h.skewClock(mod, 91000);
    const pong = await okt.sendProtocol('ping');
    assert.deepStrictEqual(pong.decodedReply, ['pong', { qid: pong.messages[0][1].qid }]);
    const records = host.records();
    assert.strictEqual(records.length, 1);
    assert.deepStrictEqual([records[0].direction, records[0].disposition, records[0].duration, records[0].srcPhone, records[0].dstPhone, records[0].callId],
      ['in', 'no_answer', 0, '+79161234567', 'ivanov', played.chainId]);
    assert.strictEqual(kinds(host).pop(), 'NotifyEnd');
    await okt.sendProtocol('ping');
    h.skewClock(mod, 91000);
    await okt.sendProtocol('ping');
    assert.strictEqual(host.records().length, 1, 'never a second record');
  });

  it('internal: events for both operators make one internal call', async () => {
    const { okt, host } = await rig(c);
    const played = await okt.playCall('internal', { user: 'ivanov', user2: 'airato' });
    repliesMatch(played.deliveries);
    assert.deepStrictEqual(kinds(host), ['NotifyInternal', 'NotifyAnswer', 'NotifyEnd']);
    const records = host.records();
    assert.strictEqual(records.length, 1);
    assert.deepStrictEqual([records[0].direction, records[0].srcPhone, records[0].dstPhone], ['internal', 'airato', 'ivanov']);
  });

  it('duplicates, batches and "+" sent as a space still make exactly one record', async () => {
    const { okt, host, mod } = await rig(c);
    await okt.playCall('incoming-answered', { duplicate: true, plusAsSpace: true, client: '+7 999 999-99-99' });
    await okt.playCall('outgoing-callback', { batch: true, user: 'airato' });
    await okt.playCall('internal', { duplicate: true, batch: true });
    h.skewClock(mod, 200000);
    await okt.sendProtocol('ping');
    await okt.sendProtocol('ping');
    const records = host.records();
    assert.deepStrictEqual(records.map((r) => r.direction), ['in', 'out', 'internal']);
    assert.ok(records.every((r) => r.disposition === 'answered'));
    assert.strictEqual(new Set(records.map((r) => r.callId)).size, 3);
  });

  it('answers Oktell\'s protocol messages in the same (unpacked) format', async () => {
    const { okt } = await rig(c);
    const who = await okt.sendProtocol('whoareyou');
    assert.strictEqual(who.status, 200);
    assert.deepStrictEqual(who.decodedReply, ['iam', { qid: who.messages[0][1].qid, type: 'crm', name: 'ELMA365' }]);
    assert.ok(who.body.trim().startsWith('['), 'plain JSON, not base64');
    const methods = await okt.sendProtocol('getavailablemethods');
    assert.deepStrictEqual(methods.decodedReply[1].methods, []);
    const other = await okt.sendProtocol('setsomething', { x: 1 });
    assert.deepStrictEqual(other.decodedReply, ['setsomething', { qid: other.messages[0][1].qid }]);
  });

  it('maps the captured phoneevent_ringstarted sample (verbatim fixture)', async () => {
    const { host } = await rig(c, { secret: false });
    const body = querystring.stringify({ data: Buffer.from(SAMPLE.trim(), 'utf8').toString('base64') });
    const r = await common.httpRequest(host.url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(JSON.parse(r.body), ['phoneevent_ringstarted', { qid: 'e2382a55-53c1-45bc-be80-13910f31082e' }]);
    const e = host.events()[0];
    assert.deepStrictEqual([EVENT_NAMES[e.event], e.direction, e.srcPhone, e.dstPhone, e.callId],
      ['NotifyOutStart', 'out', 'airato', '+79274513158', 'c6ed99c1-c53a-4224-b4e5-cd58682c8b87']);
  });
});

describe('Oktell: scenario webhook and recordings', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  for (const transport of ['query', 'form', 'json']) {
    it(`a whole call by ${transport}: events, one record, a playable link`, async () => {
      const { okt, host, fns } = await rig(c, { auth: 'none' });
      const d = await okt.playScenarioWebhook('incoming-answered', { transport, token: h.SECRETS.webhookSecret, user: 'ivanov', talkSeconds: 37 });
      assert.ok(d.every((x) => x.status === 200), JSON.stringify(d));
      assert.deepStrictEqual(kinds(host), ['NotifyStart', 'NotifyAnswer', 'NotifyEnd']);
      const records = host.records();
      assert.strictEqual(records.length, 1);
      assert.deepStrictEqual([records[0].duration, records[0].disposition, records[0].callId], [37, 'answered', d.callId]);
      const link = clean(await fns.VoipGetCallLink(records[0].call));
      assert.strictEqual(link, okt.url + d.recording.path);
      const audio = await fetchBytes(link);
      assert.strictEqual(audio.status, 200);
      assert.ok(audio.body.equals(d.recording.bytes));
    });
  }

  it('with Web-API auth, links go to a playback path without credentials and play', async () => {
    const { okt, host, fns } = await rig(c, { auth: 'basic', emulator: { playbackPath: '/play/' } });
    const d = await okt.playScenarioWebhook('incoming-answered', { basic: h.SECRETS.webhookSecret, recordAs: 'playback' });
    const link = clean(await fns.VoipGetCallLink(host.records()[0].call));
    assert.ok(!/password=|@/i.test(link), link);
    const audio = await fetchBytes(link);
    assert.strictEqual(audio.status, 200);
    assert.ok(audio.body.equals(d.recording.bytes));
  });

  it('relative links are made absolute against oktellUrl and never carry the Web-API credentials', async () => {
    for (const mode of ['password', 'basic']) {
      const { okt, host, fns } = await rig(c, { auth: mode });
      await okt.playScenarioWebhook('incoming-answered', { token: h.SECRETS.webhookSecret, recordAs: 'link' });
      const link = clean(await fns.VoipGetCallLink(host.records()[0].call));
      assert.ok(link.startsWith(okt.url + '/downloadrecordbylink?recordlink='), link);
      assert.ok(!/password=|@/i.test(link), link);
      assert.strictEqual((await fetchBytes(link)).status, 403, 'the Oktell endpoint itself still wants auth (see README)');
    }
  });

  it('refuses a recording link that carries credentials', async () => {
    const { fns } = await rig(c);
    await rejects(fns.VoipGetCallLink({ record: `http://elma:${h.SECRETS.oktellPassword}@10.0.0.1/rec/1.mp3` }), CARRIES_CREDENTIALS);
    await rejects(fns.VoipGetCallLink({ record: '/downloadrecordbylink?recordlink=A&password=x' }), CARRIES_CREDENTIALS);
    await rejects(fns.VoipGetCallLink(null), NO_RECORDING);
  });

  it('missed and outgoing calls, repeated deliveries: one record each', async () => {
    const { okt, host } = await rig(c);
    await okt.playScenarioWebhook('incoming-missed', { token: h.SECRETS.webhookSecret, duplicate: true });
    await okt.playScenarioWebhook('outgoing', { transport: 'json', token: h.SECRETS.webhookSecret, duplicate: true, user: 'airato', client: '84951234567' });
    const records = host.records();
    assert.deepStrictEqual(records.map((r) => [r.direction, r.disposition]), [['in', 'no_answer'], ['out', 'answered']]);
    assert.deepStrictEqual([records[1].srcPhone, records[1].dstPhone], ['airato', '+74951234567']);
    assert.deepStrictEqual(kinds(host), ['NotifyStart', 'NotifyEnd', 'NotifyOutStart', 'NotifyAnswer', 'NotifyOutEnd']);
  });

  it('missing callid or an unknown event: 400 with the reason, no event', async () => {
    const { host } = await rig(c, { secret: false });
    let r = await common.httpRequest(host.url + '?event=ring');
    assert.strictEqual(r.status, 400);
    assert.match(r.body, /Missing callid/);
    r = await common.httpRequest(host.url + '?event=explode&callid=1');
    assert.strictEqual(r.status, 400);
    assert.match(r.body, /Unknown event «explode»/);
    assert.strictEqual(host.events().length, 0);
  });
});

describe('Oktell: the webhook secret and malformed input', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('a wrong or missing secret gets 403 and no event, both ways in', async () => {
    const { okt, host } = await rig(c);
    okt.crm.basic = { login: 'oktell', password: 'not-the-secret' };
    const played = await okt.playCall('incoming-answered', {});
    assert.ok(played.deliveries.every((d) => d.status === 403));
    okt.crm.basic = null;
    assert.strictEqual((await okt.sendProtocol('ping')).status, 403);
    const d = await okt.playScenarioWebhook('incoming-answered', { token: 'wrong' });
    assert.ok(d.every((x) => x.status === 403));
    const noToken = await okt.playScenarioWebhook('incoming-missed', { transport: 'form' });
    assert.ok(noToken.every((x) => x.status === 403));
    assert.strictEqual(host.events().length, 0);
    assert.strictEqual(host.records().length, 0);
    for (const r of host.received) h.assertNoSecret(r.result);
  });

  it('the secret may come as ?token= in the CRM URL', async () => {
    const { okt, host } = await rig(c);
    okt.crm.basic = null;
    okt.crm.url = host.url + '?token=' + encodeURIComponent(h.SECRETS.webhookSecret);
    await okt.playCall('incoming-answered', {});
    assert.strictEqual(host.records().length, 1);
  });

  it('without a secret events are accepted, but «Проверить соединение» fails naming webhookSecret', async () => {
    const { okt, host, fns } = await rig(c, { secret: false });
    await okt.playCall('internal', {});
    assert.strictEqual(host.records().length, 1);
    const t = await fns.VoipTestConnection();
    assert.strictEqual(t.success, false, JSON.stringify(t));
    assert.match(t.failReason, h.say({ en: /The PBX answers, but webhookSecret \(«Секрет вебхука»\) is empty/, ru: /АТС отвечает, но «Секрет вебхука» \(webhookSecret\) не заполнен/ }));
  });

  it('malformed base64 or JSON gets 400 and no event', async () => {
    const { host } = await rig(c, { secret: false });
    const post = (body, type) => common.httpRequest(host.url, { method: 'POST', headers: { 'Content-Type': type || 'application/x-www-form-urlencoded' }, body });
    let r = await post('data=%25%25%25%25');
    assert.strictEqual(r.status, 400);
    assert.match(r.body, /not base64/);
    r = await post(querystring.stringify({ data: Buffer.from('{"not": "a message"').toString('base64') }));
    assert.strictEqual(r.status, 400);
    assert.match(r.body, /not JSON/);
    r = await post('{"event": "ring", "callid": ', 'application/json');
    assert.strictEqual(r.status, 400);
    assert.match(r.body, /JSON body does not parse/);
    assert.strictEqual(host.events().length, 0);
  });
});
