'use strict';
// Shared set-up for the contract tests: emulators on loopback, the module loaded through the vm
// host harness, and assertions that apply to every message a user could see.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { loadModule, startWebhookHost } = require('../harness/host');
const { startOktell } = require('../emulators/oktell');
const { startRostelecom, TEST_CLIENT_ID, TEST_SIGN_KEY } = require('../emulators/rostelecom');

const TLS = {
  key: fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tls', 'key.pem')),
  cert: fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tls', 'cert.pem')),
};

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

module.exports = {
  assert, TLS, SECRETS, assertNoSecret, closer, closedPort, loadModule, startWebhookHost,
  startOktell, startRostelecom, TEST_CLIENT_ID, TEST_SIGN_KEY, rtSettings, oktellSettings,
};
