'use strict';
/**
 * Test emulator of ELMA365's CRM data as a module script sees it, and of the one public Web API endpoint the
 * module reads. Spec: /work/shared/spec/elma365.md, «CRM data from a module script». CommonJS, Node core only,
 * Node 14.16 and 20. Nothing here has been checked against a live server.
 *
 *   const { makeCrm, startElmaApi, UserStatus } = require('./elma365');
 *   const crm = makeCrm({ phoneField: '_phone', responsibleField: '_responsible', userStatusShape: 'object' });
 *   crm.addContact({ name, phones: ['+7 (495) 956-11-11', {tel, type, ext}], responsible: userId | [userId] | null,
 *       deleted, id }) -> the stored record ({id, ...}); crm.addCompany(same)
 *   crm.addUser({ id, name, fullname, email, workPhone: tel | {tel, ext}, mobilePhone: tel, blocked, status })
 *   crm.contacts / crm.companies    the two apps: { namespace, code, search() }
 *   crm.fields                      for Namespace.params.fields: { crmContacts: {code, type, data, app}, crmCompanies }
 *   crm.searches                    one entry per executed first()/all()/count():
 *                                   { app, method, where (condition tree, plain JSON), whereJson, size, from }
 *   crm.userFetches                 how many times a user reference's fetch() was called
 *   crm.reset()                     clears searches and userFetches (not the data, not crm.behaviour)
 *   crm.records.contacts/.companies, crm.users (Map)   the stored data, for tests that tweak it
 *   crm.behaviour                   misbehaviour knobs, global (crm.behaviour.reject = true) or per app
 *                                   (crm.behaviour.contacts = { reject: true }; a per-app key wins over a global one):
 *       throwInWhere  touching any field of the where callback's `f` throws
 *       throwSync     app.search() itself throws
 *       reject        first()/all()/count() reject with an Error
 *       rejectWith    ... reject with exactly this value (a string, null, undefined, a plain object): set = on
 *       delayMs       answer after this many ms (setTimeout)
 *       hang          a Promise that never settles
 *       noHas         field operands have no .has()
 *       syncResults   first()/all()/count() return the value itself, not a Promise (a reject knob then throws)
 *       userFetchReject, userFetchDelayMs   the same for a user reference's fetch() (per app: the item's app)
 *   const api = await startElmaApi({ token, bindings: [{extension, userId}], moduleCode, host, port })
 *       GET /pub/v1/integration/<moduleCode>/voip/bindings -> 200 {"bindings":[...]} with `Authorization: Bearer
 *       <token>` (exact; compared in constant time), else 401 {"error":"unauthorized"}; another module code or path
 *       404 {"error":"not found"}; another method 405. api: { url, bindingsUrl, moduleCode, requests, close(),
 *       setBindings(list), setMode(mode) } (modes: common.js applyMisbehaviour). requests: { method, url, path,
 *       authorization (present: bool), authorized (bool) }; the token never appears there (redacted from urls).
 *
 * The query API, as real module code uses it [usage + tssdk.elma365.com «Search»]:
 *   app.search().where((f, g) => g.and(f.__deletedAt.eq(null), f._phone.has('+7...'))).size(n).from(n).sort(..)
 *       .first() -> Promise<item | undefined>, .all() -> Promise<item[]>, .count() -> Promise<number>.
 *   where() calls its callback at once and may be called again (the conditions are ANDed); size/from/sort chain.
 *   [doc] all() returns at most 10 items unless size() says otherwise; count() ignores from/size; first() honours
 *   from. sort() is accepted and ignored (items come in insertion order).
 *   f.<code>: __id, __name, __createdAt, __deletedAt, the phone field, the responsible field; any other code is
 *   undefined (calling .eq on it throws a TypeError, as a wrong code would). Operands: eq, neq, in([..]); has too on
 *   the phone and user fields. g.and(...), g.or(...), g.not(c). Conditions are frozen plain objects, evaluated here;
 *   anything else where a condition is expected throws a TypeError. Not offered: like, link, gt/gte/lt/lte.
 *   Phones are compared exactly, as stored (ELMA365 does not normalise them): a string matches a stored `tel`
 *   equal to it, an object its `.tel` (type and ext ignored). A user field matches by id (a string id, or any object
 *   with `id` or `__id`: a reference, a UserItem). eq(null) matches an empty field; `__deletedAt.eq(null)` keeps the
 *   live items, and without it deleted items ARE returned [usage].
 *
 * Shapes. [doc/usage] marks what real code or tssdk shows; the rest is presumed.
 *   An item is an ApplicationItem: { id, namespace, code, data: { __id, __name, __createdAt, __deletedAt,
 *   <phoneField>: [{tel, type, ext?}] | undefined, <responsibleField>: ref | [ref] | undefined }, fetch() }: fields
 *   live under `.data` [usage: `item.data.__name`, `staff.data.ext_user`]. A user reference is { id, namespace:
 *   'system', code: 'users', fetch() } [usage: id + fetch()]; fetch() resolves to a UserItem { id, namespace, code,
 *   data: { __id, __name, fullname: {firstname, lastname, middlename}, email, workPhone: {tel, type, ext?} |
 *   undefined, mobilePhone: {tel, type} | undefined, __status, __deletedAt, __createdAt }, fetch() } [doc: UserData's
 *   fields]. UserStatus's numbers are documented (tssdk enum UserStatus); the shape of `data.__status` is NOT:
 *   presumed { status: <UserStatus>, description: 'active' | 'blocked' | ... } (opts.userStatusShape 'object'), or
 *   the bare number ('number'), since real code writes `f.__status.eq(UserStatus.Active)`. A phone's `type` is
 *   presumed 'work' ('mobile' for mobilePhone). A reference to an unknown user rejects on fetch().
 *   Values are from this (the outer) realm: Promises, arrays, Dates. Each search returns fresh copies.
 */
const crypto = require('crypto');
const common = require('./common');

/** [doc] tssdk.elma365.com, enum UserStatus. */
const UserStatus = Object.freeze({ Invited: 0, Rejected: 1, Active: 2, Blocked: 3, Canceled: 4 });
const STATUS_NAMES = ['invited', 'rejected', 'active', 'blocked', 'canceled'];
const APPS = { contacts: { namespace: '_clients', code: '_contacts', field: 'crmContacts' },
  companies: { namespace: '_clients', code: '_companies', field: 'crmCompanies' } };
const DEFAULT_PAGE = 10;

function uuid() {
  const b = crypto.randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}
const own = (o, k) => o != null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);
const isDate = (v) => Object.prototype.toString.call(v) === '[object Date]';
const isoOf = (d) => (isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString());
const toPhone = (p, type) => (typeof p === 'string' ? { tel: p, type: type } : Object.assign({ tel: p.tel, type: type }, p));

// ---- conditions: frozen plain objects, made only here ----
const CONDS = new WeakSet();
function cond(c) {
  Object.freeze(c);
  CONDS.add(c);
  return c;
}
function conds(args, what) {
  args.forEach(function (a) { if (!CONDS.has(a)) throw new TypeError('emulator: ' + what + ' takes conditions, got ' + typeof a); });
  return args;
}
const G = Object.freeze({
  and: function () { return cond({ op: 'and', args: conds(Array.prototype.slice.call(arguments), 'g.and()') }); },
  or: function () { return cond({ op: 'or', args: conds(Array.prototype.slice.call(arguments), 'g.or()') }); },
  not: function (c) { return cond({ op: 'not', arg: conds([c], 'g.not()')[0] }); },
});

/** An operand as plain JSON: what is compared, and what crm.searches shows. */
function canon(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (isDate(v)) return { date: isoOf(v) };
  if (typeof v === 'object') {
    if (typeof v.tel === 'string') {
      const p = { tel: v.tel };
      if (v.type != null) p.type = String(v.type);
      if (v.ext != null) p.ext = String(v.ext);
      return p;
    }
    if (typeof v.id === 'string') return { id: v.id };
    if (typeof v.__id === 'string') return { id: v.__id };
  }
  return { unsupported: Object.prototype.toString.call(v) };
}

/** Does one (canonical) value match a stored field of this kind? */
function matches(kind, stored, v) {
  const list = stored == null ? [] : [].concat(stored);
  switch (kind) {
    case 'phone': {
      if (v === null) return list.length === 0;
      const tel = typeof v === 'string' ? v : v.tel;
      return typeof tel === 'string' && list.some(function (p) { return p.tel === tel; });
    }
    case 'user': {
      if (v === null) return list.length === 0;
      const id = typeof v === 'string' ? v : v.id;
      return typeof id === 'string' && list.indexOf(id) >= 0;
    }
    case 'date':
      if (v === null) return stored == null;
      return stored != null && typeof v === 'object' && v.date === isoOf(stored);
    default:
      return stored == null ? v === null : stored === v;
  }
}

// ---- the CRM ----
function makeCrm(opts) {
  opts = opts || {};
  const phoneField = opts.phoneField || '_phone';
  const respField = opts.responsibleField === undefined ? '_responsible' : opts.responsibleField; // '' = none
  const crm = { searches: [], userFetches: 0, behaviour: {}, users: new Map(), records: { contacts: [], companies: [] } };

  const kinds = { __id: 'scalar', __name: 'scalar', __createdAt: 'date', __deletedAt: 'date' };
  kinds[phoneField] = 'phone';
  if (respField) kinds[respField] = 'user';
  const raw = function (rec, code) {
    switch (code) {
      case '__id': return rec.id;
      case '__name': return rec.name;
      case '__createdAt': return rec.createdAt;
      case '__deletedAt': return rec.deletedAt;
      case phoneField: return rec.phones;
      default: return rec.responsible;
    }
  };
  function evaluate(c, rec) {
    switch (c.op) {
      case 'and': return c.args.every(function (a) { return evaluate(a, rec); });
      case 'or': return c.args.some(function (a) { return evaluate(a, rec); });
      case 'not': return !evaluate(c.arg, rec);
      case 'neq': return !matches(kinds[c.field], raw(rec, c.field), c.value);
      case 'in': return c.values.some(function (v) { return matches(kinds[c.field], raw(rec, c.field), v); });
      default: return matches(kinds[c.field], raw(rec, c.field), c.value); // eq, has
    }
  }

  function knobSet(app, k) { return own(crm.behaviour[app], k) || own(crm.behaviour, k); }
  function knob(app, k) { return own(crm.behaviour[app], k) ? crm.behaviour[app][k] : crm.behaviour[k]; }
  /** Settles with value (or rejects with failure) honouring delay/hang/sync knobs named with prefix. */
  function answer(app, value, failure, k) {
    if (k.hang && knob(app, k.hang)) return new Promise(function () {});
    if (k.sync && knob(app, k.sync)) {
      if (failure) throw failure.value;
      return value;
    }
    const delay = Number(knob(app, k.delay)) || 0;
    return new Promise(function (resolve, reject) {
      const settle = function () { if (failure) reject(failure.value); else resolve(value); };
      if (delay > 0) setTimeout(settle, delay); else settle();
    });
  }

  function fieldsFor(app) {
    if (knob(app, 'throwInWhere')) {
      return new Proxy({}, { get: function (t, k) { throw new Error('emulator: field ' + String(k) + ' failed (throwInWhere)'); } });
    }
    const f = {};
    Object.keys(kinds).forEach(function (code) {
      const op = function (name) { return function (v) { return cond({ op: name, field: code, value: canon(v) }); }; };
      f[code] = {
        eq: op('eq'),
        neq: op('neq'),
        in: function (list) {
          if (!Array.isArray(list)) throw new TypeError('emulator: ' + code + '.in() takes an array');
          return cond({ op: 'in', field: code, values: list.map(canon) });
        },
      };
      if ((kinds[code] === 'phone' || kinds[code] === 'user') && !knob(app, 'noHas')) f[code].has = op('has');
    });
    return f;
  }

  function userItem(u) {
    const data = {
      __id: u.id, __name: u.name, fullname: Object.assign({}, u.fullname), email: u.email,
      workPhone: u.workPhone ? Object.assign({}, u.workPhone) : undefined,
      mobilePhone: u.mobilePhone ? Object.assign({}, u.mobilePhone) : undefined,
      __status: opts.userStatusShape === 'number' ? u.status : { status: u.status, description: STATUS_NAMES[u.status] || 'unknown' },
      __deletedAt: null, __createdAt: new Date(u.createdAt),
    };
    return { id: u.id, namespace: 'system', code: 'users', data: data, fetch: function () { return Promise.resolve(userItem(u)); } };
  }
  function userRef(id, app) {
    return {
      id: id, namespace: 'system', code: 'users',
      fetch: function () {
        crm.userFetches++;
        const u = crm.users.get(id);
        let failure = null;
        if (knob(app, 'userFetchReject')) failure = { value: new Error('emulator: user fetch failed (userFetchReject)') };
        else if (!u) failure = { value: new Error('emulator: user ' + id + ' not found') };
        return answer(app, u ? userItem(u) : undefined, failure, { delay: 'userFetchDelayMs' });
      },
    };
  }
  function item(rec, app) {
    const data = { __id: rec.id, __name: rec.name, __createdAt: new Date(rec.createdAt), __deletedAt: rec.deletedAt ? new Date(rec.deletedAt) : null };
    data[phoneField] = rec.phones.length ? rec.phones.map(function (p) { return Object.assign({}, p); }) : undefined;
    if (respField && rec.responsible != null) {
      data[respField] = Array.isArray(rec.responsible) ? rec.responsible.map(function (id) { return userRef(id, app); }) : userRef(rec.responsible, app);
    }
    return { id: rec.id, namespace: APPS[app].namespace, code: APPS[app].code, data: data, fetch: function () { return Promise.resolve(item(rec, app)); } };
  }

  function makeQuery(app) {
    const where = [];
    let size = DEFAULT_PAGE;
    let from = 0;
    const run = function (method) {
      const tree = where.length === 0 ? null : where.length === 1 ? where[0] : cond({ op: 'and', args: where.slice() });
      crm.searches.push({ app: app, method: method, where: tree, whereJson: JSON.stringify(tree), size: size, from: from });
      const hits = crm.records[app].filter(function (r) { return !tree || evaluate(tree, r); });
      const value = method === 'count' ? hits.length
        : method === 'first' ? (hits[from] ? item(hits[from], app) : undefined)
          : hits.slice(from, from + size).map(function (r) { return item(r, app); });
      let failure = null;
      if (knobSet(app, 'rejectWith')) failure = { value: knob(app, 'rejectWith') };
      else if (knob(app, 'reject')) failure = { value: new Error('emulator: search in ' + app + ' failed (reject)') };
      return answer(app, value, failure, { hang: 'hang', sync: 'syncResults', delay: 'delayMs' });
    };
    const q = {
      where: function (fn) {
        const c = fn(fieldsFor(app), G);
        if (!CONDS.has(c)) throw new TypeError('emulator: the where callback must return a condition');
        where.push(c);
        return q;
      },
      size: function (n) { if (Number.isFinite(n) && n >= 0) size = Math.floor(n); return q; },
      from: function (n) { if (Number.isFinite(n) && n >= 0) from = Math.floor(n); return q; },
      sort: function () { return q; },
      first: function () { return run('first'); },
      all: function () { return run('all'); },
      count: function () { return run('count'); },
    };
    return q;
  }

  function makeApp(app) {
    return {
      namespace: APPS[app].namespace, code: APPS[app].code,
      search: function () {
        if (knob(app, 'throwSync')) throw new Error('emulator: ' + app + '.search() failed (throwSync)');
        return makeQuery(app);
      },
    };
  }
  function addItem(app, o) {
    o = o || {};
    const rec = {
      id: o.id || uuid(), name: o.name == null ? '' : String(o.name),
      phones: (o.phones || []).map(function (p) { return toPhone(p, 'work'); }),
      responsible: o.responsible == null ? null : o.responsible,
      deletedAt: o.deleted ? new Date(Date.now() - 3600e3) : null, createdAt: new Date(),
    };
    crm.records[app].push(rec);
    return rec;
  }

  crm.contacts = makeApp('contacts');
  crm.companies = makeApp('companies');
  crm.fields = {};
  Object.keys(APPS).forEach(function (app) {
    const a = APPS[app];
    crm.fields[a.field] = { code: a.field, type: 'SYS_COLLECTION', data: { namespace: a.namespace, code: a.code }, app: crm[app] };
  });
  crm.addContact = function (o) { return addItem('contacts', o); };
  crm.addCompany = function (o) { return addItem('companies', o); };
  crm.addUser = function (o) {
    o = o || {};
    const name = o.name == null ? '' : String(o.name);
    const parts = name.split(/\s+/).filter(Boolean);
    const u = {
      id: o.id || uuid(), name: name, email: o.email,
      fullname: o.fullname || { lastname: parts[0] || '', firstname: parts[1] || '', middlename: parts.slice(2).join(' ') },
      workPhone: o.workPhone ? toPhone(o.workPhone, 'work') : undefined,
      mobilePhone: o.mobilePhone ? toPhone(o.mobilePhone, 'mobile') : undefined,
      status: typeof o.status === 'number' ? o.status : o.blocked ? UserStatus.Blocked : UserStatus.Active,
      createdAt: new Date(),
    };
    crm.users.set(u.id, u);
    return u;
  };
  crm.reset = function () {
    crm.searches.length = 0;
    crm.userFetches = 0;
  };
  return crm;
}

// ---- the bindings endpoint of the public Web API ----
function sameSecret(a, b) {
  const h = function (s) { return crypto.createHash('sha256').update(String(s), 'utf8').digest(); };
  return crypto.timingSafeEqual(h(a), h(b));
}

async function startElmaApi(opts) {
  opts = opts || {};
  const token = opts.token == null ? '' : String(opts.token);
  const api = { moduleCode: opts.moduleCode || 'ext_' + uuid(), mode: 'normal', requests: [], bindings: (opts.bindings || []).slice() };
  const redact = function (s) { return token ? s.split(token).join('<token>').split(encodeURIComponent(token)).join('<token>') : s; };
  const srv = await common.startServer(function (req, res) {
    const u = new URL(req.url, 'http://127.0.0.1');
    const auth = req.headers.authorization;
    const authorized = !!token && typeof auth === 'string' && sameSecret(auth, 'Bearer ' + token);
    api.requests.push({ method: req.method, url: redact(req.url), path: redact(u.pathname), authorization: auth !== undefined, authorized: authorized });
    if (common.applyMisbehaviour(api.mode, req, res)) return;
    req.resume();
    const m = /^\/pub\/v1\/integration\/([^/]+)\/voip\/bindings$/.exec(u.pathname);
    if (u.pathname.indexOf('/pub/v1/') !== 0) return common.sendJson(res, 404, { error: 'not found' });
    if (!authorized) return common.sendJson(res, 401, { error: 'unauthorized' });
    if (!m || decodeURIComponent(m[1]) !== api.moduleCode) return common.sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'GET') return common.sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET' });
    common.sendJson(res, 200, { bindings: api.bindings.map(function (b) { return { extension: String(b.extension), userId: String(b.userId) }; }) });
  }, { host: opts.host, port: opts.port });
  api.url = srv.url;
  api.port = srv.port;
  api.bindingsUrl = srv.url + '/pub/v1/integration/' + encodeURIComponent(api.moduleCode) + '/voip/bindings';
  api.close = srv.close;
  api.setBindings = function (list) { api.bindings = (list || []).slice(); };
  api.setMode = function (mode) { api.mode = mode || 'normal'; };
  return api;
}

module.exports = { makeCrm, startElmaApi, UserStatus, uuid };
