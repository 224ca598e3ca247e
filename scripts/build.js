'use strict';
// Builds the Rust core to wasm that loads on Node 14.16 (V8 8.4), the wasm-bindgen package in pkg/,
// and the one self-contained module script pkg/elma365-voip.module.ts.
//
//   node scripts/build.js              build
//   node scripts/build.js --if-needed  build only when a source is newer than the module script
//   node scripts/build.js --bundle-only  only rebuild the unpacker and the module script from target/wasm-build
//   node scripts/build.js --panic-test  the test build: the core with the `panic-test` feature (an input that
//                                        panics on purpose) into target/panic-test/elma365-voip.panic-test.module.ts
//
// Steps (see ARCHITECTURE.md, "Build"):
//  1. cargo build --release --target wasm32-unknown-unknown with -C target-cpu=mvp +mutable-globals;
//  2. drop the `target_features` custom section, so wasm-bindgen does not switch on externref;
//  3. wasm-bindgen (pinned) twice: --target nodejs into pkg/ (importable, with .d.ts), and
//     --target no-modules for the module script;
//  4. wasm-opt: lower the bulk-memory and non-trapping float ops that Rust's precompiled std uses,
//     optimise for size, then GATE: re-validate with --mvp-features --enable-mutable-globals
//     --enable-sign-ext, which fails the build if anything V8 8.4 cannot load slipped in; the module scripts'
//     core then gets one-letter import/export names (shortNames; the glue follows, withShortNames);
//  5. the unpacker: loader/ (a small no_std Zstandard decoder, RFC 8878) built, lowered and gated the same way,
//     and stage 0 (loader/stage0.wat, a base93 decoder) assembled by wasm-opt;
//  6. bundle: polyfills + the glue (its URL/fetch loading path removed) + stage 0 (a byte array) + one
//     base93 text holding the unpacker and the core (one Zstandard frame, zstd --ultra -22) + js-glue/shim.ts into
//     pkg/elma365-voip.module.ts; the build runs the script's own unpacking code on that text and fails
//     unless it gives back the core byte for byte; then the script is minified with its types kept
//     (scripts/minify-ts.js);
//  7. the ELMA365 module packages pkg/elma365-voip.e365 and pkg/elma365-voip.nowasm.e365 (scripts/e365.js).
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { dropCustomSections, importModules, sections } = require('./wasm-sections');
const { minify } = require('./minify-ts');
const { writePackage } = require('./e365');

const root = path.resolve(__dirname, '..');
const pkg = path.join(root, 'pkg');
const PANIC_TEST = process.argv.includes('--panic-test');
const variant = PANIC_TEST
  ? { dir: path.join(root, 'target', 'panic-test'), features: ['--features', 'panic-test'], pkg: null }
  : { dir: path.join(root, 'target'), features: [], pkg };
const work = path.join(variant.dir, 'wasm-build');
const moduleScript = PANIC_TEST ? path.join(variant.dir, 'elma365-voip.panic-test.module.ts') : path.join(pkg, 'elma365-voip.module.ts');
const noWasmScript = PANIC_TEST ? path.join(variant.dir, 'elma365-voip.panic-test.nowasm.module.ts') : path.join(pkg, 'elma365-voip.nowasm.module.ts');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const log = (msg) => process.stderr.write(`[build] ${msg}\n`);

function run(cmd, args, opts = {}) {
  execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function upToDate() {
  if (!fs.existsSync(moduleScript)) return false;
  const built = fs.statSync(moduleScript).mtimeMs;
  const inputs = [path.join(root, 'src'), path.join(root, 'js-glue'), path.join(root, 'loader')].map(newestMtime);
  inputs.push(...['Cargo.toml', 'Cargo.lock', 'loader/Cargo.toml', 'loader/Cargo.lock', 'scripts/build.js', 'scripts/minify-ts.js', 'scripts/e365.js']
    .map((f) => fs.statSync(path.join(root, f)).mtimeMs));
  return Math.max(...inputs) <= built;
}

const WASM_OPT_LOWER = [
  '--enable-bulk-memory', '--enable-bulk-memory-opt', '--enable-nontrapping-float-to-int',
  '--enable-mutable-globals', '--enable-sign-ext',
  '--llvm-memory-copy-fill-lowering', '--llvm-nontrapping-fptoint-lowering',
  '-Oz', ...(process.env.ELMA365_VOIP_KEEP_NAMES ? ['-g'] : ['--strip-debug']), '--strip-producers',
];
// The gate: exactly what V8 8.4 (Node 14.16) loads.
const WASM_OPT_GATE = ['--mvp-features', '--enable-mutable-globals', '--enable-sign-ext', '-Oz', ...(process.env.ELMA365_VOIP_KEEP_NAMES ? ['-g'] : [])];

function optimise(file) {
  const lowered = `${file}.lowered`;
  run(bin('wasm-opt'), [file, ...WASM_OPT_LOWER, '-o', lowered]);
  run(bin('wasm-opt'), [lowered, ...WASM_OPT_GATE, '-o', file]);
  fs.unlinkSync(lowered);
  const custom = sections(fs.readFileSync(file)).filter((s) => s.id === 0).map((s) => s.name);
  if (custom.includes('target_features')) throw new Error(`${file} still has a target_features section`);
}

/** The no-modules glue with its async URL/fetch loading path cut out: the module only uses initSync. With
    `js`, initSync takes the wasm2js core's factory as its module and calls it with the imports (no WebAssembly). */
function syncOnlyGlue(glueFile, js = false) {
  const glue = fs.readFileSync(glueFile, 'utf8');
  const namesFile = path.join(path.dirname(glueFile), 'names.json');
  if (!fs.existsSync(namesFile)) throw new Error(`${namesFile} is missing (the core's short names): run a full build, not --bundle-only`);
  const names = JSON.parse(fs.readFileSync(namesFile, 'utf8'));
  const cut = (text, from, to) => {
    const a = text.indexOf(from);
    const b = text.indexOf(to, a + 1);
    if (a < 0 || b < 0) throw new Error(`wasm-bindgen glue changed shape: cannot find ${JSON.stringify(from)} .. ${JSON.stringify(to)}`);
    return text.slice(0, a) + text.slice(b);
  };
  let out = cut(glue, '    let script_src;', '\n    /**');
  out = cut(out, '    async function __wbg_load(', '    function initSync(');
  out = cut(out, '    async function __wbg_init(', '    return Object.assign(');
  out = out.replace('return Object.assign(__wbg_init, { initSync }, exports);', 'return Object.assign({ initSync }, exports);');
  // Two branches no call of this script takes: initSync's for the deprecated bare-module argument (prelude.ts always
  // passes `{ module }`), and passStringToWasm0's for a core without `realloc` (every call passes it).
  const deprecated = /if \(Object\.getPrototypeOf\(module\) === Object\.prototype\) \{\s*\(\{module\} = module\)\s*\} else \{\s*console\.warn\('using deprecated parameters for `initSync\(\)`; pass a single object instead'\)\s*\}/;
  if (!deprecated.test(out)) throw new Error('wasm-bindgen glue changed shape: cannot find initSync\'s deprecated-argument branch');
  out = out.replace(deprecated, '({module} = module);');
  const calls = out.match(/passStringToWasm0\([^)]*\)/g) || [];
  if (calls.length < 2 || !calls.every((c) => c === 'passStringToWasm0(arg, malloc, realloc)' || c.endsWith(', wasm.__wbindgen_realloc)'))) {
    throw new Error(`wasm-bindgen glue changed shape: a passStringToWasm0 call without realloc (${calls.join('; ')})`);
  }
  out = cut(out, '        if (realloc === undefined) {', '        let len = arg.length;');
  if (/(^|[^.\w])fetch\(|document\.|import\.meta|require\(/.test(out)) throw new Error('glue still loads something by itself');
  out = withoutComments(trapGuardedGlue(out));
  if (js) {
    const from = 'if (!(module instanceof WebAssembly.Module)) {\nmodule = new WebAssembly.Module(module);\n}\nconst instance = new WebAssembly.Instance(module, imports);';
    if (out.split(from).length !== 2) throw new Error('wasm-bindgen glue changed shape: cannot find initSync\'s instantiation');
    out = out.replace(from, 'const instance = { exports: module(imports) };');
    // wasm2js's memory.grow swaps in a new ArrayBuffer without detaching the old one, so the glue's test for
    // a stale view (a detached buffer) never fires: test for the memory's current buffer instead.
    for (const view of ['cachedUint8ArrayMemory0', 'cachedDataViewMemory0']) {
      const test = new RegExp(`if \\(${view} === null \\|\\| [^\\n]*\\) \\{`);
      if (!test.test(out)) throw new Error(`wasm-bindgen glue changed shape: cannot find the test of ${view}`);
      out = out.replace(test, `if (${view} === null || ${view}.buffer !== wasm.memory.buffer) {`);
    }
    if (/WebAssembly/.test(out)) throw new Error('the no-wasm glue still names WebAssembly');
  }
  return typedGlue(withShortNames(out, names));
}

/** Host globals the glue names that no TypeScript lib declares for sure (wasm-bindgen's global lookups). */
const GLUE_HOST_GLOBALS = ['global', 'self', 'window', 'queueMicrotask', 'console'];

/**
 * The glue annotated for `tsc --strict` (the module script type-checks whole, without @ts-nocheck):
 * every parameter, every `var`, and every variable declared without a value (or as null/undefined) gets `: any`,
 * a function that uses `this` gets `this: any`, and a line that names one of GLUE_HOST_GLOBALS gets a
 * `// @ts-ignore` (a host may declare that name or not). Types only: the JS it transpiles to is the
 * glue as generated. Done with the TypeScript parser, so that the glue's shape cannot fool it.
 */
function typedGlue(glue, { allVars = true } = {}) {
  const ts = require('typescript');
  const file = ts.createSourceFile('glue.js', glue, ts.ScriptTarget.ESNext, true, ts.ScriptKind.JS);
  const inserts = [];
  const usesThis = (fn) => {
    let found = false;
    const walk = (n) => {
      if (found) return;
      if (n.kind === ts.SyntaxKind.ThisKeyword) found = true;
      else if (!ts.isFunctionDeclaration(n) && !ts.isFunctionExpression(n)) ts.forEachChild(n, walk);
    };
    if (fn.body) ts.forEachChild(fn.body, walk);
    return found;
  };
  const visit = (node) => {
    if (ts.isParameter(node) && !node.type) {
      const at = node.questionToken ? node.questionToken.end : node.name.end;
      const bare = ts.isArrowFunction(node.parent) && glue[node.parent.getStart(file)] !== '(';
      if (bare) inserts.push([node.name.getStart(file), '(']);
      inserts.push([at, (node.dotDotDotToken ? ': any[]' : ': any') + (bare ? ')' : '')]);
    }
    if (ts.isVariableDeclaration(node) && !node.type && ts.isIdentifier(node.name)) {
      const init = node.initializer;
      const isVar = ts.isVariableDeclarationList(node.parent) && !(node.parent.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const));
      if ((allVars && isVar) || !init || init.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(init) && init.text === 'undefined')) inserts.push([node.name.end, ': any']);
    }
    if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && usesThis(node)) {
      inserts.push([node.parameters.pos, node.parameters.length ? 'this: any, ' : 'this: any']);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = glue;
  for (const [at, text] of inserts.sort((a, b) => b[0] - a[0])) out = out.slice(0, at) + text + out.slice(at);
  const named = new RegExp(`(^|[^.\\w$])(${GLUE_HOST_GLOBALS.join('|')})(?![\\w$])`);
  return out.split('\n').map((line) => (named.test(line) ? `// @ts-ignore\n${line}` : line)).join('\n');
}

/** The generated glue without its comment lines and indentation (about a third of its size; it is not read). */
function withoutComments(glue) {
  return glue.split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*\*|\*|\*\/)/.test(line))
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * A hand-written part without its whole-line comments (`// …` and `/* … *\/` blocks), indentation
 * kept: the module script stays readable, and js-glue/ keeps the comments. A line that holds code
 * and a comment is kept whole.
 */
function withoutCommentLines(text) {
  const out = [];
  let inBlock = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (inBlock) {
      if (t.includes('*/')) inBlock = false;
      continue;
    }
    if (t.startsWith('//') && !t.startsWith('// @ts-ignore')) continue;
    if (t.startsWith('/*')) {
      if (!t.includes('*/')) inBlock = true;
      else if (!t.endsWith('*/')) out.push(line);
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/**
 * Every re-entry into the wasm after an export returns (the futures queue's microtask, a promise's
 * callbacks) goes through the glue's `makeMutClosure`. A panic traps the wasm there, where no caller
 * could catch it: the trap would surface as an unhandled rejection in the host and the call's promise
 * would never settle. So each closure call is wrapped, and what it throws goes to `onTrap` (a
 * parameter of the glue's factory, see bundle()), which rejects the calls in flight and retires the
 * instance.
 */
function trapGuardedGlue(glue) {
  const from = '        const real = (...args) => {\n';
  if (glue.split(from).length !== 2) throw new Error('wasm-bindgen glue changed shape: cannot find makeMutClosure\'s `real`');
  return glue.replace(from, '        const real = (...args) => {\n            try { return unguarded(...args); } catch (e) { onTrap(e); }\n        };\n        const unguarded = (...args) => {\n');
}

/** The base93 alphabet: the 93 characters that a single-quoted string literal holds as they are (' ' to '~' but
    the quote and the backslash), in ASCII order (stage 0 computes a character's value from its code). */
const BASE93 = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter((c) => c !== "'" && c !== '\\').join('');

/** `bytes` as base93 text (loader/stage0.wat decodes it): basE91's scheme over 93 characters: each pair of characters
    holds 13 bits, or 14 when the 13 are below 457 (93 * 93 = 8192 + 457), least significant first. 1.2255
    characters a byte (Z85 took 1.25, base64 1.33). */
function base93(bytes) {
  if (BASE93.length !== 93) throw new Error('base93 alphabet');
  const out = [];
  let b = 0;
  let n = 0;
  for (const byte of bytes) {
    b |= byte << n;
    n += 8;
    if (n > 13) {
      let v = b & 8191;
      if (v > 456) {
        b >>>= 13;
        n -= 13;
      } else {
        v = b & 16383;
        b >>>= 14;
        n -= 14;
      }
      out.push(BASE93[v % 93], BASE93[Math.floor(v / 93)]);
    }
  }
  if (n > 0) {
    out.push(BASE93[b % 93]);
    if (n > 7 || b > 92) out.push(BASE93[Math.floor(b / 93)]);
  }
  return out.join('');
}

/**
 * The core as one Zstandard frame with its content size and checksum (loader/src/lib.rs requires the checksum), by
 * the zstd command at its strongest level (`--ultra -22`): ~9% larger than liblzma's strongest raw LZMA, but decoded
 * in a fraction of the time (ARCHITECTURE.md, "Loading the core"). The same zstd gives the same bytes; the round
 * trip is checked here by `zstd -d`, and the embedded decoder by checkUnpacking.
 */
function zstdPack(bytes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elma365-voip-zstd-'));
  try {
    const file = path.join(dir, 'core.wasm');
    fs.writeFileSync(file, bytes);
    const r = spawnSync('zstd', ['-q', '-f', '--ultra', '-22', '--check', '--single-thread', '--no-progress', file, '-o', `${file}.zst`]);
    if (r.status !== 0) throw new Error(`zstd could not pack the core: ${r.error || r.stderr}`);
    const packed = fs.readFileSync(`${file}.zst`);
    const back = spawnSync('zstd', ['-q', '-d', '-c', `${file}.zst`], { maxBuffer: 64 << 20 });
    if (back.status !== 0 || !bytes.equals(back.stdout)) throw new Error(`zstd -d does not give back the core: ${back.error || back.stderr}`);
    return packed;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function bundle(glueFile, wasmFile, unpackerFile, stage0File) {
  const wasm = fs.readFileSync(wasmFile);
  const unpacker = fs.readFileSync(unpackerFile);
  const stage0 = fs.readFileSync(stage0File);
  const packed = zstdPack(wasm);
  const unpackerText = base93(unpacker);
  const packedText = base93(packed);
  const prelude = withoutCommentLines(fs.readFileSync(path.join(root, 'js-glue', 'prelude.ts'), 'utf8'));
  const glue = syncOnlyGlue(glueFile);
  const shim = shimText();
  const header = moduleHeader(wasm.length);
  const text = `${header}
/* Type-checks with tsc --strict as it is (no @ts-nocheck): its types are its own (Elma365Voip…), it
   declares no global name, and each read of a host global carries a @ts-ignore, because a host may
   declare that name or not. */
interface Elma365VoipWasmMemory { buffer: ArrayBuffer; grow(pages: number): number }
/** The part of the host's WebAssembly the core uses. */
interface Elma365VoipWasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** The Rust core (wasm, inlined below): unpacked and compiled once, on first use; instantiated on demand. */
const __elma365voipCore = (function (HostTextEncoder: any, HostTextDecoder: any, ${CORE_BUILTINS.map(([n, t]) => `${n}: ${t}`).join(', ')}) {
  /* The builtins the glue uses are parameters, so that each use is a local read: a global read in a
     node:vm context costs about 0.2 µs, since V8 cannot cache it behind the context's interceptor. */
${prelude}
  /* wasm-bindgen ${wasmBindgenVersion()} glue (no-modules target, synchronous init only), in a factory: each
     instance of the core gets glue state of its own, so a trapped instance can be replaced by a fresh one.
     Annotated for the type checker at build time (scripts/build.js, typedGlue). */
  function makeGlue(onTrap: (error: unknown) => void): any {
${glue}
    return wasm_bindgen;
  }
  /* Stage 0 (loader/stage0.wat): a ${stage0.length}-byte wasm that decodes base93. */
  const STAGE0 = [${Array.from(stage0).join(',')}];
  /* The unpacker (loader/, a Zstandard decoder, ${unpacker.length} bytes of wasm): the first
     ${unpackerText.length} characters of the base93 text below. The rest is the Rust core: ${wasm.length} bytes of
     wasm, packed to ${packed.length} by Zstandard. */
  const UNPACKER_CHARS = ${unpackerText.length};
  const UNPACKER_SIZE = ${unpacker.length};
  const PACKED_SIZE = ${packed.length};
  const WASM_SIZE = ${wasm.length};
  const PACKED_TEXT = '${unpackerText}${packedText}';
  let module: object | null = null;
  return {
    /* A new instance of the core (its wasm compiled once, on first use). \`onTrap(error)\` is called when the
       instance traps where no caller can catch it; \`mark\`, when given (by the benchmark), is called as loading
       starts and after each phase. */
    instantiate(onTrap: (error: unknown) => void, mark?: (phase: string) => void): Elma365VoipCore {
      const tick = typeof mark === 'function' ? mark : function (phase: string) {};
      tick('start');
      if (module === null) {
        module = new WebAssembly.Module(unpackCore(STAGE0, PACKED_TEXT, UNPACKER_CHARS, UNPACKER_SIZE, PACKED_SIZE, WASM_SIZE, tick));
        tick('compile');
      }
      const glue = makeGlue(onTrap);
      glue.initSync({ module });
      tick('instantiate');
      return glue;
    },
    /* Whether the host's scripts have no WebAssembly at all (the shim's message then says so). */
    wasmMissing(): boolean {
      return typeof WebAssembly === 'undefined';
    },
  };
})(${hostArgs(['TextEncoder', 'TextDecoder', ...CORE_BUILTINS.map(([n]) => n)])});

${shim}`;
  checkScript(text, packedText);
  checkUnpacking(prelude, stage0, unpackerText + packedText, unpackerText.length, unpacker.length, packed.length, wasm);
  // Minified, types kept (scripts/minify-ts.js): local names shortened, whitespace and comments dropped.
  const shipped = minify(text).text;
  checkScript(shipped, packedText);
  if (!shipped.includes(`'${unpackerText}${packedText}'`)) throw new Error('minify changed the embedded text');
  fs.writeFileSync(moduleScript, shipped);
  return { wasm: wasm.length, packed: packed.length, unpacker: unpacker.length, stage0: stage0.length, script: Buffer.byteLength(shipped) };
}
/**
 * The build for servers that block WebAssembly: pkg/elma365-voip.nowasm.module.ts. The same core, compiled
 * to JavaScript by binaryen's wasm2js, behind the same glue (initSync patched to call the JS core's factory)
 * and the same shim. It needs no WebAssembly and no eval/new Function, so it runs in a context created with
 * `codeGeneration: { strings: false, wasm: false }`.
 */
function bundleNoWasm(glueFile, wasmFile, out) {
  const jsFile = path.join(work, 'elma365_voip.wasm2js.js');
  run(bin('wasm2js'), [wasmFile, '-Oz', '-o', jsFile]);
  let js = fs.readFileSync(jsFile, 'utf8');
  const lines = js.split('\n');
  if (!/^import \* as \S+ from '[^']+';$/.test(lines[0])) throw new Error('wasm2js output changed shape: no import line');
  const ret = lines.findIndex((l) => l.startsWith('var retasmFunc = asmFunc('));
  if (ret < 0) throw new Error('wasm2js output changed shape: no retasmFunc');
  js = lines.slice(1, ret).map((l) => l.trim()).filter((l) => l !== '' && !/^\/\/|^\/\*\*.*\*\/$/.test(l)).join('\n');
  if (/\beval\(|\bFunction\(|WebAssembly/.test(js)) throw new Error('the wasm2js core uses eval, Function or WebAssembly');
  const prelude = withoutCommentLines(fs.readFileSync(path.join(root, 'js-glue', 'prelude.ts'), 'utf8').split('  /* ---- unpacking the embedded wasm')[0]);
  const glue = syncOnlyGlue(glueFile, true);
  const builtins = CORE_BUILTINS.filter(([n]) => n !== 'WebAssembly');
  const text = `${moduleHeader(fs.readFileSync(wasmFile).length)}
/* The build for ELMA365 servers whose scripts cannot run WebAssembly: the same Rust core as
   elma365-voip.module.ts, compiled to JavaScript by binaryen's wasm2js. No WebAssembly, no eval. */

/** The Rust core as JavaScript (wasm2js): one fresh core, with memory of its own, per call. */
const __elma365voipCore = (function (HostTextEncoder: any, HostTextDecoder: any, ${builtins.map(([n, t]) => `${n}: ${t}`).join(', ')}) {
${prelude}
  /* The core: wasm2js's output, its module import and exports replaced by this factory's parameter and result. */
  function makeJsCore(imports: any): any {
${numericBooleans(typedGlue(js))}
    return asmFunc(imports);
  }
  /* wasm-bindgen ${wasmBindgenVersion()} glue, as in the WebAssembly build, its initSync calling makeJsCore. */
  function makeGlue(onTrap: (error: unknown) => void): any {
${glue}
    return wasm_bindgen;
  }
  return {
    instantiate(onTrap: (error: unknown) => void, mark?: (phase: string) => void): Elma365VoipCore {
      const tick = typeof mark === 'function' ? mark : function (phase: string) {};
      tick('start');
      const glue = makeGlue(onTrap);
      glue.initSync({ module: makeJsCore });
      tick('instantiate');
      return glue;
    },
    wasmMissing(): boolean {
      return false;
    },
  };
})(${hostArgs(['TextEncoder', 'TextDecoder', ...builtins.map(([n]) => n)])});

${shimText()}`;
  checkScript(text);
  fs.writeFileSync(out, text);
  return Buffer.byteLength(text);
}

/**
 * wasm2js writes asm.js: it computes with comparisons as numbers (`(a != 0) + 5`, `x < y & y >= 0`), which
 * `tsc` refuses for any settings. Each boolean operand of an arithmetic, bitwise or relational operator is
 * made a number with a unary plus, which is what JavaScript does to it there anyway, so the code computes
 * the same. The TypeScript checker says which operands are boolean; a second check proves none is left.
 */
function numericBooleans(js) {
  const ts = require('typescript');
  const K = ts.SyntaxKind;
  const OPERATORS = new Set([K.PlusToken, K.MinusToken, K.AsteriskToken, K.SlashToken, K.PercentToken, K.BarToken, K.AmpersandToken,
    K.CaretToken, K.LessThanLessThanToken, K.GreaterThanGreaterThanToken, K.GreaterThanGreaterThanGreaterThanToken, K.LessThanToken,
    K.GreaterThanToken, K.LessThanEqualsToken, K.GreaterThanEqualsToken, K.PlusEqualsToken, K.MinusEqualsToken, K.BarEqualsToken,
    K.AmpersandEqualsToken, K.CaretEqualsToken]);
  const UNARY = new Set([K.MinusToken, K.TildeToken]);
  const name = path.join(work, 'core.wasm2js.ts');
  const check = (text) => {
    fs.writeFileSync(name, `function makeJsCore(imports: any): any {\n${text}\nreturn asmFunc(imports);\n}\n`);
    const program = ts.createProgram([name], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2020, lib: ['lib.es2020.d.ts'], types: [] });
    return { program, file: program.getSourceFile(name), offset: 'function makeJsCore(imports: any): any {\n'.length };
  };
  const { program, file, offset } = check(js);
  const checker = program.getTypeChecker();
  const booleanLike = (t) => (t.flags & ts.TypeFlags.BooleanLike) !== 0;
  const isBoolean = (n) => {
    const t = checker.getTypeAtLocation(n);
    return booleanLike(t) || (t.isUnion() && t.types.some(booleanLike));
  };
  const wraps = [];
  const visit = (n) => {
    if (ts.isBinaryExpression(n) && OPERATORS.has(n.operatorToken.kind)) {
      for (const side of [n.left, n.right]) if (isBoolean(side)) wraps.push(side);
    } else if (ts.isPrefixUnaryExpression(n) && UNARY.has(n.operator) && isBoolean(n.operand)) {
      wraps.push(n.operand);
    }
    ts.forEachChild(n, visit);
  };
  visit(file);
  const edits = [];
  for (const n of wraps) {
    edits.push([n.getStart(file) - offset, '+(']);
    edits.push([n.end - offset, ')']);
  }
  let out = js;
  for (const [at, text] of edits.sort((a, b) => b[0] - a[0] || (a[1] === ')' ? -1 : 1))) out = out.slice(0, at) + text + out.slice(at);
  const again = check(out);
  const left = ts.getPreEmitDiagnostics(again.program);
  if (left.length > 0) {
    const shown = left.slice(0, 3).map((d) => `${ts.flattenDiagnosticMessageText(d.messageText, ' ')} «${d.file.text.slice(d.start, d.start + Math.min(d.length, 120))}»`);
    throw new Error(`the wasm2js core still has ${left.length} type errors after numericBooleans (${name}): ${shown.join('; ')}`);
  }
  fs.unlinkSync(name);
  return out;
}

/** The builtins the prelude and the glue use on the hot path, handed to the core's IIFE as parameters. */
const CORE_BUILTINS = [['Promise', 'PromiseConstructor'], ['JSON', 'JSON'], ['Object', 'ObjectConstructor'], ['Array', 'ArrayConstructor'],
  ['String', 'StringConstructor'], ['Error', 'ErrorConstructor'], ['Uint8Array', 'Uint8ArrayConstructor'], ['DataView', 'DataViewConstructor'],
  ['WebAssembly', 'Elma365VoipWasmApi'], ['FinalizationRegistry', 'any'], ['decodeURIComponent', '(text: string) => string']];
/** Of those, the ones that are not ECMAScript builtins of every host: read with `typeof`, and a @ts-ignore. */
const HOST_GLOBALS = ['TextEncoder', 'TextDecoder', 'WebAssembly', 'FinalizationRegistry'];

/** The arguments of the core's IIFE: a builtin by name; a host global read with `typeof`, under a @ts-ignore. */
function hostArgs(names) {
  return names.map((n) => (HOST_GLOBALS.includes(n)
    ? `// @ts-ignore\n  typeof ${n} !== 'undefined' ? ${n} : undefined`
    : n)).join(',\n  ');
}

/**
 * js-glue/shim.ts as bundled: its whole-line comments dropped (its @ts-ignore lines kept) and its lines
 * unindented, like the glue's (2.5 KB of the 200,000 B budget; js-glue/ keeps both). The build refuses a
 * template literal that spans lines, whose text the unindenting would change.
 */
function shimText() {
  const text = withoutCommentLines(fs.readFileSync(path.join(root, 'js-glue', 'shim.ts'), 'utf8').replace(/^\/\/\/ <reference[^\n]*\n/m, ''));
  if (text.split('\n').some((line) => (line.split('`').length - 1) % 2 === 1)) throw new Error('js-glue/shim.ts has a template literal over several lines');
  return text.split('\n').map((line) => line.trimStart()).join('\n');
}

/** js-glue/header.txt with the version and the core's size. */
function moduleHeader(wasmSize) {
  const version = /^version = "([^"]+)"/m.exec(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
  return fs.readFileSync(path.join(root, 'js-glue', 'header.txt'), 'utf8').replace('{{VERSION}}', version).replace('{{WASM_SIZE}}', String(wasmSize));
}

/** A module script loads nothing by itself: no require, import or export (`embedded`, the packed core's text, aside). */
function checkScript(text, embedded = null) {
  if (/\brequire\(|^\s*import\s|^\s*export\s/m.test(embedded ? text.split(embedded).join('') : text)) {
    throw new Error('the module script must not contain require/import/export');
  }
}

/** Runs the module script's own unpacking code (js-glue/prelude.js) in a bare vm context and proves that it
    gives back the core byte for byte: with no TextEncoder (the copy loop), and with the host's (`encodeInto`). */
function checkUnpacking(prelude, stage0, text, unpackerChars, unpackerSize, packedSize, wasm) {
  const vm = require('vm');
  for (const encoder of ['undefined', 'TextEncoder']) {
    const context = vm.createContext({ WebAssembly, TextEncoder });
    const js = require('typescript').transpileModule(`(function (HostTextEncoder: any, HostTextDecoder: any) {\n${prelude}\n  return unpackCore;\n})(${encoder})`,
      { compilerOptions: { target: 99 /* ESNext */ }, reportDiagnostics: false }).outputText;
    const unpack = vm.runInContext(js, context);
    const bytes = unpack(Array.from(stage0), text, unpackerChars, unpackerSize, packedSize, wasm.length, () => {});
    if (bytes.length !== wasm.length || !Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(wasm)) {
      throw new Error(`the embedded unpacker does not give back the core byte for byte (HostTextEncoder: ${encoder})`);
    }
  }
}

function wasmBindgenVersion() {
  return /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(fs.readFileSync(path.join(root, 'Cargo.lock'), 'utf8'))[1];
}

/** Builds loader/ (the unpacker) to an MVP wasm, lowered and gated like the core. */
function buildUnpacker() {
  log('cargo build loader/ (the unpacker)');
  run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--manifest-path', 'loader/Cargo.toml',
    '--target-dir', path.join('target', 'loader')], {
    env: cargoEnv(['-C', 'target-cpu=mvp', '-C', 'target-feature=+mutable-globals', '-C', 'link-arg=-zstack-size=65536'],
      path.join(root, 'target', 'loader')),
  });
  fs.mkdirSync(work, { recursive: true });
  const out = path.join(work, 'unpacker.wasm');
  fs.copyFileSync(path.join(root, 'target', 'loader', 'wasm32-unknown-unknown', 'release', 'elma365_voip_loader.wasm'), out);
  optimise(out);
  const stage0 = path.join(work, 'stage0.wasm');
  run(bin('wasm-opt'), [path.join(root, 'loader', 'stage0.wat'), ...WASM_OPT_GATE, '--strip-debug', '--strip-producers', '-o', stage0]);
  return { unpacker: out, stage0 };
}

async function main() {
  if (process.argv.includes('--if-needed') && upToDate()) {
    log(`${path.relative(root, moduleScript)} is up to date`);
    return;
  }
  const started = Date.now();
  const noModules = path.join(work, 'no-modules');
  if (!process.argv.includes('--bundle-only')) buildCore(noModules);
  const { unpacker, stage0 } = buildUnpacker();
  log(`bundling ${path.relative(root, moduleScript)}`);
  const sizes = await bundle(path.join(noModules, 'elma365_voip.js'), path.join(noModules, 'elma365_voip_bg.wasm'), unpacker, stage0);
  log(`bundling ${path.relative(root, noWasmScript)} (wasm2js)`);
  sizes.noWasmScript = bundleNoWasm(path.join(noModules, 'elma365_voip.js'), path.join(noModules, 'elma365_voip_bg.wasm'), noWasmScript);
  if (variant.pkg) {
    log('packaging pkg/elma365-voip.e365 and pkg/elma365-voip.nowasm.e365');
    sizes.e365 = writePackage(moduleScript, path.join(variant.pkg, 'elma365-voip.e365'), root);
    sizes.noWasmE365 = writePackage(noWasmScript, path.join(variant.pkg, 'elma365-voip.nowasm.e365'), root);
  }
  // Committed with the rest of pkg/, so nothing machine- or time-specific; the toolchain is an input of the bytes.
  const rustc = execFileSync(process.env.RUSTC || 'rustc', ['--version'], { cwd: root, encoding: 'utf8' }).trim();
  if (variant.pkg) fs.writeFileSync(path.join(variant.pkg, 'build-info.json'), `${JSON.stringify({ ...sizes, rustc }, null, 2)}\n`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: wasm ${sizes.wasm} B, packed ${sizes.packed} B, unpacker ${sizes.unpacker} B + ${sizes.stage0} B, module script ${sizes.script} B, no-wasm module script ${sizes.noWasmScript} B${sizes.e365 ? `, packages ${sizes.e365} B + ${sizes.noWasmE365} B` : ''}`);
}

/** The environment for cargo: `flags` plus remaps that make the wasm the same on every machine. Panic
    locations embed source paths: cargo names the crate's own files relatively (src/...), but each dependency by
    its absolute path under CARGO_HOME, and build-script output by its path in the target dir. std's are
    /rustc/<commit>/library/...; with the rust-src component installed rustc may name them by its real path in the
    toolchain instead, so that is mapped back to the same /rustc/<commit>. The last matching remap wins, so the
    more specific prefixes come last. Passed as CARGO_ENCODED_RUSTFLAGS (0x1f-separated) so that a path with spaces
    stays one argument; cargo leaves --remap-path-prefix out of -C metadata, so symbol names do not change either. */
function cargoEnv(flags, targetDir) {
  const rustc = process.env.RUSTC || 'rustc';
  const sysroot = execFileSync(rustc, ['--print', 'sysroot'], { cwd: root, encoding: 'utf8' }).trim();
  const commit = /^commit-hash: (\S+)$/m.exec(execFileSync(rustc, ['-vV'], { cwd: root, encoding: 'utf8' }))[1];
  const cargoHome = process.env.CARGO_HOME ? path.resolve(process.env.CARGO_HOME) : path.join(os.homedir(), '.cargo');
  const remaps = [
    [path.join(sysroot, 'lib', 'rustlib', 'src', 'rust'), `/rustc/${commit}`],
    [root, '.'],
    [targetDir, '/target'],
    [cargoHome, '/cargo'],
  ].flatMap(([from, to]) => {
    const real = fs.existsSync(from) ? fs.realpathSync(from) : from;
    return [...new Set([from, real])].map((p) => `--remap-path-prefix=${p}=${to}`);
  });
  const env = { ...process.env, CARGO_ENCODED_RUSTFLAGS: [...flags, ...remaps].join('\x1f') };
  delete env.RUSTFLAGS;
  return env;
}

/** Steps 1-4: the core's wasm, its wasm-bindgen glue, and pkg/ (the nodejs target). */
function buildCore(noModules) {
  log('cargo build --release --target wasm32-unknown-unknown');
  // The target dir as cargo sees it (CARGO_TARGET_DIR, build.target-dir), not necessarily target/. The
  // panic-test build shares it: only this crate is rebuilt with the feature.
  const targetDir = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'],
    { cwd: root, encoding: 'utf8' })).target_directory;
  run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--lib', ...variant.features], {
    env: cargoEnv(['-C', 'target-cpu=mvp', '-C', 'target-feature=+mutable-globals'], targetDir),
  });
  fs.mkdirSync(work, { recursive: true });
  const raw = path.join(targetDir, 'wasm32-unknown-unknown', 'release', 'elma365_voip.wasm');
  const input = path.join(work, 'elma365_voip.wasm');
  fs.writeFileSync(input, dropCustomSections(fs.readFileSync(raw), ['target_features']));

  log('wasm-bindgen');
  if (variant.pkg) {
    fs.rmSync(variant.pkg, { recursive: true, force: true });
    run('wasm-bindgen', [input, '--out-dir', variant.pkg, '--target', 'nodejs']);
  }
  run('wasm-bindgen', [input, '--out-dir', noModules, '--target', 'no-modules', '--no-typescript']);

  log('wasm-opt (lower to MVP + mutable-globals + sign-ext, then gate)');
  if (variant.pkg) optimise(path.join(variant.pkg, 'elma365_voip_bg.wasm'));
  optimise(path.join(noModules, 'elma365_voip_bg.wasm'));
  shortNames(noModules);
}

/**
 * The core of the module scripts (not pkg/'s) with one-letter import and export names: wasm-bindgen names
 * them by their Rust paths and hashes (`__wbg_queueMicrotask_9833f9a49df95a49`, …), and each name is in the wasm
 * and again in the glue, which is not compressed. wasm-opt renames them (the gate's features, no optimisation)
 * and prints the mapping, which is kept beside the glue (`names.json`) for syncOnlyGlue.
 */
function shortNames(dir) {
  const file = path.join(dir, 'elma365_voip_bg.wasm');
  const before = importModules(fs.readFileSync(file));
  const mapping = JSON.parse(execFileSync(bin('wasm-opt'), [file, '--mvp-features', '--enable-mutable-globals', '--enable-sign-ext',
    '--minify-imports-and-exports-and-modules', ...(process.env.ELMA365_VOIP_KEEP_NAMES ? ['-g'] : []), '-o', file], { cwd: root, encoding: 'utf8' }));
  const after = importModules(fs.readFileSync(file));
  if (before.length !== 1 || after.length !== 1) throw new Error(`the core imports from ${before.length} modules: expected one`);
  fs.writeFileSync(path.join(dir, 'names.json'), `${JSON.stringify({ module: [before[0], after[0]], imports: mapping.imports, exports: mapping.exports }, null, 1)}\n`);
}

/** The glue with the core's short import and export names (shortNames): the import object's keys and module, and
    each `wasm.<export>`. Every import must be found once; no old name may be left. */
function withShortNames(glue, names) {
  let out = glue;
  const [from, to] = names.module;
  const moduleKey = `${JSON.stringify(from)}: import0`;
  if (out.split(moduleKey).length !== 2) throw new Error(`wasm-bindgen glue changed shape: cannot find ${moduleKey}`);
  out = out.replace(moduleKey, `${JSON.stringify(to)}: import0`);
  for (const [module, name, short] of names.imports) {
    if (module !== from) throw new Error(`an import from ${module}`);
    const key = new RegExp(`^(\\s*)${name}:`, 'm');
    if (out.split(new RegExp(`^\\s*${name}:`, 'm')).length !== 2) throw new Error(`wasm-bindgen glue changed shape: the import ${name} is not one key of its import object`);
    out = out.replace(key, `$1${short}:`);
  }
  for (const [name, short] of names.exports) {
    out = out.replace(new RegExp(`\\bwasm\\.${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g'), `wasm.${short}`);
  }
  const esc = (n) => n.replace(/\$/g, '\\$');
  const left = [...names.imports.filter(([, n]) => new RegExp(`(^|[^\\w$])${esc(n)}:`).test(out)).map(([, n]) => n),
    ...names.exports.filter(([n]) => new RegExp(`wasm\\.${esc(n)}(?![\\w$])`).test(out)).map(([n]) => n)];
  if (left.length) throw new Error(`the glue still names ${left.join(', ')}`);
  return out;
}

main().catch((e) => {
  process.stderr.write(`[build] ${e.stack || e}\n`);
  process.exit(1);
});
