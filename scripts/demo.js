'use strict';
// Runs the shipped module script in the ELMA365 stand-in against both emulated PBXs and prints what
// each implemented contract function returns.
const { loadModule, startWebhookHost } = require('../tests/harness/host');
const { startOktell } = require('../tests/emulators/oktell');
const { startRostelecom, TEST_CLIENT_ID, TEST_SIGN_KEY } = require('../tests/emulators/rostelecom');

async function show(title, fn) {
  try {
    console.log(`  ${title}:`, JSON.stringify(await fn()));
  } catch (e) {
    console.log(`  ${title}: threw «${e.message}»`);
  }
}

async function main() {
  const okt = await startOktell({ auth: { mode: 'basic', login: 'elma', password: 'secret' } });
  const pbx = await startRostelecom({});
  try {
    const o = loadModule({ settings: { provider: 'oktell', oktellUrl: okt.url, oktellLogin: 'elma', oktellPassword: 'secret', oktellMembersScript: 'ELMA365_Users' } });
    console.log(`Oktell emulator at ${okt.url} (module cold start: evaluate ${o.evaluateMs.toFixed(1)} ms + instantiate ${o.instantiateMs.toFixed(1)} ms)`);
    await show('VoipTestConnection()', () => o.fns.VoipTestConnection());
    const bad = loadModule({ settings: { provider: 'oktell', oktellUrl: okt.url, oktellLogin: 'elma', oktellPassword: 'wrong' } });
    await show('VoipTestConnection() with a wrong password', () => bad.fns.VoipTestConnection());
    await show('VoipGetMembers()', () => o.fns.VoipGetMembers());

    const r = loadModule({ settings: { provider: 'rostelecom', rtApiUrl: pbx.url, rtClientId: TEST_CLIENT_ID, rtSignKey: TEST_SIGN_KEY } });
    console.log(`Rostelecom emulator at ${pbx.url}`);
    await show('VoipTestConnection()', () => r.fns.VoipTestConnection());
    const badRt = loadModule({ settings: { provider: 'rostelecom', rtApiUrl: pbx.url, rtClientId: TEST_CLIENT_ID, rtSignKey: 'WRONG' } });
    await show('VoipTestConnection() with a wrong sign key', () => badRt.fns.VoipTestConnection());
    await show('VoipGetMembers()', () => r.fns.VoipGetMembers());

    // Click-to-call: the emulated PBX answers call_back, then plays the call to the module's webhook.
    const hook = await startWebhookHost(r);
    pbx.webhookUrl = hook.url;
    try {
      await show("VoipGenerateCall('101', '8 (916) 123-45-67')", () => r.fns.VoipGenerateCall('101', '8 (916) 123-45-67'));
      const [played] = await Promise.all(pbx.autoPlays);
      for (const { request, result } of hook.received) {
        const state = JSON.parse(request.body).state;
        console.log(`    call_events «${state}» → HTTP ${result.response._status}${result.event ? ` event ${JSON.stringify(result.event)}` : ', no event'}`);
        if (result.callRecord) console.log(`      and callRecord ${JSON.stringify(result.callRecord)}`);
      }
      const record = hook.records().find((c) => c.callId === played.sessionId);
      await show('VoipGetCallLink(callRecord.call)', () => r.fns.VoipGetCallLink(record.call));
    } finally {
      await hook.close();
    }
  } finally {
    await okt.close();
    await pbx.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
