'use strict';
// The README's settings table is generated from the core's field list; this keeps it true.
const fs = require('fs');
const path = require('path');
const assert = require('assert');
const { settingsTable } = require('../../scripts/settings-table');

describe('documentation', () => {
  it('README settings table equals the one generated from src/settings.rs', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const m = /<!-- settings-table[^>]*-->\n([\s\S]*?)\n<!-- \/settings-table -->/.exec(readme);
    assert.ok(m, 'README has no settings-table block');
    assert.strictEqual(m[1].trim(), settingsTable().trim(), 'README settings table is stale: run node scripts/settings-table.js');
  });

  it('the settings schema lists every code from the spec', () => {
    const spec = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'shared', 'spec', 'settings.md'), 'utf8');
    const specCodes = [...spec.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    const core = require('../../pkg/elma365_voip.js');
    const codes = JSON.parse(core.settingsSchema()).map((f) => f.code);
    assert.deepStrictEqual(codes.slice().sort(), specCodes.slice().sort());
  });
});
