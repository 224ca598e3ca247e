'use strict';
// Runs the shipped module script in the ELMA365 stand-in against both emulated PBXs and prints what
// each implemented contract function returns.
const { loadModule, startWebhookHost } = require('../tests/harness/host');
const { startOktell } = require('../tests/emulators/oktell');
const { startRostelecom, TEST_CLIENT_ID, TEST_SIGN_KEY } = require('../tests/emulators/rostelecom');

// The language of the module's messages: ELMA365_VOIP_LANG (ru or en) when set; otherwise the setting
// is left out and the module speaks its default, Russian.
const LANGUAGE = process.env.ELMA365_VOIP_LANG ? { language: process.env.ELMA365_VOIP_LANG } : {};

/** loadModule with `settings` in the chosen language. */
function load(settings) {
  return loadModule({ settings: Object.assign({}, settings, LANGUAGE) });
}

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
    const o = load({ provider: 'oktell', oktellUrl: okt.url, oktellLogin: 'elma', oktellPassword: 'secret', oktellMembersScript: 'ELMA365_Users', webhookSecret: 'hook-secret' });
    console.log(`Oktell emulator at ${okt.url} (module cold start: evaluate ${o.evaluateMs.toFixed(1)} ms + instantiate ${o.instantiateMs.toFixed(1)} ms)`);
    await show('VoipTestConnection()', () => o.fns.VoipTestConnection());
    const bad = load({ provider: 'oktell', oktellUrl: okt.url, oktellLogin: 'elma', oktellPassword: 'wrong' });
    await show('VoipTestConnection() with a wrong password', () => bad.fns.VoipTestConnection());
    await show('VoipGetMembers()', () => o.fns.VoipGetMembers());
    // Click-to-call: Oktell rings the operator, then the client, and pushes the call to the webhook.
    const okHook = await startWebhookHost(o);
    okt.crm.url = okHook.url;
    okt.crm.basic = { login: 'oktell', password: 'hook-secret' };
    okt.autoPlayOpts = { talkMs: 1200 };
    await show("VoipGenerateCall('airato', '+7 916 123-45-67')", () => o.fns.VoipGenerateCall('airato', '+7 916 123-45-67'));
    if (okt.autocalls[0]) await okt.autocalls[0].played;
    for (const r of okHook.received) {
      const msgs = JSON.parse(Buffer.from(decodeURIComponent(r.request.body.replace(/^data=/, '')), 'base64').toString('utf8'));
      const res = r.result || {};
      console.log(`    push ${msgs[0]} -> event ${JSON.stringify(res.event || null)}${res.callRecord ? ` + callRecord ${JSON.stringify(res.callRecord)}` : ''}`);
    }
    await okHook.close();

    const r = load({ provider: 'rostelecom', rtApiUrl: pbx.url, rtClientId: TEST_CLIENT_ID, rtSignKey: TEST_SIGN_KEY });
    console.log(`Rostelecom emulator at ${pbx.url}`);
    await show('VoipTestConnection()', () => r.fns.VoipTestConnection());
    const badRt = load({ provider: 'rostelecom', rtApiUrl: pbx.url, rtClientId: TEST_CLIENT_ID, rtSignKey: 'WRONG' });
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
