'use strict';
// The ELMA365 module package (`.e365`) of a built module script: pkg/elma365-voip.e365 from
// pkg/elma365-voip.module.ts, pkg/elma365-voip.nowasm.e365 from the no-wasm script. The format is the one real
// exports have (../shared/spec/e365.md): a ZIP holding package.json and one nested ZIP per service, each with
// its manifest.json and the entities/resources that manifest names. scripts/build.js calls writePackage after
// bundling; `node scripts/e365.js` rewrites both packages from what is in pkg/.
//
// Reproducible: no clock and no randomness. Every timestamp is PACKAGE_TIME, every history version a UUID made
// from a SHA-256 of the content it versions, the entry order is fixed, and the ZIPs are written here, deflate
// included (Node's zlib gives other bytes on another zlib: Node 20's 1.3.1-chromium and Node 14.16's 1.2.11
// deflate the same script differently, and the build must not depend on the Node it runs on).
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

/** The module's UUID: fixed for every release, so that importing a new version updates the module (its code is
    `ext_<uuid>`) instead of adding a second one. Never change it. */
const MODULE_UUID = 'e31a06a5-661e-478b-8db3-e0c3ab78ced7';
const MODULE_CODE = `ext_${MODULE_UUID}`;
/** Every timestamp in the package (RFC 3339 as Go writes it: no fraction when the nanoseconds are zero). */
const PACKAGE_TIME = '2026-01-01T00:00:00Z';
/** __createdBy / __updatedBy: no user of the target company; the nil UUID (an inference, see ARCHITECTURE.md). */
const NOBODY = '00000000-0000-0000-0000-000000000000';
const MODULE_NAME = 'Телефония: Oktell и ВАТС Ростелеком';
/** The TypeScript target of the runtime JavaScript: what real runtime entities look like (e365.md, §2). */
const RUNTIME_TARGET = 'ES2017';

/** The services of a module export (e365.md §1, T): the nested ZIP's key, its manifest's `Service` and `number`. */
const SERVICES = {
  appViews: 'main.appViews', babysitter: 'babysitter', contractor: 'contractor', 'event-bus': 'event-bus',
  exchangeSrv: 'exchangeSrv', extensions: 'extensions', groups: 'main.groups', localizer: 'localizer', pages: 'pages',
  permissionsSettings: 'permissionsSettings', portal: 'portal', processor: 'processor', serials: 'main.serials',
  settings: 'settings', templates: 'templater', 'web-forms': 'web-forms', widgets: 'widget',
};
const serviceNumber = (key) => (key === 'contractor' ? 2 : 1);

/** JSON as Go's encoding/json writes it: compact, with <, >, & and U+2028/U+2029 escaped. */
function goJson(value) {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A version UUID from the content it versions: SHA-256 of a label and the bytes, laid out as a UUID v8. */
function contentUuid(label, ...parts) {
  const hash = crypto.createHash('sha256').update(`elma365-voip/${label}\0`);
  for (const p of parts) hash.update(p);
  const b = hash.digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One settings field of the module (e365.md §3) from a field of the core's settingsSchema(). */
function settingsField(f) {
  const base = (type, extra) => Object.assign({
    code: f.code, type, searchable: false, indexed: false, deleted: false, array: false, required: false, single: true,
    defaultValue: f.default === '' ? null : f.default, calcByFormula: false, formula: '', data: {},
  }, extra);
  switch (f.kind) {
    case 'string':
    case 'secret': // no secret type was seen: K's passwords and tokens are plain STRING fields
    case 'choice': // a string the core checks against f.choices (an ENUM's view shape was not seen)
      return base('STRING', { view: { name: f.label, data: { additionalType: 'string' } } });
    case 'text':
      return base('STRING', { view: { name: f.label, data: { additionalType: 'text' } } });
    case 'number': {
      if (f.default !== '' && !/^-?\d+$/.test(f.default)) throw new Error(`settings field ${f.code}: the default «${f.default}» is not a whole number`);
      return base('FLOAT', { defaultValue: f.default === '' ? null : Number(f.default), view: { name: f.label, data: { additionalType: 'integer' } } });
    }
    case 'app': {
      const m = /^([^.]+)\.([^.]+)$/.exec(f.app || '');
      if (!m) throw new Error(`settings field ${f.code}: an App field needs its app as namespace.code, not «${f.app}»`);
      return base('SYS_COLLECTION', {
        array: true, defaultValue: null,
        data: { bindings: null, code: m[2], filter: { enabled: false, value: { tf: {} } }, isDependent: false, linkedFieldCode: '', namespace: m[1] },
        view: { name: f.label, data: {} },
      });
    }
    default:
      throw new Error(`settings field ${f.code}: no ELMA365 type for the kind «${f.kind}»`);
  }
}

/** The module's settings entity: every field of the schema, then the hidden `_fieldVisibilityConditions` that all
    3 modules seen end with. */
function settingsEntity(schema) {
  return [...schema.map(settingsField), {
    code: '_fieldVisibilityConditions', type: 'JSON', searchable: false, indexed: false, deleted: false, array: false,
    required: false, single: true, defaultValue: null, calcByFormula: false, formula: '', data: null, view: { hidden: true },
  }];
}

/** The settings' `.po` (e365.md §3): each label and each string default, msgid = msgstr, sorted by context byte-wise. */
function settingsPo(fields) {
  const blocks = [];
  fields.forEach((f, i) => {
    if (f.view && typeof f.view.name === 'string') blocks.push([`[${i}].view.name`, f.view.name]);
    if (typeof f.defaultValue === 'string' && f.defaultValue !== '') blocks.push([`[${i}].defaultValue`, f.defaultValue]);
  });
  blocks.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  return ['msgid ""\nmsgstr ""\n', ...blocks.map(([ctx, text]) => `msgctxt ${goJson(ctx)}\nmsgid ${goJson(text)}\nmsgstr ${goJson(text)}\n`)].join('\n');
}

/** fnDeclarations (e365.md §2): one item per top-level `function` of the source, in source order. */
function fnDeclarations(source) {
  const ts = require('typescript');
  const file = ts.createSourceFile('module.ts', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return file.statements.filter((s) => ts.isFunctionDeclaration(s) && s.name).map((s) => ({
    name: s.name.text,
    parameters: s.parameters.map(() => ({ name: '[object Object]', type: '[object Object]' })),
    type: s.type ? '[object Object]' : '',
  }));
}

/** The JavaScript the runtime entity holds: the source through the TypeScript compiler at RUNTIME_TARGET, as a plain
    script with comments stripped (e365.md §2). */
function runtimeJs(source) {
  const ts = require('typescript');
  const out = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget[RUNTIME_TARGET], module: ts.ModuleKind.None, removeComments: true, newLine: ts.NewLineKind.LineFeed },
    reportDiagnostics: true,
  });
  if (out.diagnostics && out.diagnostics.length) throw new Error(`the module script does not transpile: ${ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, ' ')}`);
  if (/^\s*["']use strict["']/.test(out.outputText)) throw new Error('the runtime JavaScript is not a plain script (it starts with "use strict")');
  return out.outputText;
}

/** A manifest entry, keys in the native order (e365.md §1). */
function entry(name, kind, entityPath, namespace, code, history, resources = null) {
  return { name, kind, path: entityPath, description: '', namespace, code, history, resources };
}
const history = (version) => [{ version, updatedAt: PACKAGE_TIME }];
const stamps = { __createdAt: PACKAGE_TIME, __createdBy: NOBODY, __updatedAt: PACKAGE_TIME, __updatedBy: NOBODY };

/** The files of each service's nested ZIP, in order: [[path, text], ...], manifest.json first. */
function serviceFiles({ source, schema, version }) {
  const U = MODULE_UUID;
  const js = runtimeJs(source);
  const scripts = goJson({ __id: U, scripts: source, handlers: [], draft: false, allowGlobal: false });
  const runtime = goJson({ __id: U, scripts: js, sourceScripts: source, fnDeclarations: fnDeclarations(source), handlers: [], allowGlobal: false, hasTranslations: false });
  const fields = settingsEntity(schema);
  const settings = goJson(fields);
  const moduleEntity = goJson(Object.assign({
    __id: U, __name: MODULE_NAME, group: 'user',
    summary: `IP-телефония для ELMA365: Oktell и Виртуальная АТС Ростелеком. elma365-voip ${version}.`,
    description: '', language: 'ru-RU', help: '', icon: ['00000000-0000-0000-0000-000000000000'], author: 'elma365-voip',
    website: '', enabled: true, manageable: true, version: 0,
  }, stamps));
  const files = {
    extensions: {
      entities: [
        entry(MODULE_NAME, 'extension', `entities/${MODULE_CODE}.json`, 'global', MODULE_CODE, history(contentUuid('extension', moduleEntity, scripts, settings))),
        entry('scripts', 'scripts', `entities/${MODULE_CODE}_scripts.json`, MODULE_CODE, '__scripts', history(contentUuid('scripts', scripts))),
        entry('scripts_runtime', 'scripts_runtime', `entities/${MODULE_CODE}_scripts_runtime.json`, MODULE_CODE, '__scripts', null),
      ],
      files: [
        [`entities/${MODULE_CODE}.json`, moduleEntity],
        [`entities/${MODULE_CODE}_scripts.json`, scripts],
        [`entities/${MODULE_CODE}_scripts_runtime.json`, runtime],
        // An exact copy of the source that no manifest lists (as in K).
        [`entities/${MODULE_CODE}___scripts.ts`, source],
      ],
    },
    settings: {
      entities: [entry(MODULE_CODE, 'settings', `entities/${MODULE_CODE}.json`, MODULE_CODE, MODULE_CODE, history(contentUuid('settings', settings)),
        [{ kind: 'po', path: `resources/entities/${MODULE_CODE}.json.po`, contentType: '' }])],
      files: [[`entities/${MODULE_CODE}.json`, settings], [`resources/entities/${MODULE_CODE}.json.po`, settingsPo(fields)]],
    },
    processor: {
      entities: [entry(MODULE_NAME, 'custom_activity_group', `entities/ca/${MODULE_CODE}/${U}_group.json.json`, MODULE_CODE, U, null)],
      files: [[`entities/ca/${MODULE_CODE}/${U}_group.json.json`, goJson(Object.assign({ __id: U, __name: MODULE_NAME, namespace: MODULE_CODE }, stamps))]],
    },
    portal: {
      entities: [entry('Portal', 'portal', `entities/${MODULE_CODE}/portal.json`, MODULE_CODE, '', null,
        [{ kind: 'settingValues', path: `resources/${MODULE_CODE}/settings.json`, contentType: '' }])],
      files: [[`entities/${MODULE_CODE}/portal.json`, 'null'], [`resources/${MODULE_CODE}/settings.json`, goJson({ fields: [], values: {} })]],
    },
    localizer: {
      entities: [entry('Translations', 'localization', `entities/${MODULE_CODE}/localization.json`, MODULE_CODE, '', null)],
      files: [[`entities/${MODULE_CODE}/localization.json`, 'null']],
    },
  };
  return Object.keys(SERVICES).sort().map((key) => {
    const s = files[key] || { entities: [], files: [] };
    return [key, [['manifest.json', goJson({ number: serviceNumber(key), Service: SERVICES[key], entities: s.entities })], ...s.files]];
  });
}

// ---- ZIP ---------------------------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(bytes) {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const reverse = (code, bits) => {
  let r = 0;
  for (let i = 0; i < bits; i++) r = (r << 1) | ((code >>> i) & 1);
  return r;
};
/** The fixed Huffman code of each literal/length symbol (RFC 1951, 3.2.6), bit-reversed for an LSB-first writer. */
const FIXED = Array.from({ length: 288 }, (_, s) => {
  const [code, bits] = s < 144 ? [0x30 + s, 8] : s < 256 ? [0x190 + s - 144, 9] : s < 280 ? [s - 256, 7] : [0xc0 + s - 280, 8];
  return [reverse(code, bits), bits];
});

/**
 * Raw DEFLATE written here, so that the bytes depend on nothing but the input (Node's zlib differs between
 * versions): one block of the fixed Huffman code, greedy LZ77 over a 32 KB window with hash chains of at most
 * 64 links. Plain, and enough for what repeats in a script (the indentation TypeScript writes, the no-wasm
 * build's asm.js); zlib -9 would be a few times smaller still on that, not on the packed core's text.
 */
function deflate(data) {
  const out = Buffer.alloc(data.length + (data.length >>> 3) + 64);
  let at = 0;
  let acc = 0;
  let n = 0;
  const put = (value, bits) => {
    acc |= value << n;
    n += bits;
    while (n >= 8) {
      out[at++] = acc & 0xff;
      acc >>>= 8;
      n -= 8;
    }
  };
  const symbol = (s) => put(FIXED[s][0], FIXED[s][1]);
  put(1, 1); // BFINAL
  put(1, 2); // BTYPE 01: fixed Huffman codes
  const WINDOW = 32768;
  const head = new Int32Array(1 << 16).fill(-1);
  const prev = new Int32Array(WINDOW);
  const hash = (i) => ((data[i] << 10) ^ (data[i + 1] << 5) ^ data[i + 2]) & 0xffff;
  const insert = (i) => {
    if (i + 2 >= data.length) return;
    const h = hash(i);
    prev[i & (WINDOW - 1)] = head[h];
    head[h] = i;
  };
  let i = 0;
  while (i < data.length) {
    let bestLen = 0;
    let bestDist = 0;
    if (i + 2 < data.length) {
      const max = Math.min(258, data.length - i);
      let j = head[hash(i)];
      for (let chain = 64; j >= 0 && i - j <= WINDOW && chain > 0; chain--, j = prev[j & (WINDOW - 1)]) {
        if (data[j + bestLen] !== data[i + bestLen]) continue;
        let len = 0;
        while (len < max && data[j + len] === data[i + len]) len++;
        if (len > bestLen) {
          bestLen = len;
          bestDist = i - j;
          if (len === max) break;
        }
      }
    }
    if (bestLen >= 3) {
      let l = 28;
      while (LENGTH_BASE[l] > bestLen) l--;
      symbol(257 + l);
      if (LENGTH_EXTRA[l]) put(bestLen - LENGTH_BASE[l], LENGTH_EXTRA[l]);
      let d = 29;
      while (DIST_BASE[d] > bestDist) d--;
      put(reverse(d, 5), 5);
      if (DIST_EXTRA[d]) put(bestDist - DIST_BASE[d], DIST_EXTRA[d]);
      for (let k = 0; k < bestLen; k++) insert(i + k);
      i += bestLen;
    } else {
      symbol(data[i]);
      insert(i);
      i++;
    }
  }
  symbol(256);
  if (n > 0) out[at++] = acc & 0xff;
  const packed = out.subarray(0, at);
  if (!require('zlib').inflateRawSync(packed).equals(data)) throw new Error('deflate: the output does not inflate back to the input');
  return packed;
}

/** PACKAGE_TIME as an MS-DOS time and date (the ZIP's only timestamps: no extra fields). */
function dosTime(iso) {
  const d = new Date(iso);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A ZIP of [[name, Buffer | string], ...] in the given order: each entry deflated (see deflate), or stored when
    that is not smaller. */
function zip(entries) {
  const { time, date } = dosTime(PACKAGE_TIME);
  const locals = [];
  const central = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const deflated = deflate(data);
    const method = deflated.length < data.length ? 8 : 0;
    const body = method === 8 ? deflated : data;
    const version = method === 8 ? 20 : 10;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(version, 4); // version needed to extract
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4); // made by: MS-DOS, 2.0
    header.writeUInt16LE(version, 6);
    header.writeUInt16LE(0, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt16LE(time, 12);
    header.writeUInt16LE(date, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(body.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(nameBytes.length, 28);
    // extra, comment, disk, internal and external attributes: 0
    header.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    central.push(header, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const cd = Buffer.concat(central);
  if (offset + cd.length > 0xffffffff || entries.length > 0xffff) throw new Error('the package needs ZIP64');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** The package of a module script: package.json, then each service's nested ZIP, by key. */
function buildPackage({ source, schema, version }) {
  const services = serviceFiles({ source, schema, version });
  const pkg = {
    title: MODULE_CODE, code: MODULE_CODE, description: '', language: '', type: 'EXTENSION', category: null, video: '', isVersion: false,
    originalUrl: '', screenshot: null, applications: null, page: null, hidden: false, groups: null, exchangeVersion: 2,
    services: Object.fromEntries(services.map(([key]) => [key, { path: `${key}.zip` }])),
    solution: null, edition: 'standard', paidPackage: false, dependencies: null, sysDependencies: null,
  };
  return zip([['package.json', goJson(pkg)], ...services.map(([key, files]) => [`${key}.zip`, zip(files)])]);
}

/** The crate's version (Cargo.toml), shown in the module's summary. */
function crateVersion(root) {
  return /^version = "([^"]+)"/m.exec(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
}

/** Writes the package of `scriptFile` to `outFile`; the settings come from the core's settingsSchema() (pkg/). */
function writePackage(scriptFile, outFile, root = path.resolve(__dirname, '..')) {
  const schema = JSON.parse(require(path.join(root, 'pkg', 'elma365_voip.js')).settingsSchema());
  const bytes = buildPackage({ source: fs.readFileSync(scriptFile, 'utf8'), schema, version: crateVersion(root) });
  fs.writeFileSync(outFile, bytes);
  return bytes.length;
}

module.exports = { MODULE_UUID, MODULE_CODE, PACKAGE_TIME, RUNTIME_TARGET, SERVICES, buildPackage, writePackage, runtimeJs, fnDeclarations, settingsEntity, settingsPo, contentUuid, crc32, deflate, zip };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  for (const [script, out] of [['elma365-voip.module.ts', 'elma365-voip.e365'], ['elma365-voip.nowasm.module.ts', 'elma365-voip.nowasm.e365']]) {
    const size = writePackage(path.join(root, 'pkg', script), path.join(root, 'pkg', out), root);
    process.stdout.write(`pkg/${out}: ${size} B\n`);
  }
}
