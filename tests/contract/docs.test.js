'use strict';
// The READMEs' settings tables are generated from the core's field list; this keeps them true.
const fs = require('fs');
const path = require('path');
const assert = require('assert');
const { settingsTable } = require('../../scripts/settings-table');

const root = path.join(__dirname, '..', '..');
const schema = () => JSON.parse(require('../../pkg/elma365_voip.js').settingsSchema());

/** The table between `<!-- settings-table: … -->` and `<!-- /settings-table -->` in a README. */
function readmeTable(file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const m = /<!-- settings-table[^>]*-->\n([\s\S]*?)\n<!-- \/settings-table -->/.exec(text);
  assert.ok(m, `${file} has no settings-table block`);
  return m[1].trim();
}

/** The codes a markdown table lists in its first column, as `code`. */
const tableCodes = (table) => [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);

describe('documentation', () => {
  it('README.md settings table equals the one generated from src/settings.rs', () => {
    assert.strictEqual(readmeTable('README.md'), settingsTable('en').trim(), 'README.md settings table is stale: run node scripts/settings-table.js');
  });

  it('README.ru.md settings table equals the Russian one generated from src/settings.rs', () => {
    assert.strictEqual(readmeTable('README.ru.md'), settingsTable('ru').trim(), 'README.ru.md settings table is stale: run node scripts/settings-table.js ru');
  });

  it('the settings schema lists every code from the spec, and documents in README.md each code the spec lacks', () => {
    const spec = fs.readFileSync(path.join(root, '..', 'shared', 'spec', 'settings.md'), 'utf8');
    const specCodes = tableCodes(spec);
    assert.ok(specCodes.length > 0, 'the spec lists no codes');
    const codes = schema().map((f) => f.code);
    assert.deepStrictEqual(specCodes.filter((c) => !codes.includes(c)), [], 'spec codes missing from the settings schema');
    const documented = tableCodes(readmeTable('README.md'));
    const extra = codes.filter((c) => !specCodes.includes(c));
    assert.deepStrictEqual(extra.filter((c) => !documented.includes(c)), [], 'schema codes in neither the spec nor README.md');
  });

  it('every field has help in English and in Russian', () => {
    for (const f of schema()) {
      assert.ok(typeof f.help === 'string' && f.help.trim(), `${f.code}: no help`);
      assert.ok(typeof f.helpRu === 'string' && f.helpRu.trim(), `${f.code}: no helpRu`);
      assert.match(f.helpRu, /[\u0400-\u04FF]/, `${f.code}: helpRu has no Cyrillic: «${f.helpRu}»`);
    }
  });
});
