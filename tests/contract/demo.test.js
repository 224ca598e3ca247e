'use strict';
// The command-line demo (scripts/demo.js) runs the shipped module end to end against both emulators.
// Run it as a user would and check that each provider's click-to-call ends in a call record. It runs in
// the suite's language (ELMA365_VOIP_LANG=en, or Russian, the default, with the variable left out).
const { execFile } = require('child_process');
const path = require('path');
const assert = require('assert');
const h = require('./helpers');

describe('scripts/demo.js', function () {
  this.timeout(60000);
  it('shows, for both providers, a connection test, members and a click-to-call ending in a call record', async () => {
    const env = Object.assign({}, process.env);
    if (h.LANG === 'en') env.ELMA365_VOIP_LANG = 'en'; else delete env.ELMA365_VOIP_LANG;
    const out = await new Promise((resolve, reject) => {
      execFile(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'demo.js')], { timeout: 55000, env }, (err, stdout, stderr) =>
        (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const [oktell, rostelecom] = out.split(/^Rostelecom emulator/m);
    for (const [name, part] of [['Oktell', oktell], ['Rostelecom', rostelecom]]) {
      assert.match(part, h.say({
        en: /VoipTestConnection\(\): \{"success":true,"message":"Connected to/,
        ru: /VoipTestConnection\(\): \{"success":true,"message":"Соединение установлено/,
      }), `${name}: ${part}`);
      assert.match(part, h.say({ en: /rejected the credentials/, ru: /Учётные данные отклонены/ }), name);
      assert.match(part, /VoipGetMembers\(\): \[\{"id":/, name);
      assert.strictEqual((part.match(/callRecord \{/g) || []).length, 1, `${name} click-to-call must give exactly one call record:\n${part}`);
    }
    assert.match(rostelecom, /VoipGetCallLink\(callRecord\.call\): "http:\/\/127\.0\.0\.1:\d+\/records\//);
  });
});
