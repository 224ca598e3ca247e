'use strict';
// Type-preserving minification of the module script (scripts/build.js, the WebAssembly build), with the
// TypeScript compiler only: the script stays TypeScript that type-checks as before, since nothing is removed
// but whitespace and comments, and nothing is renamed but local names.
//
//  1. Local names (parameters, variables, local functions, local interfaces/types, type parameters: every
//     symbol declared inside a function) get short names, the most used first, a name shared only by symbols
//     whose scopes are disjoint. Never renamed: anything declared at the top level (the six contract functions,
//     `__elma365voip`, `__elma365voipCore`, the interfaces), the parameters of top-level functions (the six
//     signatures), classes, properties, and globals (a name that the script does not declare is never the new
//     name of a local either). Proven: in the renamed script every identifier resolves (TypeScript's binder) to
//     the same declaration as in the original.
//  2. Whitespace and comments go, but for the header comment and each `// @ts-ignore` or `// @ts-expect-error`
//     (kept on its own line, above the very line it was above). A line break stays where the original relied on it (automatic
//     semicolon insertion: a statement or member without its `;`). The header of each top-level function stays
//     as written (check-module.js reads the six contract signatures). Proven: the result parses to the same
//     tree, token for token.
const ts = require('typescript');

const K = ts.SyntaxKind;
const RESERVED = new Set([
  // keywords and contextual keywords of JS and TS, and names best never declared
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'as', 'implements', 'interface', 'let',
  'package', 'private', 'protected', 'public', 'static', 'yield', 'any', 'boolean', 'constructor', 'declare', 'get', 'module',
  'require', 'number', 'set', 'string', 'symbol', 'type', 'from', 'of', 'is', 'in', 'keyof', 'infer', 'never', 'unknown',
  'object', 'async', 'await', 'abstract', 'readonly', 'global', 'asserts', 'out', 'override', 'satisfies', 'accessor',
  'undefined', 'NaN', 'Infinity', 'arguments', 'eval', 'process', 'Buffer', 'fs', 'exports', '__dirname', '__filename',
]);

function isFunctionLike(n) {
  return ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n);
}

/** Identifiers in tree order, JSDoc left out. */
function identifiers(sf) {
  const out = [];
  const walk = (n) => {
    if (n.kind >= K.FirstJSDocNode && n.kind <= K.LastJSDocNode) return;
    if (ts.isIdentifier(n)) out.push(n);
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return out;
}

function programFor(text) {
  const name = 'module.ts';
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.ESNext, true);
  const host = {
    getSourceFile: (f) => (f === name ? sf : undefined),
    getDefaultLibFileName: () => 'lib.d.ts',
    writeFile() {},
    getCurrentDirectory: () => '/',
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (f) => f === name,
    readFile: () => undefined,
  };
  const program = ts.createProgram([name], { noLib: true, types: [], noResolve: true, target: ts.ScriptTarget.ESNext }, host);
  return { sf, checker: program.getTypeChecker() };
}

/** The symbol an identifier stands for as a value or type (a shorthand property `{ x }` stands for the variable x). */
function symbolOf(checker, id) {
  const p = id.parent;
  if (ts.isShorthandPropertyAssignment(p) && p.name === id) return checker.getShorthandAssignmentValueSymbol(p);
  return checker.getSymbolAtLocation(id);
}

/** Identifiers that name a property only (no binding of their own): left out of the binding comparison. */
function isPropertyNameOnly(id) {
  const p = id.parent;
  return (ts.isPropertyAssignment(p) && p.name === id) || (ts.isBindingElement(p) && p.propertyName === id);
}

/** Identifiers that never resolve in a scope: member names and labels. */
function isMemberName(id) {
  const p = id.parent;
  if (isPropertyNameOnly(id)) return true;
  if ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) && p.name === id) return true;
  if (ts.isQualifiedName(p) && p.right === id) return true;
  if ((ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isMethodSignature(p) ||
    ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p) || ts.isEnumMember(p)) && p.name === id) return true;
  if ((ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) && p.label === id) return true;
  return false;
}

const RENAMEABLE = ts.SymbolFlags.Variable | ts.SymbolFlags.Function | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.TypeParameter;
const NEVER = ts.SymbolFlags.Property | ts.SymbolFlags.Method | ts.SymbolFlags.Accessor | ts.SymbolFlags.Class | ts.SymbolFlags.Enum |
  ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule | ts.SymbolFlags.Alias;

/** The node whose extent bounds where a local declaration is visible (a function; conservative for block scopes). */
function scopeOf(decl) {
  if (ts.isParameter(decl) || ts.isTypeParameterDeclaration(decl)) return decl.parent;
  if (ts.isFunctionExpression(decl)) return decl;
  for (let n = decl.parent; n; n = n.parent) if (isFunctionLike(n)) return n;
  return null;
}

/** Whether the declaration is local to a function, and not a parameter of a top-level function. */
function isLocal(decl, sf) {
  if (ts.isParameter(decl) && ts.isFunctionDeclaration(decl.parent) && decl.parent.parent === sf) return false;
  for (let n = decl.parent; n; n = n.parent) if (isFunctionLike(n)) return true;
  return false;
}

function* names() {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
  const rest = `${first}0123456789`;
  for (const c of first) yield c;
  for (const c of first) for (const d of rest) yield c + d;
  for (const c of first) for (const d of rest) for (const e of rest) yield c + d + e;
}

/** Renames the locals of `text`; returns the new text and the count of symbols renamed. */
function renameLocals(text) {
  const { sf, checker } = programFor(text);
  const ids = identifiers(sf);
  const bySymbol = new Map();
  const keep = new Set();
  for (const id of ids) {
    const sym = symbolOf(checker, id);
    const decls = sym && sym.declarations;
    const ok = sym && id.text !== 'arguments' && id.text !== 'this' && (sym.flags & RENAMEABLE) && !(sym.flags & NEVER) && decls && decls.length > 0 &&
      decls.every((d) => d.getSourceFile() === sf && isLocal(d, sf) && scopeOf(d));
    if (!ok) {
      if (!isMemberName(id)) keep.add(id.text);
      continue;
    }
    if (!bySymbol.has(sym)) bySymbol.set(sym, { sym, ids: [], first: id.pos });
    bySymbol.get(sym).ids.push(id);
  }
  // Scope of each symbol: the outermost scope among its declarations, as a [start, end) range.
  const entries = [...bySymbol.values()];
  for (const e of entries) {
    let best = null;
    for (const d of e.sym.declarations) {
      const s = scopeOf(d);
      if (!best || (s.getStart(sf) <= best.getStart(sf) && s.end >= best.end)) best = s;
    }
    e.from = best.getStart(sf);
    e.to = best.end;
  }
  entries.sort((a, b) => b.ids.length - a.ids.length || a.first - b.first);
  const taken = new Map(); // name -> ranges of the symbols holding it
  for (const e of entries) {
    for (const n of names()) {
      if (keep.has(n) || RESERVED.has(n)) continue;
      const ranges = taken.get(n) || [];
      if (ranges.some(([f, t]) => (f <= e.from && e.to <= t) || (e.from <= f && t <= e.to))) continue;
      ranges.push([e.from, e.to]);
      taken.set(n, ranges);
      e.name = n;
      break;
    }
  }
  const edits = [];
  for (const e of entries) {
    for (const id of e.ids) {
      const p = id.parent;
      let repl = e.name;
      if ((ts.isShorthandPropertyAssignment(p) && p.name === id) ||
        (ts.isBindingElement(p) && p.name === id && !p.propertyName && ts.isObjectBindingPattern(p.parent))) repl = `${id.text}: ${e.name}`;
      edits.push([id.getStart(sf), id.end, repl]);
    }
  }
  let out = text;
  for (const [from, to, repl] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, from) + repl + out.slice(to);
  const renamed = bindings(out);
  const original = bindings(text);
  if (renamed.length !== original.length || renamed.some((k, i) => k !== original[i])) {
    const i = renamed.findIndex((k, j) => k !== original[j]);
    throw new Error(`minify: renaming changed what a name refers to (identifier ${i}: ${original[i]} became ${renamed[i]})`);
  }
  return { text: out, renamed: entries.length };
}

/** What each identifier refers to, position-free: a local by the order its symbol first appears, anything else by name. */
function bindings(text) {
  const { sf, checker } = programFor(text);
  const order = new Map();
  const out = [];
  for (const id of identifiers(sf)) {
    if (isPropertyNameOnly(id)) continue;
    const sym = symbolOf(checker, id);
    const local = sym && sym.declarations && sym.declarations.length > 0 && sym.declarations.every((d) => d.getSourceFile() === sf) &&
      (sym.flags & RENAMEABLE) && !(sym.flags & NEVER);
    if (local) {
      if (!order.has(sym)) order.set(sym, order.size);
      out.push(`#${order.get(sym)}`);
    } else out.push(`=${id.text}`);
  }
  return out;
}

/** Leaf tokens of the tree in source order (JSDoc left out). */
function tokens(sf) {
  const out = [];
  const walk = (n) => {
    if (n.kind >= K.FirstJSDocNode && n.kind <= K.LastJSDocNode) return;
    const children = n.getChildren(sf);
    if (children.length === 0) {
      if (n.kind !== K.EndOfFileToken && n.end > n.getStart(sf)) out.push(n);
      return;
    }
    for (const c of children) walk(c);
  };
  walk(sf);
  return out;
}

const SEMICOLON_KINDS = new Set([K.VariableStatement, K.ExpressionStatement, K.ReturnStatement, K.ThrowStatement, K.BreakStatement,
  K.ContinueStatement, K.DoStatement, K.DebuggerStatement, K.TypeAliasDeclaration, K.PropertyDeclaration, K.PropertySignature,
  K.MethodSignature, K.IndexSignature, K.CallSignature, K.ConstructSignature, K.ImportDeclaration, K.ExportDeclaration,
  K.ExportAssignment, K.EmptyStatement]);

/** The end offsets of statements and members that end without their `;` (or `,`): a line break must stay there. */
function asiPoints(sf) {
  const out = new Set();
  const walk = (n) => {
    if (SEMICOLON_KINDS.has(n.kind)) {
      const last = n.getLastToken(sf);
      if (!last || (last.kind !== K.SemicolonToken && last.kind !== K.CommaToken)) out.add(n.end);
      // A member of a type literal or an interface ends with its separator only when it has one.
    }
    // `abstract`-less overloads and declarations without a body (`function f(): void` in a .ts) end without a `;` too.
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && !n.body) out.add(n.end);
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return out;
}

const WORD = /[\w$\u0080-\uffff]/;

/** Whether two tokens written next to each other would read as different tokens. */
function needsSpace(a, b, aKind) {
  const x = a[a.length - 1];
  const y = b[0];
  if (WORD.test(x) && WORD.test(y)) return true;
  if ((x === '+' && y === '+') || (x === '-' && y === '-')) return true;
  if (x === '/' && (y === '/' || y === '*')) return true;
  if (aKind === K.RegularExpressionLiteral && WORD.test(y)) return true;
  if (aKind === K.NumericLiteral && y === '.') return true;
  if (x === '?' && y === '.') return true;
  if (x === '<' && y === '!') return true;
  return false;
}

/** The text without comments and whitespace (see the top of this file). */
function squeeze(text) {
  const sf = ts.createSourceFile('module.ts', text, ts.ScriptTarget.ESNext, true);
  if (sf.parseDiagnostics.length) throw new Error(`minify: the module script does not parse: ${sf.parseDiagnostics[0].messageText}`);
  const toks = tokens(sf);
  const asi = asiPoints(sf);
  // Headers of top-level functions, kept as written: [start, end of header] -> text.
  const verbatim = new Map();
  for (const st of sf.statements) {
    if (!ts.isFunctionDeclaration(st) || !st.body) continue;
    const header = text.slice(st.getStart(sf), st.body.getStart(sf));
    // Runs of whitespace become one space, but for a header with a literal (whose text they may be part of).
    verbatim.set(st.getStart(sf), [st.body.getStart(sf), (/['"`]/.test(header) ? header : header.replace(/\s+/g, ' ')).trim()]);
  }
  const lineOf = (pos) => sf.getLineAndCharacterOfPosition(pos).line;
  let out = '';
  // The header comment (the file's first comment), kept.
  const lead = ts.getLeadingCommentRanges(text, 0) || [];
  if (lead.length) out += `${text.slice(lead[0].pos, lead[0].end)}\n`;
  let prev = null; // previous token emitted: { text, kind, end }
  let ignoredLine = -1; // the original line below a @ts-ignore: it ends with a line break
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const start = t.getStart(sf);
    let tt = text.slice(start, t.end);
    let skipTo = -1;
    if (verbatim.has(start)) {
      const [bodyStart, header] = verbatim.get(start);
      tt = header;
      skipTo = bodyStart;
    }
    const comments = prev ? [...(ts.getTrailingCommentRanges(text, prev.end) || []), ...(ts.getLeadingCommentRanges(text, prev.end) || [])] : [];
    const directive = comments.map((c) => /^\/\/\s*@(ts-ignore|ts-expect-error)\b/.exec(text.slice(c.pos, c.end))).filter(Boolean).map((m) => m[1]).pop();
    let sep = '';
    if (prev) {
      const line = lineOf(start);
      const broke = /\n/.test(text.slice(prev.end, start));
      if (directive) sep = `\n// @${directive}\n`;
      else if (broke && (asi.has(prev.end) || lineOf(prev.end) === ignoredLine || verbatim.has(start))) sep = '\n';
      else if (needsSpace(prev.text, tt, prev.kind)) sep = ' ';
      if (directive) ignoredLine = line;
      else if (line > ignoredLine) ignoredLine = -1;
    }
    out += sep + tt;
    prev = { text: tt, kind: t.kind, end: t.end };
    if (skipTo >= 0) {
      while (i + 1 < toks.length && toks[i + 1].getStart(sf) < skipTo) i++;
      prev.end = toks[i].end;
      prev.kind = toks[i].kind;
    }
  }
  out += '\n';
  // Proof: the same tree, token for token.
  const again = ts.createSourceFile('module.ts', out, ts.ScriptTarget.ESNext, true);
  if (again.parseDiagnostics.length) throw new Error(`minify: the minified script does not parse: ${again.parseDiagnostics[0].messageText}`);
  const a = shape(sf);
  const b = shape(again);
  if (a.length !== b.length || a.some((x, j) => x !== b[j])) {
    const j = a.findIndex((x, k) => x !== b[k]);
    throw new Error(`minify: the minified script parses differently (at node ${j}: ${a[j]} became ${b[j]})`);
  }
  const directives = (s) => (s.match(/\/\/\s*@ts-(ignore|expect-error)/g) || []).length;
  if (directives(out) !== directives(text)) throw new Error(`minify: a @ts-ignore or @ts-expect-error was lost (${directives(text)} -> ${directives(out)})`);
  return out;
}

/** The tree as a list: every node's kind, and every token's text, in order (JSDoc left out). */
function shape(sf) {
  const out = [];
  const walk = (n) => {
    if (n.kind >= K.FirstJSDocNode && n.kind <= K.LastJSDocNode) return;
    const children = n.getChildren(sf);
    if (children.length === 0) {
      if (n.kind !== K.EndOfFileToken) out.push(`${n.kind}:${sf.text.slice(n.getStart(sf), n.end)}`);
      return;
    }
    out.push(String(n.kind));
    for (const c of children) walk(c);
  };
  walk(sf);
  return out;
}

/** The whole pipeline: short local names, then no whitespace or comments. */
function minify(text) {
  const { text: renamed, renamed: count } = renameLocals(text);
  return { text: squeeze(renamed), renamed: count };
}

module.exports = { minify, renameLocals, squeeze };
