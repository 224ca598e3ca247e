'use strict';
// The `npm start` sandbox in a real browser: headless Debian chromium driven by playwright-core, against the
// sandbox server with both embedded PBX emulators. Node 20 only (scripts/test.sh runs it there).
// Every step is asserted; a failing contract function fails its step with the page's error text.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { startSandbox, describeBody, maskHeaders } = require('../../sandbox/server');
const { httpRequest } = require('../emulators/common');

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
        assert.match(detail, provider === 'oktell' ? /Connected to the Oktell server/ : /Connected to the Rostelecom virtual PBX/);
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
        assert.match(text, /rejected the credentials/);
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
