'use strict';
// VoipTestConnection for both providers, every outcome an admin can meet, through the vm host; and the
// webhook's health it reports, after real webhook requests over loopback HTTP.
const h = require('./helpers');
const { assert } = h;
const common = require('../emulators/common');
const { sign } = require('../emulators/rostelecom');

async function testConnection(settings) {
  const mod = h.loadModule({ settings });
  const result = await mod.fns.VoipTestConnection();
  h.assertNoSecret(result);
  return result;
}

const REJECTED = () => h.say({ en: 'rejected the credentials', ru: 'Учётные данные отклонены' });
const NOT_PBX = () => h.say({ en: 'not like the PBX would', ru: 'Ответ не похож на ответ АТС' });

function failsWith(result, ...fragments) {
  assert.strictEqual(result.success, false, JSON.stringify(result));
  for (const f of fragments) assert.ok(result.failReason.includes(f), `«${result.failReason}» lacks «${f}»`);
}

describe('VoipTestConnection: settings', () => {
  it('names the provider field when it is missing', async () => {
    failsWith(await testConnection({}), h.say({ en: 'provider («АТС») is empty', ru: '«АТС» (provider): не заполнено' }));
  });
  it('names rtSignKey with its label when it is blank, and never echoes secrets', async () => {
    failsWith(await testConnection({ provider: 'rostelecom', rtClientId: 'abc', rtSignKey: '  ' }),
      h.say({ en: 'rtSignKey («Ключ подписи») is empty', ru: '«Ключ подписи» (rtSignKey): не заполнено' }));
  });
  it('rejects an Oktell URL with a path', async () => {
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: 'http://10.1.1.1:4055/api' }),
      h.say({ en: 'oktellUrl («Адрес сервера Oktell»)', ru: '«Адрес сервера Oktell» (oktellUrl)' }), h.say({ en: 'without a path', ru: 'без пути' }));
  });
  it('rejects a timeout outside 1..60', async () => {
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: 'http://h:4055', requestTimeoutSec: 90 }), 'requestTimeoutSec',
      h.say({ en: 'from 1 to 60', ru: 'от 1 до 60' }));
  });
  it('names an unknown language, in Russian', async () => {
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: 'http://h:4055', language: 'de' }), '«Язык сообщений» (language): имеет значение «de», а нужно ru или en');
  });
  it('speaks the language the setting names, whatever the suite runs in', async () => {
    failsWith(await testConnection({ language: 'EN' }), 'provider («АТС») is empty: choose oktell or rostelecom');
    failsWith(await testConnection({ language: 'ru' }), '«АТС» (provider): не заполнено: выберите oktell или rostelecom');
  });
});

describe('VoipTestConnection: Oktell', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('reports the licence serial with no auth, and says there is no user directory yet', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' }, regserial: '7654321' }));
    const r = await testConnection(h.oktellSettings(okt, { webhookSecret: h.SECRETS.webhookSecret }));
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.ok(r.message.includes(h.say({ en: 'licence reg. serial 7654321', ru: 'рег. номер лицензии 7654321' })), r.message);
    assert.ok(r.message.includes(h.say({ en: 'no user directory yet', ru: 'справочника сотрудников пока нет' })), r.message);
  });

  it('fails when no webhook secret is set, saying what it reached and what to set', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' }, regserial: '7654321' }));
    failsWith(await testConnection(h.oktellSettings(okt)),
      h.say({ en: 'webhookSecret («Секрет вебхука») is empty', ru: '«Секрет вебхука» (webhookSecret) не заполнен' }),
      h.say({ en: 'What was reached: Connected to the Oktell server', ru: 'Что удалось проверить: Соединение установлено: сервер Oktell' }),
      '7654321');
  });

  it('authenticates with password= and counts the directory script users', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'password', password: h.SECRETS.oktellPassword } }));
    const r = await testConnection(h.oktellSettings(okt, { oktellPassword: h.SECRETS.oktellPassword, oktellMembersScript: 'ELMA365_Users', webhookSecret: h.SECRETS.webhookSecret }));
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.match(r.message, h.say({ en: /directory script .*: 4 users/, ru: /справочник из сценария .*, сотрудников: 4/ }));
    const lic = okt.requests.find((q) => q.path === '/getlicenseinfo');
    assert.strictEqual(lic.query.password, h.SECRETS.oktellPassword);
  });

  it('authenticates with Basic auth', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'basic', login: 'elma', password: h.SECRETS.oktellPassword } }));
    const r = await testConnection(h.oktellSettings(okt, { oktellLogin: 'elma', oktellPassword: h.SECRETS.oktellPassword, webhookSecret: h.SECRETS.webhookSecret }));
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.match(okt.requests[0].headers.authorization, /^Basic /);
    assert.strictEqual(okt.requests[0].query.password, undefined);
  });

  it('says auth was rejected and names the login and password fields (Basic)', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'basic', login: 'elma', password: 'right' } }));
    failsWith(await testConnection(h.oktellSettings(okt, { oktellLogin: 'elma', oktellPassword: h.SECRETS.oktellPassword })),
      REJECTED(), 'HTTP 403', 'oktellLogin', 'oktellPassword');
  });

  it('says auth was rejected for a wrong password= and never shows the password', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'password', password: 'right' } }));
    failsWith(await testConnection(h.oktellSettings(okt, { oktellPassword: h.SECRETS.oktellPassword })), REJECTED(), 'oktellPassword');
  });

  it('says credentials are needed when none are set but Oktell wants them', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'password', password: 'right' } }));
    failsWith(await testConnection(h.oktellSettings(okt)), REJECTED(), h.say({ en: 'Oktell wants credentials', ru: 'Oktell требует учётные данные' }));
  });

  it('reports a failing directory script by its setting', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
    failsWith(await testConnection(h.oktellSettings(okt, { oktellMembersScript: 'NoSuchScript' })), 'oktellMembersScript', h.say({ en: 'returned nothing', ru: 'ничего не вернул' }));
  });

  for (const mode of ['wrong-service', 'html200', 'garbage', 'http500']) {
    it(`says the server is not Oktell when it answers like ${mode}`, async () => {
      const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
      okt.mode = mode;
      failsWith(await testConnection(h.oktellSettings(okt)), NOT_PBX(), 'oktellUrl');
    });
  }

  it('says the host is unreachable when the connection is refused', async () => {
    const port = await h.closedPort();
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: `http://127.0.0.1:${port}` }), h.say({ en: 'Cannot reach the Oktell server', ru: 'Нет связи: сервер Oktell' }), 'ECONNREFUSED', 'oktellUrl');
  });

  it('says the host is unreachable when the name does not resolve', async () => {
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: 'http://oktell.nonexistent.invalid:4055' }), h.say({ en: 'Cannot reach', ru: 'Нет связи' }), 'ENOTFOUND');
  });

  it('times out after requestTimeoutSec even though the server keeps the connection open', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
    okt.mode = 'hang';
    const started = Date.now();
    failsWith(await testConnection(h.oktellSettings(okt, { requestTimeoutSec: 1 })), h.say({ en: 'No answer from the Oktell server', ru: 'Нет ответа за 1 с: сервер Oktell' }),
      h.say({ en: 'within 1 s', ru: 'за 1 с' }), 'requestTimeoutSec');
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 4000, `took ${took} ms`);
  });

  it('reports a TLS failure as TLS, not as unreachable (self-signed certificate)', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' }, tls: h.TLS }));
    assert.match(okt.url, /^https:/);
    failsWith(await testConnection(h.oktellSettings(okt)), h.say({ en: 'TLS failure', ru: 'Ошибка TLS' }), 'certificate');
  });
});

describe('VoipTestConnection: Rostelecom', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('reports the number of users from a signed users_info', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    const r = await testConnection(h.rtSettings(pbx));
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.match(r.message, h.say({ en: new RegExp(`${pbx.users.length} users`), ru: new RegExp(`пользователей: ${pbx.users.length}`) }));
    const req = pbx.requests.find((q) => q.path === '/users_info');
    assert.strictEqual(req.headers['x-client-id'], h.TEST_CLIENT_ID);
  });

  it('accepts a result sent as the string "0"', async () => {
    const pbx = c.add(await h.startRostelecom({ resultAsString: true }));
    assert.strictEqual((await testConnection(h.rtSettings(pbx))).success, true);
  });

  it('says the signature was rejected and names both settings', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    failsWith(await testConnection(h.rtSettings(pbx, { rtSignKey: 'WRONGKEY0000' })), REJECTED(), 'rtClientId', 'rtSignKey');
  });

  it('says the client id was rejected', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    failsWith(await testConnection(h.rtSettings(pbx, { rtClientId: 'FFFF' })), REJECTED(), 'rtClientId');
  });

  for (const mode of ['wrong-service', 'html200', 'garbage', 'http500']) {
    it(`says the server is not the Rostelecom API when it answers like ${mode}`, async () => {
      const pbx = c.add(await h.startRostelecom({}));
      pbx.mode = mode;
      failsWith(await testConnection(h.rtSettings(pbx)), NOT_PBX(), 'rtApiUrl');
    });
  }

  it('says the API is unreachable when the connection is refused', async () => {
    const port = await h.closedPort();
    failsWith(await testConnection(h.rtSettings({ url: `http://127.0.0.1:${port}` })), h.say({ en: 'Cannot reach the Rostelecom', ru: 'Нет связи: API ВАТС Ростелеком' }), 'rtApiUrl');
  });

  it('times out after requestTimeoutSec', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    pbx.mode = 'hang';
    failsWith(await testConnection(h.rtSettings(pbx, { requestTimeoutSec: 1 })), h.say({ en: 'No answer from the Rostelecom', ru: 'Нет ответа за 1 с: API ВАТС Ростелеком' }),
      h.say({ en: 'within 1 s', ru: 'за 1 с' }));
  });

  it('reports a TLS failure as TLS', async () => {
    const pbx = c.add(await h.startRostelecom({ tls: h.TLS }));
    failsWith(await testConnection(h.rtSettings(pbx)), h.say({ en: 'TLS failure', ru: 'Ошибка TLS' }), 'Russian Trusted CA');
  });
});

describe('VoipTestConnection: the webhook\'s health', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  /**
   * Two instances of the module over ONE storage (as two ELMA365 workers would be), one speaking
   * Russian and one English, behind one webhook endpoint on loopback.
   */
  async function pair(settings) {
    const ru = h.loadModule({ settings: Object.assign({}, settings, { language: 'ru' }) });
    const en = h.loadModule({ settings: Object.assign({}, settings, { language: 'en' }), storage: ru.storage });
    const hook = c.add(await h.startWebhookHost(ru));
    return { ru, en, hook };
  }

  function post(hook, body, headers) {
    return common.httpRequest(hook.url, { method: 'POST', headers, body });
  }

  it('Rostelecom: a refused signature fails the check in both languages, naming rtSignKey, until a signed event arrives', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    const { ru, en, hook } = await pair(h.rtSettings(pbx));
    await ru.fns.VoipOnWebhookUpdated(hook.url);
    const before = await ru.fns.VoipTestConnection();
    assert.strictEqual(before.success, true, JSON.stringify(before));
    assert.ok(before.message.includes(`от АТС ещё не пришло ни одного запроса на ${hook.url}`), before.message);

    const body = JSON.stringify({ session_id: 'H1', timestamp: '2024-01-01 10:00:00.000', type: 'incoming', state: 'new', from_number: '79161234567', request_number: '74992222222', request_pin: '101' });
    const forged = await post(hook, body, { 'Content-Type': 'application/json', 'X-Client-ID': h.TEST_CLIENT_ID, 'X-Client-Sign': sign(h.TEST_CLIENT_ID, body, 'NOT-THE-KEY') });
    assert.strictEqual(forged.status, 403, forged.body);
    const trace = ru.storage.map.get('voip:hook:no');
    assert.match(trace, /^\d+ req sign 403 $/);
    h.assertNoSecret(trace);

    const inRussian = await ru.fns.VoipTestConnection();
    h.assertNoSecret(inRussian);
    assert.strictEqual(inRussian.success, false, JSON.stringify(inRussian));
    for (const part of ['АТС обращается к вебхуку, но её последний запрос (запрос, 0 с назад) отклонён', 'подпись X-Client-Sign не совпадает',
      'Исправьте «Ключ подписи» (rtSignKey)', 'Что удалось проверить: Соединение установлено: API ВАТС Ростелеком']) {
      assert.ok(inRussian.failReason.includes(part), `«${inRussian.failReason}» lacks «${part}»`);
    }
    const inEnglish = await en.fns.VoipTestConnection();
    assert.strictEqual(inEnglish.success, false, JSON.stringify(inEnglish));
    for (const part of ['The PBX reaches the webhook, but its last request (a request, 0 s ago) was refused', 'X-Client-Sign signature does not match',
      'Fix rtSignKey («Ключ подписи»)', 'What was reached: Connected to the Rostelecom virtual PBX API']) {
      assert.ok(inEnglish.failReason.includes(part), `«${inEnglish.failReason}» lacks «${part}»`);
    }

    const signed = await post(hook, body, { 'Content-Type': 'application/json', 'X-Client-ID': h.TEST_CLIENT_ID, 'X-Client-Sign': sign(h.TEST_CLIENT_ID, body, h.TEST_SIGN_KEY) });
    assert.strictEqual(signed.status, 200, signed.body);
    const after = await en.fns.VoipTestConnection();
    assert.strictEqual(after.success, true, JSON.stringify(after));
    assert.ok(after.message.includes('Webhook: the last request (a call event) was accepted'), after.message);
    const afterRu = await ru.fns.VoipTestConnection();
    assert.ok(afterRu.message.includes('Вебхук: последний запрос (событие звонка) принят'), afterRu.message);
  });

  it('Oktell: a request without the webhook secret, then one with a wrong one, fail the check naming webhookSecret; the right one clears it', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
    const { ru, en, hook } = await pair(h.oktellSettings(okt, { webhookSecret: h.SECRETS.webhookSecret, oktellMembers: 'ivanov;Иванов Иван;101' }));
    const ring = 'event=ring&callid=H2&direction=in&client=89161234567&user=ivanov';

    assert.strictEqual((await post(hook, ring, { 'Content-Type': 'application/x-www-form-urlencoded' })).status, 403);
    let r = await ru.fns.VoipTestConnection();
    assert.strictEqual(r.success, false, JSON.stringify(r));
    assert.ok(r.failReason.includes('в нём нет секрета вебхука, а «Секрет вебхука» (webhookSecret) задан'), r.failReason);
    assert.ok(r.failReason.includes('Исправьте «Секрет вебхука» (webhookSecret)'), r.failReason);

    assert.strictEqual((await post(hook, `${ring}&token=wrong-secret`, { 'Content-Type': 'application/x-www-form-urlencoded' })).status, 403);
    r = await en.fns.VoipTestConnection();
    assert.strictEqual(r.success, false, JSON.stringify(r));
    assert.ok(r.failReason.includes('its webhook secret differs from webhookSecret («Секрет вебхука»)'), r.failReason);
    assert.ok(r.failReason.includes('Fix webhookSecret («Секрет вебхука»)'), r.failReason);
    h.assertNoSecret(r, ['wrong-secret']);
    h.assertNoSecret(ru.storage.map.get('voip:hook:no'), ['wrong-secret']);

    const ok = await post(hook, `${ring}&token=${h.SECRETS.webhookSecret}`, { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.strictEqual(ok.status, 200, ok.body);
    r = await en.fns.VoipTestConnection();
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.ok(r.message.includes('Webhook: the last request (a scenario call) was accepted'), r.message);
  });

  it('Oktell: an unusable scenario request fails the check with the module\'s answer quoted', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
    const { ru, hook } = await pair(h.oktellSettings(okt, { webhookSecret: h.SECRETS.webhookSecret, oktellMembers: 'ivanov;Иванов Иван;101' }));
    const bad = await post(hook, `event=explode&callid=H3&token=${h.SECRETS.webhookSecret}`, { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.strictEqual(bad.status, 400);
    const r = await ru.fns.VoipTestConnection();
    assert.strictEqual(r.success, false, JSON.stringify(r));
    assert.ok(r.failReason.includes('модуль не смог его разобрать и ответил HTTP 400 «Unknown event «explode»'), r.failReason);
    assert.ok(r.failReason.includes('Исправьте настройку запроса к вебхуку в АТС'), r.failReason);
    h.assertNoSecret(r);
  });

  it('says when ELMA365 never gave the module its webhook URL', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    const { en } = await pair(h.rtSettings(pbx));
    const r = await en.fns.VoipTestConnection();
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.ok(r.message.includes('ELMA365 has not given the module its webhook URL yet (VoipOnWebhookUpdated was never called)'), r.message);
  });
});
