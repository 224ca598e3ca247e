'use strict';
// Checks the shipped module script the way a reviewer would, with the TypeScript parser:
//  - the six contract functions are top-level `async function`s with the contract's exact signatures;
//  - no import/export/require, and no unguarded use of Node-only globals (process, Buffer, fs,
//    require, module, exports, __dirname, global) or of globals the host may lack (atob,
//    TextEncoder, TextDecoder, AbortController, setTimeout): each must sit under `typeof`;
//  - it fits the size budget (200,000 bytes).
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

// `node scripts/check-module.js [file]`: the WebAssembly build by default. The budget is that build's; the no-wasm
// build (pkg/elma365-voip.nowasm.module.ts) is checked for everything else, and its size reported.
const file = path.resolve(process.argv[2] || path.join(__dirname, '..', 'pkg', 'elma365-voip.module.ts'));
const NO_WASM = /\.nowasm\.module\.ts$/.test(file);
const text = fs.readFileSync(file, 'utf8');
const BUDGET = 200000;
const SIGNATURES = [
  'async function VoipTestConnection(): Promise<VoipTestConnectionResult>',
  'async function VoipGetMembers(): Promise<VoipMember[]>',
  'async function VoipGenerateCall(srcPhone: string, dstPhone: string): Promise<void>',
  'async function VoipParseWebhookRequest(request: FetchRequest): Promise<VoipWebhookParseResult>',
  'async function VoipGetCallLink(callData: any): Promise<string>',
  'async function VoipOnWebhookUpdated(webhookUrl: string): Promise<void>',
];
const FORBIDDEN = new Set(['process', 'Buffer', 'fs', 'require', 'module', 'exports', '__dirname', '__filename', 'global']);
const GUARDED = new Set(['atob', 'TextEncoder', 'TextDecoder', 'AbortController', 'setTimeout', 'clearTimeout', 'HttpResponse', 'VoipWebhookEvent', 'VoipCallDirection', 'VoipCallDisposition']);

const problems = [];
const src = ts.createSourceFile('module.ts', text, ts.ScriptTarget.ESNext, true);

const topLevel = new Map();
for (const st of src.statements) {
  if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st) || ts.isExportAssignment(st)) problems.push(`top-level import/export at ${pos(st)}`);
  if (ts.isFunctionDeclaration(st) && st.name) topLevel.set(st.name.text, text.slice(st.getStart(src), st.body.getStart(src)).replace(/\s+/g, ' ').trim());
}
for (const sig of SIGNATURES) {
  const name = /function (\w+)/.exec(sig)[1];
  if (topLevel.get(name) !== sig) problems.push(`${name}: expected «${sig}», found «${topLevel.get(name)}»`);
}

function pos(node) {
  const { line, character } = src.getLineAndCharacterOfPosition(node.getStart(src));
  return `${line + 1}:${character + 1}`;
}

/** Whether the identifier is a use of a global (not a property name, declaration or under typeof). */
function isUnguardedUse(id) {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodSignature(p)) && p.name === id) return false;
  if ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isClassDeclaration(p)) && p.name === id) return false;
  if (ts.isTypeOfExpression(p)) return false;
  if (ts.isTypeReferenceNode(p) || ts.isQualifiedName(p)) return false;
  return true;
}

/** Whether the identifier is a branch of `typeof name === 'undefined' ? … : name` (js-sys's global lookup). */
function guardedByConditional(id) {
  const p = id.parent;
  if (!ts.isConditionalExpression(p)) return false;
  let found = false;
  (function walk(n) {
    if (ts.isTypeOfExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === id.text) found = true;
    else ts.forEachChild(n, walk);
  })(p.condition);
  return found;
}

/** Whether `name` is declared as a local (const/let/var/param/function/class) anywhere up the tree. */
function declaredLocally(id) {
  for (let n = id.parent; n; n = n.parent) {
    const locals = n.locals;
    if (locals && locals.has(id.text) && n !== src) return true;
  }
  return false;
}

// Bind so that `locals` are available for scope checks.
ts.bindSourceFile ? ts.bindSourceFile(src, {}) : null;
const guardedSeen = new Map();
(function walk(node) {
  if (ts.isIdentifier(node) && isUnguardedUse(node) && !declaredLocally(node)) {
    if (FORBIDDEN.has(node.text) && !guardedByConditional(node)) problems.push(`uses Node-only global «${node.text}» at ${pos(node)}`);
    if (GUARDED.has(node.text)) guardedSeen.set(node.text, node);
  }
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') problems.push(`require( at ${pos(node)}`);
  ts.forEachChild(node, walk);
})(src);

// Globals the host may lack are allowed only where a typeof guard of the same name exists in the script.
for (const [name, node] of guardedSeen) {
  if (!new RegExp(`typeof ${name}\\b`).test(text)) problems.push(`uses «${name}» at ${pos(node)} without any typeof guard`);
}

const size = Buffer.byteLength(text);
if (!NO_WASM && size > BUDGET) problems.push(`module script is ${size} bytes, over the ${BUDGET}-byte budget`);

if (problems.length) {
  console.error(`${file}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`module script ok: ${path.basename(file)}, ${size} bytes${NO_WASM ? ' (the no-wasm build: no budget)' : ` (budget ${BUDGET})`}, six contract signatures, no require/import/export, no unguarded Node-only globals`);
