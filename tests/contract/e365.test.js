'use strict';
// The .e365 module packages in pkg/ (scripts/e365.js): read with Python's zipfile, a reader the build did not
// write, and checked against the structure of real ELMA365 exports (../shared/spec/e365.md) by
// tests/harness/e365-check.js; the runtime JavaScript taken out of each package runs in the bare vm host and
// passes a Rostelecom smoke test. Both packages are checked whatever ELMA365_VOIP_BUILD says (each package runs in
// the context its build is for); the smoke test speaks the suite's language (ELMA365_VOIP_LANG).
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('./helpers');
const { assert } = h;
const { checkPackage, readPackage, rewritePackage, runtimeScript, CONTRACT } = require('../harness/e365-check');
const { MODULE_UUID } = require('../../scripts/e365');

const root = path.join(__dirname, '..', '..');
const schema = () => JSON.parse(require('../../pkg/elma365_voip.js').settingsSchema());
const PACKAGES = [
  { name: 'pkg/elma365-voip.e365', script: 'pkg/elma365-voip.module.ts', contextOptions: {} },
  { name: 'pkg/elma365-voip.nowasm.e365', script: 'pkg/elma365-voip.nowasm.module.ts', contextOptions: { codeGeneration: { strings: false, wasm: false } } },
];
const at = (p) => path.join(root, p);

for (const p of PACKAGES) {
  describe(`${p.name}`, function () {
    this.timeout(60000);
    const c = h.closer();
    afterEach(() => c.closeAll());
    let checked;
    before(() => {
      checked = checkPackage(at(p.name), { script: fs.readFileSync(at(p.script), 'utf8'), schema: schema() });
    });

    it('has the structure of real exports: nested ZIPs, manifests, entities, every core setting once, the script as built', () => {
      assert.deepStrictEqual(checked.problems, []);
    });

    it(`is the module ext_${MODULE_UUID} (the fixed UUID), and names the six contract functions`, () => {
      assert.strictEqual(checked.uuid, MODULE_UUID);
      const runtime = JSON.parse(checked.read.nested['extensions.zip'].files[`entities/ext_${MODULE_UUID}_scripts_runtime.json`]);
      assert.deepStrictEqual(runtime.fnDeclarations.map((d) => d.name), CONTRACT);
    });

    it('its runtime JavaScript runs in the bare vm host: VoipTestConnection, VoipGetMembers and a signed call against the Rostelecom emulator', async () => {
      const js = runtimeScript(checked.read);
      const pbx = c.add(await h.startRostelecom({}));
      const mod = h.loadModule({ js, filename: `${path.basename(p.name)}.js`, contextOptions: p.contextOptions, settings: h.rtSettings(pbx) });
      const test = await mod.fns.VoipTestConnection();
      assert.strictEqual(test.success, true, JSON.stringify(test));
      assert.match(test.message, h.say({ en: new RegExp(`${pbx.users.length} users`), ru: new RegExp(`пользователей: ${pbx.users.length}`) }));
      assert.deepStrictEqual(JSON.parse(JSON.stringify(await mod.fns.VoipGetMembers())).map((m) => m.id), ['101', '102', '103']);
      const host = c.add(await h.startWebhookHost(mod));
      pbx.webhookUrl = host.url;
      const played = await pbx.playCall('incoming-answered', { from: '89161234567', pin: '101' });
      for (const d of played.deliveries) assert.strictEqual(d.status, 200, `${d.body} → ${d.status} ${d.responseBody}`);
      const records = host.records().filter((r) => r.callId === played.sessionId);
      assert.strictEqual(records.length, 1);
      assert.strictEqual(records[0].disposition, 'answered');
    });
  });
}

describe('the two .e365 packages', () => {
  it('are the same module (one UUID), with the same settings', function () {
    this.timeout(60000);
    const [a, b] = PACKAGES.map((p) => readPackage(at(p.name)));
    const settings = (r) => r.nested['settings.zip'].files;
    assert.strictEqual(a.files['package.json'], b.files['package.json']);
    assert.deepStrictEqual(settings(a), settings(b));
  });
});

describe('the .e365 structural check on broken copies', function () {
  this.timeout(60000);
  const U = MODULE_UUID;
  const source = at(PACKAGES[0].name);
  const script = fs.readFileSync(at(PACKAGES[0].script), 'utf8');
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e365-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** `checkPackage` of a copy of the package with `edit(read)`'s files replaced. */
  function broken(name, edit) {
    const file = path.join(dir, `${name}.e365`);
    rewritePackage(source, file, edit(readPackage(source)));
    return checkPackage(file, { script, schema: schema() }).problems;
  }

  it('reports a setting the core reads that the package does not declare (rtSignKey dropped)', () => {
    const problems = broken('no-rtSignKey', (r) => {
      const entity = `entities/ext_${U}.json`;
      const fields = JSON.parse(r.nested['settings.zip'].files[entity]).filter((f) => f.code !== 'rtSignKey');
      return { 'settings.zip': { [entity]: JSON.stringify(fields) } };
    });
    assert.ok(problems.includes('settings.zip: rtSignKey («Ключ подписи», read by the core) is declared nowhere'), problems.join('\n'));
  });

  it('reports a manifest path that is not in its nested ZIP (the runtime entity renamed)', () => {
    const problems = broken('renamed-path', (r) => {
      const manifest = JSON.parse(r.nested['extensions.zip'].files['manifest.json']);
      manifest.entities[2].path = `entities/ext_${U}_runtime.json`;
      return { 'extensions.zip': { 'manifest.json': JSON.stringify(manifest) } };
    });
    assert.ok(problems.includes(`extensions.zip: entities[2]: the manifest names entities/ext_${U}_runtime.json, which is not in extensions.zip`), problems.join('\n'));
  });

  it('reports a settings field whose keys are not the ones real exports have, in their order', () => {
    const problems = broken('field-keys', (r) => {
      const entity = `entities/ext_${U}.json`;
      const fields = JSON.parse(r.nested['settings.zip'].files[entity]);
      const { searchable, ...rest } = fields[0];
      fields[0] = Object.assign(rest, { searchable });
      return { 'settings.zip': { [entity]: JSON.stringify(fields) } };
    });
    assert.ok(problems.some((x) => x.startsWith('settings.zip: field [0] provider: keys ')), problems.join('\n'));
  });

  it('reports a second module UUID and a script that is not the one built', () => {
    const problems = broken('other-uuid', (r) => {
      const file = `entities/ext_${U}_scripts.json`;
      const scripts = JSON.parse(r.nested['extensions.zip'].files[file]);
      scripts.scripts += '\n';
      const group = `entities/ca/ext_${U}/${U}_group.json.json`;
      const g = JSON.parse(r.nested['processor.zip'].files[group]);
      g.namespace = 'ext_00000000-0000-4000-8000-000000000000';
      return { 'extensions.zip': { [file]: JSON.stringify(scripts) }, 'processor.zip': { [group]: JSON.stringify(g) } };
    });
    assert.ok(problems.includes('extensions.zip: the scripts entity\'s source is not the module script'), problems.join('\n'));
    assert.ok(problems.includes(`processor.zip: entities/ca/ext_${U}/${U}_group.json.json names the module ext_00000000-0000-4000-8000-000000000000, not ext_${U}`), problems.join('\n'));
  });
});
