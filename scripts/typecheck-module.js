'use strict';
// `tsc --strict` on the whole shipped module script, glue and prelude included, the way a host that
// type-checks it would: without `@ts-nocheck` (the script has none), against ELMA365's documented
// declarations only (tests/fixtures/elma365/globals.d.ts), under several host settings. Also transpiles
// it at the TS targets ES2017, ES2019 and ESNext (the host matrix runs those transpiles).
//   node scripts/typecheck-module.js [module.ts]
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const file = path.resolve(process.argv[2] || path.join(root, 'pkg', 'elma365-voip.module.ts'));
const globals = path.join(root, 'tests', 'fixtures', 'elma365', 'globals.d.ts');
const text = fs.readFileSync(file, 'utf8');
const problems = [];
if (/^\s*\/\/\s*@ts-nocheck/m.test(text)) problems.push('the script opts out of type checking (@ts-nocheck)');

const CONFIGS = [
  { name: 'strict, ES2020, the documented globals', target: 'ES2020', lib: ['lib.es2020.d.ts'] },
  { name: 'strict, ES2017, the documented globals', target: 'ES2017', lib: ['lib.es2017.d.ts'] },
  // The DOM library declares fetch and console itself: the documented globals minus those two.
  { name: 'strict, ESNext with the DOM library, the documented globals', target: 'ESNext', lib: ['lib.esnext.d.ts', 'lib.dom.d.ts'], dom: true },
  // Stricter than --strict, for the hand-written parts: wasm2js's asm.js (the no-wasm build) falls through and
  // leaves paths without a return by design.
  { name: 'strict, ES2020, noImplicitReturns and noFallthroughCasesInSwitch', target: 'ES2020', lib: ['lib.es2020.d.ts'], extra: { noImplicitReturns: true, noFallthroughCasesInSwitch: true }, wasmBuildOnly: true },
];

// The same rule as check-module.js: the no-wasm build is the file named *.nowasm.module.ts.
const noWasm = /\.nowasm\.module\.ts$/.test(file);
for (const c of CONFIGS.filter((x) => !(noWasm && x.wasmBuildOnly))) {
  const options = Object.assign({ strict: true, noEmit: true, target: ts.ScriptTarget[c.target], lib: c.lib, types: [] }, c.extra || {});
  let decls = globals;
  if (c.dom) {
    decls = path.join(root, 'target', 'typecheck', 'globals-next-to-dom.d.ts');
    fs.mkdirSync(path.dirname(decls), { recursive: true });
    fs.writeFileSync(decls, fs.readFileSync(globals, 'utf8').split('\n').filter((l) => !/^declare (function fetch|const console)/.test(l)).join('\n'));
  }
  const program = ts.createProgram([decls, file], options);
  const diags = ts.getPreEmitDiagnostics(program);
  for (const d of diags.slice(0, 20)) {
    const where = d.file ? `${path.relative(root, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    problems.push(`${c.name}: ${where} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  console.log(`${diags.length === 0 ? 'ok' : 'FAILED'}  tsc ${c.name}: ${diags.length} errors`);
}

for (const target of ['ES2017', 'ES2019', 'ESNext']) {
  const out = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget[target], module: ts.ModuleKind.None }, reportDiagnostics: true });
  const diags = out.diagnostics || [];
  for (const d of diags.slice(0, 5)) problems.push(`transpile at ${target}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  console.log(`${diags.length === 0 ? 'ok' : 'FAILED'}  transpiles at ${target}: ${out.outputText.length} characters of JS`);
}

if (problems.length) {
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`module script type-checks: ${path.relative(root, file)}`);
