'use strict';
// The `npm start` sandbox in a real browser: headless Debian chromium driven by playwright-core, against the
// sandbox server with both embedded PBX emulators. Node 20 only (scripts/test.sh runs it there).
// Every step is asserted; a failing contract function fails its step with the page's error text.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { startSandbox, describeBody, maskHeaders, parseTrace } = require('../../sandbox/server');
const { httpRequest } = require('../emulators/common');
const { TEST_CLIENT_ID } = require('../emulators/rostelecom');

const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const schema = JSON.parse(require('../../pkg/elma365_voip.js').settingsSchema());

describe('sandbox: log masking', () => {
  it('masks Authorization and X-Client-Sign headers but keeps the auth scheme', () => {
    const h = maskHeaders({ Authorization: 'Basic b2t0ZWxsOnNlY3JldA==', 'X-Client-Sign': 'abc123', 'X-Client-ID': 'ID1', 'Content-Type': 'a/b' });
    assert.deepStrictEqual(h, { Authorization: 'Basic ••••••', 'X-Client-Sign': '••••••', 'X-Client-ID': 'ID1', 'Content-Type': 'a/b' });
  });
  it('masks token and password fields in JSON and form bodies, and decodes Oktell base64 data', () => {
    assert.match(describeBody('{"event":"ring","token":"s3cret"}').text, /"token": "••••••"/);
    const form = describeBody(`event=ring&password=s3cret&data=${Buffer.from('["ping",{"qid":"1"}]').toString('base64')}`);
    assert.ok(!form.text.includes('s3cret') && form.text.includes('password=••••••'), form.text);
    assert.strictEqual(JSON.parse(form.decoded)[0], 'ping');
  });
  it('reads the module\'s webhook traces (voip:hook:ok / voip:hook:no)', () => {
    assert.deepStrictEqual(parseTrace('1700000000000 call', false), { at: 1700000000000, kind: 'call' });
    assert.deepStrictEqual(parseTrace('1700000000000 scn bad 400 no event field: x y', true),
      { at: 1700000000000, kind: 'scn', why: 'bad', status: 400, detail: 'no event field: x y' });
    assert.deepStrictEqual(parseTrace('1700000000000 call sign 403 ', true), { at: 1700000000000, kind: 'call', why: 'sign', status: 403, detail: '' });
    assert.strictEqual(parseTrace('(deleted)', true), null);
    assert.strictEqual(parseTrace('', false), null);
  });
});

describe('sandbox in chromium', function () {
  let sb;
  let browser;
  let page;
  const pageErrors = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run bash scripts/setup.sh --browser`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    sb = await startSandbox({ port: 0, gapMs: 30 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, env: { HOME: os.tmpdir() } });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
    await page.goto(sb.url);
    await page.waitForSelector('#f-provider');
  });
  after(async () => {
    if (browser) await browser.close();
    if (sb) await sb.close();
  });

  it('loads the page: the settings form is generated from the module schema', async () => {
    const codes = await page.$$eval('#settings [name]', (els) => els.map((e) => e.name));
    assert.deepStrictEqual(codes, schema.map((f) => f.code));
    for (const f of schema) {
      const label = await page.textContent(`label[for="f-${f.code}"]`);
      assert.ok(label.includes(f.label), `${f.code}: label «${label}» lacks «${f.label}»`);
    }
    assert.strictEqual(await page.isHidden('#banner'), true);
    assert.match(await page.textContent('#webhook-url'), /^http:\/\/127\.0\.0\.1:\d+\/api\/extensions\/voip\/webhook$/);
    // Russian by default (the schema's default of `language`), and the webhook has seen nothing yet.
    assert.strictEqual(await page.inputValue('#f-language'), 'ru');
    assert.strictEqual(await page.getAttribute('html', 'lang'), 'ru');
    assert.strictEqual(await page.textContent('#help-provider'), schema.find((f) => f.code === 'provider').helpRu);
    assert.strictEqual(await page.textContent('#hook-health-body'), 'Запросов от АТС пока не было.');
  });

  for (const provider of ['oktell', 'rostelecom']) {
    const secretField = provider === 'oktell' ? 'oktellPassword' : 'rtSignKey';
    const Provider = provider === 'oktell' ? 'Oktell' : 'Rostelecom';

    describe(`${Provider}`, () => {
      it('shows only this provider\'s fields, and saving calls VoipOnWebhookUpdated', async () => {
        await page.selectOption('#f-provider', provider);
        for (const f of schema) {
          const visible = await page.isVisible(`#f-${f.code}`);
          assert.strictEqual(visible, f.scope === 'all' || f.scope === provider, `${f.code} visible=${visible}`);
        }
        await page.click('#btn-save');
        await page.waitForSelector('#test-result.ok');
        assert.match(await page.textContent('#test-result'), /Настройки сохранены.*VoipOnWebhookUpdated\("http:\/\/127\.0\.0\.1:\d+\/api\/extensions\/voip\/webhook"\)/);
        assert.strictEqual(await page.isHidden('#dirty'), true);
      });

      it('«Проверить соединение» reports success with the defaults', async () => {
        await page.click('#btn-test');
        await page.waitForSelector('#test-result.ok:has-text("Соединение успешно установлено")');
        const detail = await page.textContent('#test-result .detail');
        // The module answers in the `language` setting, Russian by default; the webhook's state follows it.
        assert.match(detail, provider === 'oktell' ? /Соединение установлено: сервер Oktell .*рег\. номер лицензии/ : /Соединение установлено: API ВАТС Ростелеком/);
        assert.match(detail, /Вебхук: /);
        await page.waitForSelector('#log li.call:has-text("VoipTestConnection")');
      });

      it('«Настроить» loads the members table', async function () {
        await page.click('#btn-members');
        await page.waitForSelector('#members-card:not([hidden]), #test-result.fail');
        if (await page.isVisible('#test-result.fail')) {
          const text = await page.textContent('#test-result');
          assert.match(text, /Не удалось получить список сотрудников/);
          assert.fail(`VoipGetMembers failed: ${text}`);
        }
        const rows = await page.$$eval('#members tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent));
        assert.ok(rows.length >= 2, `members: ${rows}`);
        assert.deepStrictEqual(await page.$$eval('#call-src option', (os) => os.map((o) => o.value)), rows);
      });

      it('«Позвонить» places a call; its events and call record appear', async function () {
        const records = await page.$$eval('#history .rec', (x) => x.length);
        await page.fill('#call-dst', '8 (916) 765-43-21');
        await page.click('#btn-call');
        await page.waitForSelector('#call-progress.done, #call-progress.fail', { timeout: 20000 });
        const text = await page.textContent('#call-progress');
        if (await page.isVisible('#call-progress.fail')) {
          assert.fail(`the call failed: ${text}`);
        }
        assert.match(text, /Звонок завершён/);
        assert.ok((await page.$$eval('#history .rec', (x) => x.length)) > records, 'no new call record');
        assert.ok((await page.$$('#log li.webhook:has(b)')).length >= 2, 'no events in the log');
        assert.strictEqual(await page.$$eval('#log li.webhook .tag.warn', (x) => x.length), 0, 'an event names an operator that is no member');
      });

      it('▶ plays the recording link (HTTP 200 audio)', async function () {
        if (provider === 'oktell') {
          // Oktell's recordings come with its scenario webhook (its CRM integration carries none): an answered
          // incoming call that way. Rostelecom's click-to-call above was recorded and must play as it is.
          await page.selectOption('#oktell-events', 'scenario');
          await page.click('#btn-sim-answered');
          await page.waitForSelector('#sim-progress.done, #sim-progress.fail', { timeout: 20000 });
          const text = await page.textContent('#sim-progress');
          assert.ok(await page.isVisible('#sim-progress.done'), text);
        }
        assert.ok(await page.$('#history .rec:first-child button.play'), 'the newest call record, answered, has nothing to play');
        const media = page.waitForResponse((r) => r.request().resourceType() === 'media', { timeout: 15000 });
        await page.click('#history .rec:first-child button.play');
        await page.waitForSelector('#history .rec:first-child .play-result :is(a, .error)');
        const error = await page.$('#history .rec:first-child .play-result .error');
        if (error) {
          const text = await error.textContent();
          assert.fail(text);
        }
        const link = await page.getAttribute('#history .rec:first-child .play-result a', 'href');
        const response = await media;
        assert.strictEqual(response.url(), link);
        assert.strictEqual(response.status(), 200);
        assert.match(response.headers()['content-type'], /^audio\//);
        const direct = await page.request.get(link);
        assert.strictEqual(direct.status(), 200);
        assert.match(direct.headers()['content-type'], /^audio\//);
      });

      it('a wrong password shows the auth error', async () => {
        const good = await page.inputValue(`#f-${secretField}`);
        await page.fill(`#f-${secretField}`, 'WRONG-secret-123');
        await page.click('#btn-test');
        await page.waitForSelector('#test-result.fail');
        const text = await page.textContent('#test-result');
        assert.match(text, /Не удалось установить соединение/);
        assert.match(text, /Учётные данные отклонены/);
        assert.ok(text.includes(secretField), text);
        assert.ok(!text.includes('WRONG-secret-123'), 'the wrong secret is echoed');
        await page.fill(`#f-${secretField}`, good);
        await page.click('#btn-test');
        await page.waitForSelector('#test-result.ok');
      });

      it('the log never shows a secret', async () => {
        const logText = await page.textContent('#log-card') + await page.textContent('#history-card');
        for (const code of ['webhookSecret', 'oktellPassword', 'rtSignKey']) {
          const value = await page.inputValue(`#f-${code}`);
          assert.ok(!logText.includes(value), `${code} appears in the log`);
        }
      });

      it('saves screenshots (test-artifacts/)', async () => {
        await page.screenshot({ path: path.join(ARTIFACTS, `sandbox-${provider}.png`), fullPage: true });
        await page.evaluate(() => window.scrollTo(0, 0));
        // The README's picture (docs/sandbox.png) is a copy of this one.
        await page.screenshot({ path: path.join(ARTIFACTS, `sandbox-${provider}-readme.png`) });
      });
    });
  }

  describe('«Контакты»: the caller lookup in ELMA365\'s CRM', () => {
    const SMIRNOVA = { name: 'Смирнова Ольга', phone: '8 (495) 956-11-11' };
    const ring = async () => {
      await page.click('#btn-crm-ring');
      await page.waitForSelector('#crm-ring-result:is(.found, .unknown, .fail)', { timeout: 20000 });
      if (await page.isVisible('#crm-ring-result.fail')) assert.fail(`the ring-in failed: ${await page.textContent('#crm-ring-result')}`);
    };
    const rowOf = (name) => page.locator('#crm-contacts tbody tr', { hasText: name });

    it('lists the CRM\'s contacts, and its users as the responsible to choose', async () => {
      await page.selectOption('#f-provider', 'rostelecom');
      assert.deepStrictEqual(await page.$$eval('#crm-contacts tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent)), ['ООО «Ромашка»']);
      assert.match(await rowOf('Ромашка').textContent(), /\+7 495 223-44-55.*Иванов Иван.*доб\. 101/);
      const users = await page.$$eval('#crm-responsible option', (os) => os.map((o) => o.textContent));
      assert.deepStrictEqual(users, ['Петрова Анна (102)', 'Иванов Иван (101)', 'без ответственного']);
      // The App settings fields are bound to the CRM's apps, as ELMA365 shows them: not typed in.
      assert.strictEqual(await page.inputValue('#f-crmContacts'), '_clients._contacts');
      assert.strictEqual(await page.getAttribute('#f-crmContacts', 'readonly'), '');
    });

    it('adds «Смирнова Ольга» (responsible Петрова); Rostelecom\'s get_number_info names her and routes to PIN 102', async () => {
      await page.fill('#crm-name', SMIRNOVA.name);
      await page.fill('#crm-phone', SMIRNOVA.phone);
      const petrova = await page.$$eval('#crm-responsible option', (os) => os.find((o) => o.textContent.startsWith('Петрова Анна')).value);
      await page.selectOption('#crm-responsible', petrova);
      await page.click('#btn-crm-add');
      await rowOf(SMIRNOVA.name).waitFor();
      assert.match(await rowOf(SMIRNOVA.name).textContent(), /Смирнова Ольга8 \(495\) 956-11-11Петрова Аннадоб\. 102/);
      // Stored as typed, the way ELMA365 keeps a phone: finding it is the module's job.
      const stored = sb.crm.records.contacts.find((r) => r.name === SMIRNOVA.name);
      assert.deepStrictEqual([stored.phones.map((p) => p.tel), stored.responsible], [[SMIRNOVA.phone], petrova]);
      assert.strictEqual(await page.inputValue('#crm-ring-number'), SMIRNOVA.phone, 'the ring-in number is the new client\'s');

      const hooks = sb.log.filter((e) => e.kind === 'webhook').length;
      await ring();
      assert.strictEqual(await page.textContent('#crm-ring-name'), 'Смирнова Ольга');
      assert.strictEqual(await page.textContent('#crm-ring-pin'), '102');
      assert.match(await page.textContent('#crm-ring-result'), /102 · Петрова Анна/);
      assert.match(await page.textContent('#crm-ring-result .raw'), /get_number_info: HTTP 200 \{"PIN":"102","displayName":"Смирнова Ольга","result":0,"resultMessage":""\}/);
      // The PBX's request went through the module's webhook, and the log has it.
      const asked = sb.log.filter((e) => e.kind === 'webhook').slice(hooks);
      const said = (e) => { try { return JSON.parse(e.response.body); } catch (err) { return {}; } };
      assert.ok(asked.some((e) => said(e).displayName === 'Смирнова Ольга' && said(e).PIN === '102'), JSON.stringify(asked));
      await page.locator('#crm-card').screenshot({ path: path.join(ARTIFACTS, 'sandbox-contacts.png') });
    });

    it('an unknown number: «—» on the handset, routing left to the PBX', async () => {
      await page.fill('#crm-ring-number', '+7 916 000-00-00');
      await ring();
      assert.ok(await page.isVisible('#crm-ring-result.unknown'));
      assert.strictEqual(await page.textContent('#crm-ring-name'), '—');
      assert.strictEqual(await page.textContent('#crm-ring-pin'), 'маршрутизация АТС');
    });

    it('Oktell: the scenario\'s lookup= gets «name;login;number», the manager found by her work phone\'s extension', async () => {
      await page.selectOption('#f-provider', 'oktell');
      try {
        assert.match(await page.textContent('#crm-ring-how'), /lookup=<номер>/);
        await page.fill('#crm-ring-number', SMIRNOVA.phone);
        await ring();
        assert.strictEqual(await page.textContent('#crm-ring-result .raw code'), 'Смирнова Ольга;petrova;102');
        assert.strictEqual(await page.textContent('#crm-ring-name'), 'Смирнова Ольга');
        assert.strictEqual(await page.textContent('#crm-ring-login'), 'petrova');
        assert.strictEqual(await page.textContent('#crm-ring-ext'), '102');
        const lookup = sb.log.filter((e) => e.kind === 'webhook' && /lookup=/.test(e.request.query)).pop();
        assert.ok(lookup && /token=••••••/.test(lookup.request.query), `the token is not masked in the log: ${lookup && lookup.request.query}`);
      } finally {
        await page.selectOption('#f-provider', 'rostelecom');
      }
    });

    it('deleting her: the next ring-in no longer names her', async () => {
      await rowOf(SMIRNOVA.name).locator('button.del').click();
      await rowOf(SMIRNOVA.name).waitFor({ state: 'detached' });
      assert.ok(sb.crm.records.contacts.find((r) => r.name === SMIRNOVA.name).deletedAt, 'deleted as ELMA365 does: __deletedAt set');
      await page.fill('#crm-ring-number', SMIRNOVA.phone);
      await ring();
      assert.strictEqual(await page.textContent('#crm-ring-name'), '—');
      assert.strictEqual(await page.textContent('#crm-ring-pin'), 'маршрутизация АТС');
    });

    it('says what is missing: an empty name', async () => {
      await page.fill('#crm-name', '');
      await page.fill('#crm-phone', '123');
      await page.click('#btn-crm-add');
      await page.waitForSelector('#crm-add-error:not([hidden])');
      assert.strictEqual(await page.textContent('#crm-add-error'), 'Введите имя клиента.');
      await page.fill('#crm-phone', '');
    });
  });

  describe('language and webhook health', () => {
    it('follows the `language` field: English page, help and failReason; then Russian again', async () => {
      // Every text of the page's own (data-k) in English; data in it (names, the module's field labels in «») may be Russian.
      const cyrillicTexts = () => page.$$eval('[data-k]', (els) => els.filter((e) => !/[а-яё]/i.test(e.dataset.a || ''))
        .map((e) => e.textContent).filter((x) => /[а-яё]/i.test(x) && !x.includes('«')));
      await page.selectOption('#f-language', 'en');
      assert.strictEqual(await page.getAttribute('html', 'lang'), 'en');
      assert.strictEqual(await page.textContent('#btn-test'), 'Test connection');
      assert.strictEqual(await page.textContent('#btn-members'), 'Configure');
      assert.strictEqual(await page.textContent('#btn-save'), 'Save');
      assert.strictEqual(await page.textContent('#settings-card h2'), 'Telephony settings');
      assert.strictEqual(await page.textContent('#hook-health .health-head b'), 'Webhook');
      assert.strictEqual(await page.title(), 'Telephony · ELMA365 sandbox');
      const field = schema.find((f) => f.code === 'rtSignKey');
      assert.strictEqual(await page.textContent('#help-rtSignKey'), field.help);
      assert.strictEqual(await page.getAttribute('#f-rtApiUrl', 'placeholder'), `default: ${schema.find((f) => f.code === 'rtApiUrl').default}`);
      assert.deepStrictEqual(await cyrillicTexts(), [], 'page texts left in Russian');
      // A failing «Test connection»: an empty required field, named in English by the module.
      const clientId = await page.inputValue('#f-rtClientId');
      await page.fill('#f-rtClientId', '');
      await page.click('#btn-test');
      await page.waitForSelector('#test-result.fail');
      const text = await page.textContent('#test-result');
      assert.match(text, /^✕ Could not connect/);
      assert.match(text, /rtClientId \(«Код идентификации»\) is empty/);
      await page.fill('#f-rtClientId', clientId);

      await page.selectOption('#f-language', 'ru');
      assert.strictEqual(await page.getAttribute('html', 'lang'), 'ru');
      assert.strictEqual(await page.textContent('#btn-test'), 'Проверить соединение');
      assert.strictEqual(await page.textContent('#btn-members'), 'Настроить');
      assert.strictEqual(await page.textContent('#btn-save'), 'Сохранить');
      assert.strictEqual(await page.textContent('#settings-card h2'), 'Настройки телефонии');
      assert.strictEqual(await page.textContent('#help-rtSignKey'), field.helpRu);
      assert.match(await page.textContent('#test-result'), /^✕ Не удалось установить соединение/);
      await page.click('#btn-test');
      await page.waitForSelector('#test-result.ok');
      assert.match(await page.textContent('#test-result .detail'), /^Соединение установлено/);
    });

    it('starts in the saved settings\' language', async () => {
      const file = path.join(os.tmpdir(), `sandbox-settings-${process.pid}.json`);
      fs.writeFileSync(file, JSON.stringify({ language: 'en' }));
      const other = await startSandbox({ port: 0, gapMs: 30, settingsFile: file });
      const p2 = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      try {
        p2.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
        await p2.goto(other.url);
        await p2.waitForSelector('#f-provider');
        assert.strictEqual(await p2.inputValue('#f-language'), 'en');
        assert.strictEqual(await p2.getAttribute('html', 'lang'), 'en');
        assert.strictEqual(await p2.textContent('#btn-test'), 'Test connection');
        assert.strictEqual(await p2.textContent('#hook-health-body'), 'No requests from the PBX yet.');
        await p2.click('#btn-test');
        await p2.waitForSelector('#test-result.ok');
        assert.match(await p2.textContent('#test-result'), /^✓ Connection established.*Webhook: no request from the PBX has arrived yet/);
      } finally {
        await p2.close();
        await other.close();
        fs.unlinkSync(file);
      }
    });

    it('the webhook panel: a refused request fails «Проверить соединение» naming «Ключ подписи»; an accepted one clears it', async () => {
      // A call event signed with another key: the module refuses it (403) and notes why in its storage.
      const body = JSON.stringify({ session_id: 'sandbox-refused-1', state: 'new', type: 'incoming', from_number: '74951234567',
        request_number: '74992222222', request_pin: '101', timestamp: '01.01.2024 10:00:00' });
      const refused = await httpRequest(sb.webhookUrl, { method: 'POST', body,
        headers: { 'Content-Type': 'application/json', 'X-Client-ID': TEST_CLIENT_ID, 'X-Client-Sign': 'f'.repeat(64) } });
      assert.strictEqual(refused.status, 403, refused.body);
      await page.waitForSelector('#hook-health.blocking .hrow.refused');
      const panel = await page.textContent('#hook-health');
      assert.match(panel, /Отклонён/);
      assert.match(panel, /причина: подпись X-Client-Sign не совпадает: проверьте «Ключ подписи» \(rtSignKey\) sign · HTTP 403/);

      await page.click('#btn-test');
      await page.waitForSelector('#test-result.fail');
      const fail = await page.textContent('#test-result');
      assert.match(fail, /Не удалось установить соединение/);
      assert.match(fail, /отклонён/);
      assert.ok(fail.includes('«Ключ подписи» (rtSignKey)'), fail);
      await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-webhook-refused.png') });

      // The emulated PBX plays a call with the right key: accepted, so the test passes again.
      await page.click('#btn-sim-answered');
      await page.waitForSelector('#sim-progress.done, #sim-progress.fail', { timeout: 20000 });
      assert.ok(await page.isVisible('#sim-progress.done'), await page.textContent('#sim-progress'));
      await page.waitForSelector('#hook-health.fine .hrow.accepted:first-child');
      await page.click('#btn-test');
      await page.waitForSelector('#test-result.ok');
      assert.match(await page.textContent('#test-result .detail'), /Вебхук: последний запрос \(.+\) принят \d+ с назад\./);
      const rows = await page.$$eval('#hook-health .hrow', (els) => els.map((e) => e.className));
      assert.deepStrictEqual(rows, ['hrow accepted', 'hrow refused'], 'the accepted request first, then the older refusal');
      assert.match(await page.textContent('#hook-health .hrow.accepted'), /Принят .*событие звонка \(call_events\) call/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-webhook-health.png') });
      await page.selectOption('#f-language', 'en');
      assert.match(await page.textContent('#hook-health .hrow.accepted'), /Accepted .*call event \(call_events\) call/);
      assert.match(await page.textContent('#hook-health .hrow.refused'), /Refused .*the X-Client-Sign signature does not match/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-webhook-health-en.png') });
      await page.selectOption('#f-language', 'ru');
    });
  });

  describe('then', () => {
    it('stays usable on a narrow (390 px) window', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.evaluate(() => window.scrollTo(0, 0));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
      const box = await page.locator('#btn-test').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390, 'the connection button is off screen');
      await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-narrow.png'), fullPage: false });
    });

    it('serves the page and API only to this machine, the webhook to anyone; takes only JSON posts', async () => {
      const port = new URL(sb.url).port;
      const get = (p, headers) => httpRequest(`http://127.0.0.1:${port}${p}`, { headers });
      const post = (p, headers, body) => httpRequest(`http://127.0.0.1:${port}${p}`, { method: 'POST', headers, body });
      assert.strictEqual((await get('/api/state', { 'X-Forwarded-For': '203.0.113.5' })).status, 403);
      assert.strictEqual((await get('/api/state', { Host: `rebound.example:${port}` })).status, 403);
      assert.strictEqual((await get('/api/state', {})).status, 200);
      assert.strictEqual((await post('/api/fn/VoipTestConnection', { 'Content-Type': 'text/plain' }, '{}')).status, 403);
      const cross = await post('/api/fn/VoipTestConnection', { 'Content-Type': 'application/json', Origin: 'https://evil.example' }, '{}');
      assert.strictEqual(cross.status, 403);
      const hooks = sb.log.filter((e) => e.kind === 'webhook').length;
      const hook = await post('/api/extensions/voip/webhook/call_events', { 'X-Forwarded-For': '203.0.113.5', 'Content-Type': 'application/json' }, '{}');
      assert.doesNotMatch(hook.body, /only the webhook is served/);
      assert.strictEqual(sb.log.filter((e) => e.kind === 'webhook').length, hooks + 1, 'the module did not get the webhook');
    });

    it('shows server errors in the page, not only in the terminal', async () => {
      await page.setViewportSize({ width: 1360, height: 900 });
      await page.evaluate(() => fetch('/api/simulate', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{not json' }));
      await page.waitForSelector('#log li.is-error:has-text("/api/simulate failed")');
      await sb.close();
      sb = null;
      await page.waitForSelector('#banner:not([hidden])', { timeout: 10000 });
      assert.match(await page.textContent('#banner'), /Нет связи с песочницей/);
    });

    it('raised no script errors in the page', () => {
      assert.deepStrictEqual(pageErrors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|EventSource/.test(e)), []);
    });
  });
});
