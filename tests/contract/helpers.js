'use strict';
// Shared set-up for the contract tests: emulators on loopback, the module loaded through the vm
// host harness, and assertions that apply to every message a user could see.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { BUILD, loadModule, startWebhookHost } = require('../harness/host');
const { startOktell } = require('../emulators/oktell');
const { startRostelecom, TEST_CLIENT_ID, TEST_SIGN_KEY } = require('../emulators/rostelecom');

const TLS = {
  key: fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tls', 'key.pem')),
  cert: fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tls', 'cert.pem')),
};

/**
 * The language the contract suites run their message assertions in. `ELMA365_VOIP_LANG=en` puts
 * `language: 'en'` into every module's settings that does not set it; otherwise the setting is left
 * out and the module speaks its default, Russian (scripts/test.sh runs the suites both ways).
 */
const LANG = process.env.ELMA365_VOIP_LANG === 'en' ? 'en' : 'ru';

/** The fragment for the suite's language: `say({ en: 'rejected the credentials', ru: 'Учётные данные отклонены' })`. */
function say(texts) {
  if (typeof texts[LANG] !== 'string' && !(texts[LANG] instanceof RegExp)) throw new Error(`no ${LANG} text in ${JSON.stringify(texts)}`);
  return texts[LANG];
}

/** loadModule with the suite's language (see LANG). */
function loadModuleInLanguage(opts = {}) {
  const settings = opts.settings || {};
  if (LANG === 'ru' || Object.prototype.hasOwnProperty.call(settings, 'language')) return loadModule(opts);
  return loadModule(Object.assign({}, opts, { settings: Object.assign({}, settings, { language: LANG }) }));
}

/** Secrets used across tests; no message a user sees may contain any of them. */
const SECRETS = {
  oktellPassword: 'okt-Pa55-w0rd',
  webhookSecret: 'hook-s3cret-value',
  rtSignKey: TEST_SIGN_KEY,
};

function assertNoSecret(text, extra = []) {
  const s = typeof text === 'string' ? text : JSON.stringify(text);
  for (const secret of Object.values(SECRETS).concat(extra)) {
    assert.ok(!s.includes(secret), `a secret leaked into: ${s}`);
  }
}

/** Runs `fn` with resources that are closed afterwards, whatever happens. */
function closer() {
  const items = [];
  return {
    add(x) { items.push(x); return x; },
    async closeAll() { while (items.length) await items.pop().close(); },
  };
}

/** A port on loopback where nothing listens. */
async function closedPort() {
  const net = require('net');
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const port = srv.address().port;
  await new Promise((r) => srv.close(r));
  return port;
}

function rtSettings(pbx, extra = {}) {
  return Object.assign({ provider: 'rostelecom', rtApiUrl: pbx.url, rtClientId: TEST_CLIENT_ID, rtSignKey: TEST_SIGN_KEY, requestTimeoutSec: 5 }, extra);
}

function oktellSettings(okt, extra = {}) {
  return Object.assign({ provider: 'oktell', oktellUrl: okt.url, requestTimeoutSec: 5 }, extra);
}

/** Namespace.storage whose every call answers after 0-`maxMs` ms (seeded, so runs repeat); `map` holds the values. */
function slowStorage(maxMs = 10, seed = 7) {
  const map = new Map();
  let x = seed;
  const delay = () => new Promise((r) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    setTimeout(r, x % (maxMs + 1));
  });
  return {
    map,
    async getItem(key) { await delay(); return map.get(key); },
    async setItem(key, value) { await delay(); map.set(key, String(value)); },
    async removeItem(key) { await delay(); map.delete(key); },
  };
}

/** The module's clock runs `ms` further ahead from now on (each vm context has its own Date). */
function skewClock(mod, ms) {
  if (!mod.context.__skewInstalled) {
    require('vm').runInContext('(function (now) { Date.now = function () { return now() + (globalThis.__skewMs || 0); }; })(Date.now);', mod.context);
    mod.context.__skewInstalled = true;
  }
  mod.context.__skewMs = (mod.context.__skewMs || 0) + ms;
}

module.exports = {
  BUILD, slowStorage, skewClock,
  LANG, say,
  assert, TLS, SECRETS, assertNoSecret, closer, closedPort, loadModule: loadModuleInLanguage, startWebhookHost,
  startOktell, startRostelecom, TEST_CLIENT_ID, TEST_SIGN_KEY, rtSettings, oktellSettings,
};
