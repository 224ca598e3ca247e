'use strict';
// Reads and rewrites the section list of a wasm binary. Used by the build to drop the
// `target_features` custom section (so wasm-bindgen does not switch on externref, which V8 8.4
// lacks) and by tests to assert what the shipped wasm contains.

function readLeb(bytes, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [result, pos];
  }
}

/** The sections of a wasm binary: [{id, name (custom only), start, end}] (end exclusive). */
function sections(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a wasm binary');
  }
  const out = [];
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++];
    let size;
    [size, pos] = readLeb(bytes, pos);
    const end = pos + size;
    let name = null;
    if (id === 0) {
      const [len, p] = readLeb(bytes, pos);
      name = Buffer.from(bytes.subarray(p, p + len)).toString('utf8');
    }
    out.push({ id, name, start, end });
    pos = end;
  }
  return out;
}

/** A copy of `bytes` without the custom sections whose names are listed. */
function dropCustomSections(bytes, names) {
  const keep = sections(bytes).filter((s) => !(s.id === 0 && names.includes(s.name)));
  return Buffer.concat([Buffer.from(bytes.subarray(0, 8)), ...keep.map((s) => Buffer.from(bytes.subarray(s.start, s.end)))]);
}

/** The module names of the imports of a wasm binary, each once, in order. */
function importModules(bytes) {
  const imports = sections(bytes).find((s) => s.id === 2);
  if (!imports) return [];
  const name = (pos) => {
    const [len, p] = readLeb(bytes, pos);
    return [Buffer.from(bytes.subarray(p, p + len)).toString('utf8'), p + len];
  };
  let [count, pos] = readLeb(bytes, readLeb(bytes, imports.start + 1)[1]);
  const out = [];
  for (; count > 0; count--) {
    let module;
    [module, pos] = name(pos);
    [, pos] = name(pos);
    if (!out.includes(module)) out.push(module);
    const kind = bytes[pos++];
    if (kind === 0) [, pos] = readLeb(bytes, pos); // func: type index
    else if (kind === 1) { // table: reftype, limits
      pos++;
      const flags = bytes[pos++];
      [, pos] = readLeb(bytes, pos);
      if (flags & 1) [, pos] = readLeb(bytes, pos);
    } else if (kind === 2) { // memory: limits
      const flags = bytes[pos++];
      [, pos] = readLeb(bytes, pos);
      if (flags & 1) [, pos] = readLeb(bytes, pos);
    } else if (kind === 3) pos += 2; // global: valtype, mutability
    else throw new Error(`unknown import kind ${kind}`);
  }
  return out;
}

module.exports = { sections, dropCustomSections, importModules };
