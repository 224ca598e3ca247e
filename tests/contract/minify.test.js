'use strict';
// scripts/minify-ts.js, which the build runs on the module script: on a script full of the constructs it must not
// change (shorthand properties and bindings, shadowing, catch bindings, automatic semicolons, `return` before a
// line break, regular expressions, `1 .toString()`, `a - -b`, labels, classes, a `this` parameter, a @ts-expect-error, a typeof guard
// of an undeclared global), the minified script computes the same and type-checks as strictly as the original.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const ts = require('typescript');
const { minify } = require('../../scripts/minify-ts');

const CASE = path.join(__dirname, '..', 'fixtures', 'minify-case.ts');

function run(text) {
  const js = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget.ES2019 } }).outputText;
  const context = vm.createContext({});
  vm.runInContext(js, context);
  return vm.runInContext('topLevel(7)', context);
}

function diagnostics(text) {
  const name = 'case.ts';
  const host = ts.createCompilerHost({});
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (f, v) => (f === name ? ts.createSourceFile(name, text, v) : getSourceFile.call(host, f, v));
  const program = ts.createProgram([name], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2020, lib: ['lib.es2020.d.ts'], types: [] }, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

describe('the module script minifier (scripts/minify-ts.js)', () => {
  const source = fs.readFileSync(CASE, 'utf8');
  const { text, renamed } = minify(source);

  it('shortens local names and drops whitespace, keeping top-level names and headers', () => {
    assert.ok(renamed > 20, `renamed ${renamed}`);
    assert.ok(text.length < source.length * 0.75, `${text.length} of ${source.length}`);
    assert.ok(text.includes('function topLevel(x: number): string{'));
    assert.ok(text.includes('const __top='));
    assert.ok(text.includes('typeof HostThing'));
  });

  it('computes the same', () => {
    assert.strictEqual(run(text), run(source));
  });

  it('type-checks as strictly as the original', () => {
    assert.deepStrictEqual(diagnostics(source), []);
    assert.deepStrictEqual(diagnostics(text), []);
  });
});
