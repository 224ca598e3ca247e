'use strict';
// Prints the READMEs' settings table from the core's own field list (settingsSchema()), so the
// READMEs, the validation and the sandbox form cannot drift apart. tests/contract/docs.test.js
// fails when a README's table differs from this output.
//
//   node scripts/settings-table.js      the English table, for README.md (meaning = `help`)
//   node scripts/settings-table.js ru   the Russian table, for README.ru.md (meaning = `helpRu`)
const path = require('path');

const WORDS = {
  en: {
    header: ['code', 'type', 'label (RU)', 'for', 'required', 'default', 'example', 'meaning'],
    kind: { string: 'string', secret: 'string (secret)', text: 'text (multi-line)', number: 'number', choice: 'string: one of ', app: 'App (link to an app): ' },
    all: 'all',
    yes: 'yes',
    no: 'no',
    help: 'help',
  },
  ru: {
    header: ['код', 'тип', 'название', 'для', 'обязательное', 'по умолчанию', 'пример', 'назначение'],
    kind: { string: 'строка', secret: 'строка (секрет)', text: 'текст (многострочный)', number: 'число', choice: 'строка: одно из ', app: 'Приложение (ссылка на приложение): ' },
    all: 'все',
    yes: 'да',
    no: 'нет',
    help: 'helpRu',
  },
};

/** The settings table in `lang`: 'en' (the default) or 'ru'. */
function settingsTable(lang = 'en') {
  const w = WORDS[lang];
  if (!w) throw new Error(`settingsTable: unknown language «${lang}» (expected en or ru)`);
  const core = require(path.join(__dirname, '..', 'pkg', 'elma365_voip.js'));
  const fields = JSON.parse(core.settingsSchema());
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const code = (s) => (s ? `\`${esc(s)}\`` : '');
  const lines = [`| ${w.header.join(' | ')} |`, `|${'---|'.repeat(w.header.length)}`];
  for (const f of fields) {
    const kind = w.kind[f.kind];
    if (kind === undefined) throw new Error(`settingsTable: field ${f.code} has an unknown kind «${f.kind}»`);
    const type = f.kind === 'choice' ? kind + f.choices.map((c) => `\`${c}\``).join(', ') : f.kind === 'app' ? `${kind}\`${f.app}\`` : kind;
    const scope = f.scope === 'all' ? w.all : f.scope;
    const cells = [`\`${f.code}\``, type, esc(f.label), scope, f.required ? w.yes : w.no, code(f.default), code(f.example), esc(f[w.help])];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

module.exports = { settingsTable };
if (require.main === module) process.stdout.write(`${settingsTable(process.argv[2] || 'en')}\n`);
