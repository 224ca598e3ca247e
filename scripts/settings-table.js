'use strict';
// Prints the README's settings table from the core's own field list (settingsSchema()), so the
// README, the validation and the sandbox form cannot drift apart. tests/contract/docs.test.js
// fails when README.md's table differs from this output.
const path = require('path');

function settingsTable() {
  const core = require(path.join(__dirname, '..', 'pkg', 'elma365_voip.js'));
  const fields = JSON.parse(core.settingsSchema());
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const kindName = { string: 'string', secret: 'string (secret)', text: 'text (multi-line)', number: 'number', choice: 'string: one of ' };
  const lines = [
    '| code | type | label (RU) | for | required | default | example | meaning |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const f of fields) {
    const type = f.kind === 'choice' ? kindName.choice + f.choices.map((c) => `\`${c}\``).join(', ') : kindName[f.kind];
    const scope = f.scope === 'all' ? 'all' : f.scope;
    lines.push(`| \`${f.code}\` | ${type} | ${esc(f.label)} | ${scope} | ${f.required ? 'yes' : 'no'} | ${f.default ? `\`${esc(f.default)}\`` : ''} | ${f.example ? `\`${esc(f.example)}\`` : ''} | ${esc(f.help)} |`);
  }
  return lines.join('\n');
}

module.exports = { settingsTable };
if (require.main === module) process.stdout.write(`${settingsTable()}\n`);
