'use strict';
// The structural check of an .e365 module package against what real ELMA365 exports contain
// (../shared/spec/e365.md). It opens the package with Python's zipfile (tests/harness/e365_zip.py), a reader
// the build did not write, and knows the format from the spec alone: it shares no code with scripts/e365.js.
//
//   checkPackage(file, { script, schema }) -> { problems: [string], read, uuid }
//     script  the module script the package must hold (the text of pkg/elma365-voip.module.ts or the nowasm one)
//     schema  the core's settings (JSON.parse(settingsSchema())): each must be declared exactly once
//   readPackage(file) -> { entries, files, nested }   (see e365_zip.py)
//   rewritePackage(src, dst, edits)                     a copy with files replaced, for broken-package tests
const { execFileSync } = require('child_process');
const path = require('path');

const PY = path.join(__dirname, 'e365_zip.py');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** The contract functions ELMA365 calls by name. */
const CONTRACT = ['VoipTestConnection', 'VoipGetMembers', 'VoipGenerateCall', 'VoipParseWebhookRequest', 'VoipGetCallLink', 'VoipOnWebhookUpdated'];

/** package.json as T has it (e365.md §1), `services` aside; title and code are checked as ext_<U>. */
const PACKAGE = {
  title: null, code: null, description: '', language: '', type: 'EXTENSION', category: null, video: '', isVersion: false,
  originalUrl: '', screenshot: null, applications: null, page: null, hidden: false, groups: null, exchangeVersion: 2,
  services: null, solution: null, edition: 'standard', paidPackage: false, dependencies: null, sysDependencies: null,
};
/** T's 17 services and K's 5 more: `Service` is the key except these, `number` is 1 except contractor's 2. */
const T_SERVICES = ['appViews', 'babysitter', 'contractor', 'event-bus', 'exchangeSrv', 'extensions', 'groups', 'localizer', 'pages',
  'permissionsSettings', 'portal', 'processor', 'serials', 'settings', 'templates', 'web-forms', 'widgets'];
const K_SERVICES = ['crm', 'docflow', 'external_applications', 'oauth2', 'reporter'];
const SERVICE_NAME = { appViews: 'main.appViews', groups: 'main.groups', serials: 'main.serials', templates: 'templater', widgets: 'widget' };
const MANIFEST_KEYS = ['number', 'Service', 'entities'];
const ENTRY_KEYS = ['name', 'kind', 'path', 'description', 'namespace', 'code', 'history', 'resources'];
const MODULE_KEYS = ['__id', '__name', 'group', 'summary', 'description', 'language', 'help', 'icon', 'author', 'website', 'enabled',
  'manageable', 'version', '__createdAt', '__createdBy', '__updatedAt', '__updatedBy'];
const SCRIPTS_KEYS = ['__id', 'scripts', 'handlers', 'draft', 'allowGlobal'];
const RUNTIME_KEYS = ['__id', 'scripts', 'sourceScripts', 'fnDeclarations', 'handlers', 'allowGlobal', 'hasTranslations'];
const FIELD_KEYS = ['code', 'type', 'searchable', 'indexed', 'deleted', 'array', 'required', 'single', 'defaultValue', 'calcByFormula', 'formula', 'data', 'view'];
const VIEW_KEYS = ['name', 'data', 'tooltip', 'input', 'output', 'hidden'];
const APP_DATA_KEYS = ['bindings', 'code', 'filter', 'isDependent', 'linkedFieldCode', 'namespace'];
/** The types seen in module settings [K] (FLOAT from app fields), with the additionalType each may have. */
const ADDITIONAL_TYPES = { STRING: ['string', 'text'], FLOAT: ['integer', 'float'], BOOLEAN: ['radio'], SYS_COLLECTION: [], ENUM: [], JSON: [] };

function readPackage(file) {
  return JSON.parse(execFileSync('python3', [PY, 'read', file], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function rewritePackage(src, dst, edits) {
  execFileSync('python3', [PY, 'rewrite', src, dst], { input: JSON.stringify(edits), maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
}

const keysOf = (o) => (o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o) : null);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
/** Whether `keys` are some of `order`, in that order. */
const inOrder = (keys, order) => keys.every((k, i) => order.includes(k) && (i === 0 || order.indexOf(keys[i - 1]) < order.indexOf(k)));

/** The top-level `function` declarations of a script, in source order, by the TypeScript parser. */
function topLevelFunctions(script) {
  const ts = require('typescript');
  const file = ts.createSourceFile('module.ts', script, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return file.statements.filter((s) => ts.isFunctionDeclaration(s) && s.name)
    .map((s) => ({ name: s.name.text, parameters: s.parameters.length, typed: !!s.type }));
}

/** The blocks of a .po file: [{ctx, id, str}], or a problem. */
function parsePo(text) {
  const head = 'msgid ""\nmsgstr ""\n';
  if (!text.startsWith(head)) return { problem: 'does not start with the empty header block' };
  const blocks = [];
  const unquote = (s) => JSON.parse(s);
  for (const block of text.slice(head.length).split('\n\n').filter((b) => b.trim() !== '')) {
    const m = /^msgctxt ("(?:[^"\\]|\\.)*")\nmsgid ("(?:[^"\\]|\\.)*")\nmsgstr ("(?:[^"\\]|\\.)*")\n?$/.exec(block.replace(/^\n/, ''));
    if (!m) return { problem: `has a block that is not msgctxt/msgid/msgstr: ${JSON.stringify(block.slice(0, 80))}` };
    blocks.push({ ctx: unquote(m[1]), id: unquote(m[2]), str: unquote(m[3]) });
  }
  return { blocks };
}

function checkPackage(file, { script, schema }) {
  const problems = [];
  const fail = (msg) => problems.push(msg);
  let read;
  try {
    read = readPackage(file);
  } catch (e) {
    if (e.code === 'ENOENT') throw new Error('python3 is needed to read .e365 packages (tests/harness/e365_zip.py)');
    return { problems: [`cannot be read as a ZIP of ZIPs by Python's zipfile: ${String(e.stderr || e.message).trim().split('\n').pop()}`] };
  }
  const json = (where, text) => {
    try {
      return JSON.parse(text);
    } catch (e) {
      fail(`${where} is not JSON: ${e.message}`);
      return undefined;
    }
  };

  // ---- package.json ---------------------------------------------------------------------------------------------
  const names = read.entries.map((e) => e.name);
  if (new Set(names).size !== names.length) fail('the package has an entry name twice');
  if (!('package.json' in read.files)) return { problems: problems.concat('the package has no package.json'), read };
  const pkg = json('package.json', read.files['package.json']) || {};
  if (!same(keysOf(pkg), Object.keys(PACKAGE))) fail(`package.json: keys ${JSON.stringify(keysOf(pkg))}, expected ${JSON.stringify(Object.keys(PACKAGE))}`);
  for (const [k, v] of Object.entries(PACKAGE)) {
    if (!['title', 'code', 'services'].includes(k) && !same(pkg[k], v)) fail(`package.json: ${k} is ${JSON.stringify(pkg[k])}, expected ${JSON.stringify(v)}`);
  }
  const code = typeof pkg.code === 'string' ? pkg.code : '';
  const U = code.slice(4);
  if (!/^ext_/.test(code) || !UUID.test(U)) fail(`package.json: code ${JSON.stringify(pkg.code)} is not ext_<lower-case uuid>`);
  if (pkg.title !== code) fail(`package.json: title ${JSON.stringify(pkg.title)} differs from the code ${JSON.stringify(code)}`);
  const EXT = `ext_${U}`;
  const services = keysOf(pkg.services) || [];
  if (!same(services, [...services].sort())) fail('package.json: services are not sorted by key');
  for (const s of T_SERVICES) if (!services.includes(s)) fail(`package.json: the service ${s} (which every module export has) is missing`);
  for (const s of services) if (!T_SERVICES.includes(s) && !K_SERVICES.includes(s)) fail(`package.json: unknown service ${s}`);
  const zips = services.map((s) => `${s}.zip`);
  for (const s of services) {
    if (!same(pkg.services[s], { path: `${s}.zip` })) fail(`package.json: services.${s} is ${JSON.stringify(pkg.services[s])}, expected {"path":"${s}.zip"}`);
  }
  for (const n of names) if (n !== 'package.json' && !zips.includes(n)) fail(`the package holds ${n}, which package.json does not name`);

  // ---- each service: manifest, entries, the files they name ------------------------------------------------------
  const manifests = {};
  for (const s of services) {
    const zipName = pkg.services[s] && pkg.services[s].path;
    const nested = read.nested[zipName];
    if (!nested) {
      fail(`package.json names ${zipName}, which is not in the package`);
      continue;
    }
    const where = `${zipName}`;
    if (!('manifest.json' in nested.files)) {
      fail(`${where}: no manifest.json`);
      continue;
    }
    const m = json(`${where}: manifest.json`, nested.files['manifest.json']);
    if (!m) continue;
    manifests[s] = { manifest: m, nested };
    if (!same(keysOf(m), MANIFEST_KEYS)) fail(`${where}: manifest keys ${JSON.stringify(keysOf(m))}, expected ${JSON.stringify(MANIFEST_KEYS)}`);
    const service = SERVICE_NAME[s] || s;
    const number = s === 'contractor' ? 2 : 1;
    if (m.Service !== service) fail(`${where}: Service is ${JSON.stringify(m.Service)}, expected ${JSON.stringify(service)}`);
    if (m.number !== number) fail(`${where}: number is ${JSON.stringify(m.number)}, expected ${number}`);
    if (!Array.isArray(m.entities)) {
      fail(`${where}: entities is not a list`);
      continue;
    }
    const named = new Set(['manifest.json']);
    for (const [i, e] of m.entities.entries()) {
      const at = `${where}: entities[${i}]`;
      if (!same(keysOf(e), ENTRY_KEYS)) fail(`${at}: keys ${JSON.stringify(keysOf(e))}, expected ${JSON.stringify(ENTRY_KEYS)}`);
      if (!e || typeof e.path !== 'string') continue;
      named.add(e.path);
      if (!(e.path in nested.files)) fail(`${at}: the manifest names ${e.path}, which is not in ${zipName}`);
      if (e.description !== '') fail(`${at}: description is not ""`);
      if (e.history !== null) {
        if (!Array.isArray(e.history)) fail(`${at}: history is neither null nor a list`);
        else {
          for (const h of e.history) {
            if (!same(keysOf(h), ['version', 'updatedAt'])) fail(`${at}: a history item has keys ${JSON.stringify(keysOf(h))}`);
            if (!UUID.test(h.version)) fail(`${at}: history version ${JSON.stringify(h.version)} is not a UUID`);
            if (!RFC3339.test(h.updatedAt)) fail(`${at}: history updatedAt ${JSON.stringify(h.updatedAt)} is not UTC RFC 3339`);
          }
        }
      }
      if (e.resources !== null) {
        if (!Array.isArray(e.resources)) fail(`${at}: resources is neither null nor a list`);
        else {
          for (const r of e.resources) {
            if (!same(keysOf(r), ['kind', 'path', 'contentType'])) fail(`${at}: a resource has keys ${JSON.stringify(keysOf(r))}`);
            if (!['po', 'settingValues'].includes(r.kind)) fail(`${at}: resource kind ${JSON.stringify(r.kind)}`);
            if (r.contentType !== '') fail(`${at}: resource contentType is not ""`);
            named.add(r.path);
            if (!(r.path in nested.files)) fail(`${at}: the manifest names the resource ${r.path}, which is not in ${zipName}`);
          }
        }
      }
    }
    const unnamed = Object.keys(nested.files).filter((f) => !named.has(f) && f !== `entities/${EXT}___scripts.ts`);
    if (unnamed.length) fail(`${where}: holds files no manifest names: ${unnamed.join(', ')}`);
  }

  // ---- one module, one UUID: every ext_<uuid> in the manifests and entities (scripts aside) -----------------------
  for (const [s, { nested }] of Object.entries(manifests)) {
    for (const [f, text] of Object.entries(nested.files)) {
      if (/_scripts(_runtime)?\.json$|___scripts\.ts$/.test(f)) continue;
      for (const other of new Set([...`${f} ${text}`.matchAll(/ext_[0-9a-fA-F-]{36}/g)].map((x) => x[0]))) {
        if (other !== EXT) fail(`${s}.zip: ${f} names the module ${other}, not ${EXT}`);
      }
    }
  }
  const entity = (s, p) => (manifests[s] && p in manifests[s].nested.files ? json(`${s}.zip: ${p}`, manifests[s].nested.files[p]) : undefined);
  const entries = (s) => (manifests[s] && Array.isArray(manifests[s].manifest.entities) ? manifests[s].manifest.entities : []);
  const expectEntry = (s, i, want) => {
    const e = entries(s)[i];
    if (!e) {
      fail(`${s}.zip: no entities[${i}] (${want.kind})`);
      return null;
    }
    for (const [k, v] of Object.entries(want)) if (!same(e[k], v)) fail(`${s}.zip: entities[${i}].${k} is ${JSON.stringify(e[k])}, expected ${JSON.stringify(v)}`);
    return e;
  };
  const listed = (s, i, what) => {
    const e = entries(s)[i];
    if (e && !(Array.isArray(e.history) && e.history.length > 0)) fail(`${s}.zip: entities[${i}] (${what}) has no history list`);
  };

  // ---- extensions: the module, its script, its runtime script ---------------------------------------------------
  if (entries('extensions').length !== 3) fail(`extensions.zip: ${entries('extensions').length} entries, expected 3 (extension, scripts, scripts_runtime)`);
  const ext = expectEntry('extensions', 0, { kind: 'extension', path: `entities/${EXT}.json`, namespace: 'global', code: EXT });
  listed('extensions', 0, 'extension');
  expectEntry('extensions', 1, { name: 'scripts', kind: 'scripts', path: `entities/${EXT}_scripts.json`, namespace: EXT, code: '__scripts', resources: null });
  listed('extensions', 1, 'scripts');
  expectEntry('extensions', 2, { name: 'scripts_runtime', kind: 'scripts_runtime', path: `entities/${EXT}_scripts_runtime.json`, namespace: EXT, code: '__scripts', history: null, resources: null });
  const mod = entity('extensions', `entities/${EXT}.json`);
  if (mod) {
    if (!same(keysOf(mod), MODULE_KEYS)) fail(`extensions.zip: the module entity has keys ${JSON.stringify(keysOf(mod))}, expected ${JSON.stringify(MODULE_KEYS)}`);
    if (mod.__id !== U) fail(`extensions.zip: the module entity's __id is ${JSON.stringify(mod.__id)}, not ${U}`);
    if (ext && ext.name !== mod.__name) fail('extensions.zip: the extension entry\'s name is not the module\'s __name');
    if (mod.group !== 'user' || mod.enabled !== true || !same(mod.icon, ['00000000-0000-0000-0000-000000000000']) || mod.version !== 0) fail('extensions.zip: the module entity\'s group/enabled/icon/version differ from real exports');
    for (const k of ['__createdAt', '__updatedAt']) if (!RFC3339.test(mod[k])) fail(`extensions.zip: the module entity's ${k} is not UTC RFC 3339`);
    for (const k of ['__createdBy', '__updatedBy']) if (!UUID.test(mod[k])) fail(`extensions.zip: the module entity's ${k} is not a UUID`);
  }
  const scripts = entity('extensions', `entities/${EXT}_scripts.json`);
  if (scripts) {
    if (!same(keysOf(scripts), SCRIPTS_KEYS)) fail(`extensions.zip: the scripts entity has keys ${JSON.stringify(keysOf(scripts))}, expected ${JSON.stringify(SCRIPTS_KEYS)}`);
    if (scripts.__id !== U) fail('extensions.zip: the scripts entity\'s __id is not the module UUID');
    if (scripts.scripts !== script) fail('extensions.zip: the scripts entity\'s source is not the module script');
    if (!Array.isArray(scripts.handlers) || scripts.draft !== false || scripts.allowGlobal !== false) fail('extensions.zip: the scripts entity\'s handlers/draft/allowGlobal differ from real exports');
  }
  const copy = manifests.extensions && manifests.extensions.nested.files[`entities/${EXT}___scripts.ts`];
  if (copy !== script) fail(`extensions.zip: entities/${EXT}___scripts.ts is ${copy === undefined ? 'missing' : 'not the module script'}`);
  const runtime = entity('extensions', `entities/${EXT}_scripts_runtime.json`);
  if (runtime) {
    if (!same(keysOf(runtime), RUNTIME_KEYS)) fail(`extensions.zip: the runtime entity has keys ${JSON.stringify(keysOf(runtime))}, expected ${JSON.stringify(RUNTIME_KEYS)}`);
    if (runtime.__id !== U) fail('extensions.zip: the runtime entity\'s __id is not the module UUID');
    if (runtime.sourceScripts !== script) fail('extensions.zip: the runtime entity\'s sourceScripts is not the module script');
    if (scripts && !same(runtime.handlers, scripts.handlers)) fail('extensions.zip: the runtime handlers are not a copy of the script\'s');
    if (runtime.allowGlobal !== false || runtime.hasTranslations !== false) fail('extensions.zip: the runtime entity\'s allowGlobal/hasTranslations differ from real exports');
    const js = typeof runtime.scripts === 'string' ? runtime.scripts : '';
    if (!js) fail('extensions.zip: the runtime entity holds no JavaScript');
    if (/^\s*["']use strict["']/.test(js) || /^\s*(export|import)\s/m.test(js)) fail('extensions.zip: the runtime JavaScript is not a plain script (use strict, import or export)');
    const fns = Array.isArray(runtime.fnDeclarations) ? runtime.fnDeclarations : [];
    if (!Array.isArray(runtime.fnDeclarations)) fail('extensions.zip: fnDeclarations is not a list');
    for (const d of fns) {
      if (!same(keysOf(d), ['name', 'parameters', 'type'])) fail(`extensions.zip: an fnDeclarations item has keys ${JSON.stringify(keysOf(d))}`);
      if (!Array.isArray(d.parameters) || !d.parameters.every((p) => same(p, { name: '[object Object]', type: '[object Object]' }))) fail(`extensions.zip: fnDeclarations ${d.name}: parameters not as real exports write them`);
      if (!['', '[object Object]'].includes(d.type)) fail(`extensions.zip: fnDeclarations ${d.name}: type ${JSON.stringify(d.type)}`);
    }
    const want = topLevelFunctions(script);
    const got = fns.map((d) => ({ name: d.name, parameters: Array.isArray(d.parameters) ? d.parameters.length : -1, typed: d.type !== '' }));
    if (!same(got, want)) fail(`extensions.zip: fnDeclarations ${JSON.stringify(got.map((d) => d.name))} are not the script's top-level functions ${JSON.stringify(want.map((d) => d.name))} (names, parameter counts, return types)`);
    const missing = CONTRACT.filter((n) => !fns.some((d) => d.name === n));
    if (missing.length) fail(`extensions.zip: fnDeclarations lacks the contract functions ${missing.join(', ')}`);
  }

  // ---- settings: every field the core reads, once, typed as real module fields are -----------------------------
  if (entries('settings').length !== 1) fail(`settings.zip: ${entries('settings').length} entries, expected 1`);
  expectEntry('settings', 0, { name: EXT, kind: 'settings', path: `entities/${EXT}.json`, namespace: EXT, code: EXT,
    resources: [{ kind: 'po', path: `resources/entities/${EXT}.json.po`, contentType: '' }] });
  listed('settings', 0, 'settings');
  const fields = entity('settings', `entities/${EXT}.json`);
  if (fields !== undefined && !Array.isArray(fields)) fail('settings.zip: the settings entity is not a list of fields');
  const list = Array.isArray(fields) ? fields : [];
  list.forEach((f, i) => {
    const at = `settings.zip: field [${i}] ${f && f.code}`;
    if (!same(keysOf(f), FIELD_KEYS)) return fail(`${at}: keys ${JSON.stringify(keysOf(f))}, expected ${JSON.stringify(FIELD_KEYS)}`);
    if (!(f.type in ADDITIONAL_TYPES)) fail(`${at}: type ${JSON.stringify(f.type)} is not one seen in module settings`);
    for (const k of ['searchable', 'indexed', 'deleted', 'required', 'calcByFormula']) if (f[k] !== false) fail(`${at}: ${k} is not false`);
    if (f.formula !== '') fail(`${at}: formula is not ""`);
    const view = keysOf(f.view);
    if (!view || !inOrder(view, VIEW_KEYS)) fail(`${at}: view keys ${JSON.stringify(view)} are not some of ${JSON.stringify(VIEW_KEYS)} in that order`);
    const add = f.view && f.view.data ? f.view.data.additionalType : undefined;
    if (f.type === 'JSON') {
      if (f.code !== '_fieldVisibilityConditions' || f.data !== null || !same(f.view, { hidden: true }) || i !== list.length - 1) fail(`${at}: a JSON field other than the last, hidden _fieldVisibilityConditions`);
      return undefined;
    }
    if (typeof (f.view && f.view.name) !== 'string' || !f.view.name) fail(`${at}: no label (view.name)`);
    if (ADDITIONAL_TYPES[f.type] && ADDITIONAL_TYPES[f.type].length) {
      if (!ADDITIONAL_TYPES[f.type].includes(add)) fail(`${at}: additionalType ${JSON.stringify(add)} is not one of ${ADDITIONAL_TYPES[f.type].join(', ')}`);
      if (!same(f.data, {})) fail(`${at}: data is not {}`);
      if (f.array !== false || f.single !== true) fail(`${at}: not a scalar (array:false, single:true)`);
    }
    if (f.type === 'STRING' && f.defaultValue !== null && typeof f.defaultValue !== 'string') fail(`${at}: defaultValue is neither null nor a string`);
    if (f.type === 'FLOAT' && f.defaultValue !== null && typeof f.defaultValue !== 'number') fail(`${at}: defaultValue is neither null nor a number`);
    if (f.type === 'SYS_COLLECTION') {
      if (!same(keysOf(f.data), APP_DATA_KEYS) || f.data.bindings !== null || !same(f.data.filter, { enabled: false, value: { tf: {} } }) || f.data.isDependent !== false || f.data.linkedFieldCode !== '') fail(`${at}: data is not an App link as real exports write it`);
      if (f.array !== true || f.defaultValue !== null || !same(f.view.data, {})) fail(`${at}: an App link has array:true, defaultValue:null, view.data {}`);
    }
    return undefined;
  });
  if (list.length && list[list.length - 1].code !== '_fieldVisibilityConditions') fail('settings.zip: the last field is not _fieldVisibilityConditions');
  const KIND = {
    string: ['STRING', 'string'], secret: ['STRING', 'string'], choice: ['STRING', 'string'], text: ['STRING', 'text'], number: ['FLOAT', 'integer'], app: ['SYS_COLLECTION', undefined],
  };
  for (const s of schema) {
    const found = list.filter((f) => f && f.code === s.code);
    if (found.length !== 1) {
      fail(`settings.zip: ${s.code} («${s.label}», read by the core) is declared ${found.length === 0 ? 'nowhere' : `${found.length} times`}`);
      continue;
    }
    const f = found[0];
    const [type, add] = KIND[s.kind] || [];
    if (!type) fail(`settings.zip: ${s.code}: the core's kind ${s.kind} has no ELMA365 type here`);
    else if (f.type !== type || (f.view && f.view.data && f.view.data.additionalType) !== add) fail(`settings.zip: ${s.code} (${s.kind}) is ${f.type}/${f.view && f.view.data && f.view.data.additionalType}, expected ${type}/${add}`);
    if (!f.view || f.view.name !== s.label) fail(`settings.zip: ${s.code}: the label is ${JSON.stringify(f.view && f.view.name)}, the core's is ${JSON.stringify(s.label)}`);
    const def = s.default === '' ? null : s.kind === 'number' ? Number(s.default) : s.default;
    if (!same(f.defaultValue, def)) fail(`settings.zip: ${s.code}: defaultValue ${JSON.stringify(f.defaultValue)}, the core's default is ${JSON.stringify(def)}`);
    if (s.kind === 'app') {
      const [ns, c] = String(s.app).split('.');
      if (!f.data || f.data.namespace !== ns || f.data.code !== c) fail(`settings.zip: ${s.code}: links ${f.data && f.data.namespace}.${f.data && f.data.code}, the core's app is ${s.app}`);
    }
  }
  for (const f of list) if (f && f.code !== '_fieldVisibilityConditions' && !schema.some((s) => s.code === f.code)) fail(`settings.zip: declares ${f.code}, which the core does not read`);
  const po = manifests.settings && manifests.settings.nested.files[`resources/entities/${EXT}.json.po`];
  if (typeof po === 'string') {
    const parsed = parsePo(po);
    if (parsed.problem) fail(`settings.zip: the .po ${parsed.problem}`);
    const blocks = parsed.blocks || [];
    const ctxs = blocks.map((b) => b.ctx);
    if (!same(ctxs, [...ctxs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))))) fail('settings.zip: the .po is not sorted byte-wise by msgctxt');
    for (const b of blocks) if (b.id !== b.str) fail(`settings.zip: the .po's ${b.ctx}: msgstr differs from msgid`);
    list.forEach((f, i) => {
      if (!f || !f.view || typeof f.view.name !== 'string') return;
      const want = [[`[${i}].view.name`, f.view.name]];
      if (typeof f.defaultValue === 'string' && f.defaultValue) want.push([`[${i}].defaultValue`, f.defaultValue]);
      for (const [ctx, text] of want) {
        const b = blocks.find((x) => x.ctx === ctx);
        if (!b || b.id !== text) fail(`settings.zip: the .po has no ${ctx} ${JSON.stringify(text)} (${f.code})`);
      }
    });
    const valid = new Set(list.flatMap((f, i) => [`[${i}].view.name`, `[${i}].defaultValue`]));
    for (const b of blocks) if (!valid.has(b.ctx)) fail(`settings.zip: the .po has ${b.ctx}, which names no label or default`);
  }

  // ---- processor, portal, localizer -----------------------------------------------------------------------------
  expectEntry('processor', 0, { kind: 'custom_activity_group', path: `entities/ca/${EXT}/${U}_group.json.json`, namespace: EXT, code: U, history: null, resources: null });
  const group = entity('processor', `entities/ca/${EXT}/${U}_group.json.json`);
  if (group && (group.__id !== U || group.namespace !== EXT)) fail('processor.zip: the activity group\'s __id/namespace are not the module\'s');
  expectEntry('portal', 0, { name: 'Portal', kind: 'portal', path: `entities/${EXT}/portal.json`, namespace: EXT, code: '', history: null,
    resources: [{ kind: 'settingValues', path: `resources/${EXT}/settings.json`, contentType: '' }] });
  if (entity('portal', `entities/${EXT}/portal.json`) !== null) fail('portal.zip: portal.json is not null');
  if (!same(entity('portal', `resources/${EXT}/settings.json`), { fields: [], values: {} })) fail('portal.zip: settings.json is not {"fields":[],"values":{}}');
  expectEntry('localizer', 0, { name: 'Translations', kind: 'localization', path: `entities/${EXT}/localization.json`, namespace: EXT, code: '', history: null, resources: null });
  if (entity('localizer', `entities/${EXT}/localization.json`) !== null) fail('localizer.zip: localization.json is not null');
  const owned = ['extensions', 'settings', 'processor', 'portal', 'localizer'];
  for (const s of Object.keys(manifests)) if (!owned.includes(s) && entries(s).length) fail(`${s}.zip: has entities; this module ships none there`);
  for (const s of owned) if (entries(s).length > (s === 'extensions' ? 3 : 1)) fail(`${s}.zip: more entities than expected`);

  return { problems, read, uuid: U };
}

/** The runtime JavaScript inside a package read by readPackage. */
function runtimeScript(read) {
  const pkg = JSON.parse(read.files['package.json']);
  const ext = read.nested['extensions.zip'].files;
  return JSON.parse(ext[`entities/${pkg.code}_scripts_runtime.json`]).scripts;
}

module.exports = { checkPackage, readPackage, rewritePackage, runtimeScript, CONTRACT };
