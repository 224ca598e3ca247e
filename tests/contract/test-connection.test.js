'use strict';
// VoipTestConnection for both providers, every outcome an admin can meet, through the vm host.
const h = require('./helpers');
const { assert } = h;

async function testConnection(settings) {
  const mod = h.loadModule({ settings });
  const result = await mod.fns.VoipTestConnection();
  h.assertNoSecret(result);
  return result;
}

function failsWith(result, ...fragments) {
  assert.strictEqual(result.success, false, JSON.stringify(result));
  for (const f of fragments) assert.ok(result.failReason.includes(f), `«${result.failReason}» lacks «${f}»`);
}

describe('VoipTestConnection: settings', () => {
  it('names the provider field when it is missing', async () => {
    failsWith(await testConnection({}), 'provider («АТС») is empty');
  });
  it('names rtSignKey with its label when it is blank, and never echoes secrets', async () => {
    failsWith(await testConnection({ provider: 'rostelecom', rtClientId: 'abc', rtSignKey: '  ' }), 'rtSignKey («Ключ подписи») is empty');
  });
  it('rejects an Oktell URL with a path', async () => {
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: 'http://10.1.1.1:4055/api' }), 'oktellUrl («Адрес сервера Oktell»)', 'without a path');
  });
  it('rejects a timeout outside 1..60', async () => {
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: 'http://h:4055', requestTimeoutSec: 90 }), 'requestTimeoutSec');
  });
});

describe('VoipTestConnection: Oktell', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('reports the licence serial with no auth, and warns that no webhook secret is set', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' }, regserial: '7654321' }));
    const r = await testConnection(h.oktellSettings(okt));
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.match(r.message, /licence reg\. serial 7654321/);
    assert.match(r.message, /webhookSecret .* is empty/);
    assert.match(r.message, /no user directory yet/);
  });

  it('authenticates with password= and counts the directory script users', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'password', password: h.SECRETS.oktellPassword } }));
    const r = await testConnection(h.oktellSettings(okt, { oktellPassword: h.SECRETS.oktellPassword, oktellMembersScript: 'ELMA365_Users', webhookSecret: h.SECRETS.webhookSecret }));
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.match(r.message, /directory script .*: 4 users/);
    assert.doesNotMatch(r.message, /Warning/);
    const lic = okt.requests.find((q) => q.path === '/getlicenseinfo');
    assert.strictEqual(lic.query.password, h.SECRETS.oktellPassword);
  });

  it('authenticates with Basic auth', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'basic', login: 'elma', password: h.SECRETS.oktellPassword } }));
    const r = await testConnection(h.oktellSettings(okt, { oktellLogin: 'elma', oktellPassword: h.SECRETS.oktellPassword }));
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.match(okt.requests[0].headers.authorization, /^Basic /);
    assert.strictEqual(okt.requests[0].query.password, undefined);
  });

  it('says auth was rejected and names the login and password fields (Basic)', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'basic', login: 'elma', password: 'right' } }));
    failsWith(await testConnection(h.oktellSettings(okt, { oktellLogin: 'elma', oktellPassword: h.SECRETS.oktellPassword })),
      'rejected the credentials', 'HTTP 403', 'oktellLogin', 'oktellPassword');
  });

  it('says auth was rejected for a wrong password= and never shows the password', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'password', password: 'right' } }));
    failsWith(await testConnection(h.oktellSettings(okt, { oktellPassword: h.SECRETS.oktellPassword })), 'rejected the credentials', 'oktellPassword');
  });

  it('says credentials are needed when none are set but Oktell wants them', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'password', password: 'right' } }));
    failsWith(await testConnection(h.oktellSettings(okt)), 'rejected the credentials', 'Oktell wants credentials');
  });

  it('reports a failing directory script by its setting', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
    failsWith(await testConnection(h.oktellSettings(okt, { oktellMembersScript: 'NoSuchScript' })), 'oktellMembersScript', 'returned nothing');
  });

  for (const mode of ['wrong-service', 'html200', 'garbage', 'http500']) {
    it(`says the server is not Oktell when it answers like ${mode}`, async () => {
      const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
      okt.mode = mode;
      failsWith(await testConnection(h.oktellSettings(okt)), 'not like the PBX would', 'oktellUrl');
    });
  }

  it('says the host is unreachable when the connection is refused', async () => {
    const port = await h.closedPort();
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: `http://127.0.0.1:${port}` }), 'Cannot reach the Oktell server', 'ECONNREFUSED', 'oktellUrl');
  });

  it('says the host is unreachable when the name does not resolve', async () => {
    failsWith(await testConnection({ provider: 'oktell', oktellUrl: 'http://oktell.nonexistent.invalid:4055' }), 'Cannot reach', 'ENOTFOUND');
  });

  it('times out after requestTimeoutSec even though the server keeps the connection open', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
    okt.mode = 'hang';
    const started = Date.now();
    failsWith(await testConnection(h.oktellSettings(okt, { requestTimeoutSec: 1 })), 'No answer from the Oktell server', 'within 1 s', 'requestTimeoutSec');
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 4000, `took ${took} ms`);
  });

  it('reports a TLS failure as TLS, not as unreachable (self-signed certificate)', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' }, tls: h.TLS }));
    assert.match(okt.url, /^https:/);
    failsWith(await testConnection(h.oktellSettings(okt)), 'TLS failure', 'certificate');
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
    assert.match(r.message, new RegExp(`${pbx.users.length} users`));
    const req = pbx.requests.find((q) => q.path === '/users_info');
    assert.strictEqual(req.headers['x-client-id'], h.TEST_CLIENT_ID);
  });

  it('accepts a result sent as the string "0"', async () => {
    const pbx = c.add(await h.startRostelecom({ resultAsString: true }));
    assert.strictEqual((await testConnection(h.rtSettings(pbx))).success, true);
  });

  it('says the signature was rejected and names both settings', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    failsWith(await testConnection(h.rtSettings(pbx, { rtSignKey: 'WRONGKEY0000' })), 'rejected the credentials', 'rtClientId', 'rtSignKey');
  });

  it('says the client id was rejected', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    failsWith(await testConnection(h.rtSettings(pbx, { rtClientId: 'FFFF' })), 'rejected the credentials', 'rtClientId');
  });

  for (const mode of ['wrong-service', 'html200', 'garbage', 'http500']) {
    it(`says the server is not the Rostelecom API when it answers like ${mode}`, async () => {
      const pbx = c.add(await h.startRostelecom({}));
      pbx.mode = mode;
      failsWith(await testConnection(h.rtSettings(pbx)), 'not like the PBX would', 'rtApiUrl');
    });
  }

  it('says the API is unreachable when the connection is refused', async () => {
    const port = await h.closedPort();
    failsWith(await testConnection(h.rtSettings({ url: `http://127.0.0.1:${port}` })), 'Cannot reach the Rostelecom', 'rtApiUrl');
  });

  it('times out after requestTimeoutSec', async () => {
    const pbx = c.add(await h.startRostelecom({}));
    pbx.mode = 'hang';
    failsWith(await testConnection(h.rtSettings(pbx, { requestTimeoutSec: 1 })), 'No answer from the Rostelecom', 'within 1 s');
  });

  it('reports a TLS failure as TLS', async () => {
    const pbx = c.add(await h.startRostelecom({ tls: h.TLS }));
    failsWith(await testConnection(h.rtSettings(pbx)), 'TLS failure', 'Russian Trusted CA');
  });
});
