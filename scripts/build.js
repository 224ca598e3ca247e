'use strict';
// Builds the Rust core to wasm that loads on Node 14.16 (V8 8.4), the wasm-bindgen package in pkg/,
// and the one self-contained module script pkg/elma365-voip.module.ts.
//
//   node scripts/build.js              build
//   node scripts/build.js --if-needed  build only when a source is newer than the module script
//
// Steps (see ARCHITECTURE.md, "Build"):
//  1. cargo build --release --target wasm32-unknown-unknown with -C target-cpu=mvp +mutable-globals;
//  2. drop the `target_features` custom section, so wasm-bindgen does not switch on externref;
//  3. wasm-bindgen (pinned) twice: --target nodejs into pkg/ (importable, with .d.ts), and
//     --target no-modules for the module script;
//  4. wasm-opt: lower the bulk-memory and non-trapping float ops that Rust's precompiled std uses,
//     optimise for size, then GATE: re-validate with --mvp-features --enable-mutable-globals
//     --enable-sign-ext, which fails the build if anything V8 8.4 cannot load slipped in;
//  5. bundle: polyfills + tiny-inflate + the glue (its URL/fetch loading path removed) + the wasm
//     (deflate-raw, base64) + js-glue/shim.ts into pkg/elma365-voip.module.ts.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { dropCustomSections, sections } = require('./wasm-sections');

const root = path.resolve(__dirname, '..');
const pkg = path.join(root, 'pkg');
const work = path.join(root, 'target', 'wasm-build');
const moduleScript = path.join(pkg, 'elma365-voip.module.ts');
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
  const inputs = [path.join(root, 'src'), path.join(root, 'js-glue')].map(newestMtime);
  inputs.push(...['Cargo.toml', 'Cargo.lock', 'scripts/build.js'].map((f) => fs.statSync(path.join(root, f)).mtimeMs));
  return Math.max(...inputs) <= built;
}

const WASM_OPT_LOWER = [
  '--enable-bulk-memory', '--enable-bulk-memory-opt', '--enable-nontrapping-float-to-int',
  '--enable-mutable-globals', '--enable-sign-ext',
  '--llvm-memory-copy-fill-lowering', '--llvm-nontrapping-fptoint-lowering',
  '-Oz', '--strip-debug', '--strip-producers',
];
// The gate: exactly what V8 8.4 (Node 14.16) loads.
const WASM_OPT_GATE = ['--mvp-features', '--enable-mutable-globals', '--enable-sign-ext', '-Oz'];

function optimise(file) {
  const lowered = `${file}.lowered`;
  run(bin('wasm-opt'), [file, ...WASM_OPT_LOWER, '-o', lowered]);
  run(bin('wasm-opt'), [lowered, ...WASM_OPT_GATE, '-o', file]);
  fs.unlinkSync(lowered);
  const custom = sections(fs.readFileSync(file)).filter((s) => s.id === 0).map((s) => s.name);
  if (custom.includes('target_features')) throw new Error(`${file} still has a target_features section`);
}

/** The no-modules glue with its async URL/fetch loading path cut out: the module only uses initSync. */
function syncOnlyGlue(glue) {
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
  if (/\bfetch\(|document\.|import\.meta|require\(/.test(out)) throw new Error('glue still loads something by itself');
  return out;
}

function bundle(glueFile, wasmFile) {
  const wasm = fs.readFileSync(wasmFile);
  const packed = zlib.deflateRawSync(wasm, { level: 9 });
  const b64 = packed.toString('base64');
  const prelude = fs.readFileSync(path.join(root, 'js-glue', 'prelude.js'), 'utf8');
  const inflate = fs.readFileSync(path.join(root, 'node_modules', 'tiny-inflate', 'index.js'), 'utf8')
    .replace(/module\.exports\s*=\s*tinf_uncompress;?/, '')
    .trim();
  const glue = syncOnlyGlue(fs.readFileSync(glueFile, 'utf8'));
  const shim = fs.readFileSync(path.join(root, 'js-glue', 'shim.ts'), 'utf8')
    .replace(/^\/\/\/ <reference[^\n]*\n/m, '');
  const version = /^version = "([^"]+)"/m.exec(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
  const header = fs.readFileSync(path.join(root, 'js-glue', 'header.txt'), 'utf8')
    .replace('{{VERSION}}', version)
    .replace('{{WASM_SIZE}}', String(wasm.length));
  const text = `${header}
// @ts-nocheck
/* The host's TypeScript settings are unknown, so this generated file opts out of type checking;
   its hand-written parts (js-glue/*.ts) are checked with tsc --strict in the project's tests. */

/** Loads the Rust core (wasm, inlined below) once, on first use. */
const __elma365voipCore = (function (HostTextEncoder, HostTextDecoder) {
${prelude}
  /* tiny-inflate 1.0.3 (MIT, Devon Govett; after Joergen Ibsen's tinf): raw DEFLATE decoder. */
  const inflateRaw = (function () {
${inflate}
    return tinf_uncompress;
  })();
  /* wasm-bindgen ${wasmBindgenVersion()} glue (no-modules target, synchronous init only). */
${glue}
  /* The Rust core: ${wasm.length} bytes of wasm, deflated to ${packed.length} and base64-encoded. */
  const WASM_SIZE = ${wasm.length};
  const WASM_DEFLATE_BASE64 = '${b64}';
  let core = null;
  /* \`mark\`, when given (by the benchmark), is called as loading starts and after each phase. */
  return function loadCore(mark) {
    if (core === null) {
      const tick = typeof mark === 'function' ? mark : function () {};
      tick('start');
      const packed = base64Decode(WASM_DEFLATE_BASE64);
      tick('base64');
      const bytes = inflateRaw(packed, new Uint8Array(WASM_SIZE));
      tick('inflate');
      const module = new WebAssembly.Module(bytes);
      tick('compile');
      wasm_bindgen.initSync({ module });
      tick('instantiate');
      core = wasm_bindgen;
    }
    return core;
  };
})(typeof TextEncoder !== 'undefined' ? TextEncoder : undefined, typeof TextDecoder !== 'undefined' ? TextDecoder : undefined);

${shim}`;
  if (/\brequire\(|^\s*import\s|^\s*export\s/m.test(text.replace(WASM_DEFLATE_GUARD, ''))) {
    throw new Error('the module script must not contain require/import/export');
  }
  fs.writeFileSync(moduleScript, text);
  return { wasm: wasm.length, packed: packed.length, script: Buffer.byteLength(text) };
}
const WASM_DEFLATE_GUARD = /const WASM_DEFLATE_BASE64 = '[^']*';/;

function wasmBindgenVersion() {
  return /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(fs.readFileSync(path.join(root, 'Cargo.lock'), 'utf8'))[1];
}

function main() {
  if (process.argv.includes('--if-needed') && upToDate()) {
    log('pkg/ is up to date');
    return;
  }
  const started = Date.now();
  log('cargo build --release --target wasm32-unknown-unknown');
  run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--lib'], {
    env: { ...process.env, RUSTFLAGS: '-C target-cpu=mvp -C target-feature=+mutable-globals' },
  });
  fs.mkdirSync(work, { recursive: true });
  const raw = path.join(root, 'target', 'wasm32-unknown-unknown', 'release', 'elma365_voip.wasm');
  const input = path.join(work, 'elma365_voip.wasm');
  fs.writeFileSync(input, dropCustomSections(fs.readFileSync(raw), ['target_features']));

  log('wasm-bindgen');
  fs.rmSync(pkg, { recursive: true, force: true });
  run('wasm-bindgen', [input, '--out-dir', pkg, '--target', 'nodejs']);
  const noModules = path.join(work, 'no-modules');
  run('wasm-bindgen', [input, '--out-dir', noModules, '--target', 'no-modules', '--no-typescript']);

  log('wasm-opt (lower to MVP + mutable-globals + sign-ext, then gate)');
  optimise(path.join(pkg, 'elma365_voip_bg.wasm'));
  optimise(path.join(noModules, 'elma365_voip_bg.wasm'));

  log('bundling pkg/elma365-voip.module.ts');
  const sizes = bundle(path.join(noModules, 'elma365_voip.js'), path.join(noModules, 'elma365_voip_bg.wasm'));
  fs.writeFileSync(path.join(pkg, 'build-info.json'), JSON.stringify({ ...sizes, builtAt: new Date().toISOString() }, null, 2));
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: wasm ${sizes.wasm} B, deflated ${sizes.packed} B, module script ${sizes.script} B`);
}

main();
