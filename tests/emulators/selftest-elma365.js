'use strict';
// Self-test for the ELMA365 CRM / Web API emulator. Plain node, no dependencies:
// `node tests/emulators/selftest-elma365.js`. Exits 0 when every check passes, 1 otherwise.
const common = require('./common');
const { makeCrm, startElmaApi, UserStatus } = require('./elma365');

let failures = 0;
let checks = 0;
function ok(cond, what) {
  checks++;
  if (!cond) { failures++; console.error('FAIL: ' + what); }
}
function eq(a, b, what) { ok(JSON.stringify(a) === JSON.stringify(b), what + ' (got ' + JSON.stringify(a) + ', want ' + JSON.stringify(b) + ')'); }
function throws(fn, type, what) {
  let err = null;
  try { fn(); } catch (e) { err = e; }
  ok(err !== null && (!type || err instanceof type), what + ' (got ' + err + ')');
}
async function rejection(p) {
  try { await p; return { resolved: true }; } catch (e) { return { value: e }; }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pending = (p, ms) => Promise.race([Promise.resolve(p).then(() => 'settled', () => 'settled'), sleep(ms).then(() => 'pending')]);
const names = (items) => items.map((i) => i.data.__name);
const live = (f, g, c) => g.and(f.__deletedAt.eq(null), c);

function sample(opts) {
  const crm = makeCrm(opts);
  const u1 = crm.addUser({ name: 'Петров Пётр', email: 'petrov@example.com', workPhone: { tel: '+74950000101', ext: '101' }, mobilePhone: '+79160000001' });
  const u2 = crm.addUser({ name: 'Сидоров Сидор', blocked: true });
  const a = crm.addContact({ name: 'A', phones: ['+7 (495) 956-11-11', { tel: '84959561111', type: 'mobile' }], responsible: u1.id });
  const b = crm.addContact({ name: 'B', phones: ['+74951234567'], responsible: u2.id, deleted: true });
  const c = crm.addContact({ name: 'C', phones: ['+74951234567'], responsible: null });
  const d = crm.addCompany({ name: 'D', phones: ['74959562222'], responsible: [u2.id, u1.id] });
  return { crm, u1, u2, a, b, c, d };
}

async function testQueries() {
  const { crm, u1, a, c, d } = sample();
  eq(Object.keys(crm.fields), ['crmContacts', 'crmCompanies'], 'fields: the two app fields');
  ok(crm.fields.crmContacts.app === crm.contacts && crm.fields.crmCompanies.app === crm.companies, 'fields: .app is the app');
  eq([crm.fields.crmContacts.type, crm.contacts.namespace, crm.contacts.code, crm.companies.code], ['SYS_COLLECTION', '_clients', '_contacts', '_companies'], 'app identity');

  // exact phone matching, string and {tel} arguments, eq and has alike
  let r = await crm.contacts.search().where((f) => f._phone.eq('+7 (495) 956-11-11')).first();
  eq(r && r.data.__name, 'A', 'eq: the formatted phone as stored');
  r = await crm.contacts.search().where((f) => f._phone.has('+74959561111')).first();
  eq(r, undefined, 'has: no normalisation, +7 form not stored -> undefined');
  r = await crm.contacts.search().where((f) => f._phone.has('84959561111')).first();
  eq(r && r.id, a.id, 'has: the second phone of A');
  r = await crm.contacts.search().where((f) => f._phone.eq({ tel: '84959561111', type: 'home', ext: '9' })).first();
  eq(r && r.id, a.id, 'eq({tel}): type and ext ignored');
  r = await crm.contacts.search().where((f) => f._phone.has({ tel: '8 495 956 11 11' })).all();
  eq(r, [], 'has({tel}): no fuzzy match');
  r = await crm.contacts.search().where((f) => f._phone.in(['nope', '84959561111'])).all();
  eq(names(r), ['A'], 'in() on phones');

  // deleted items
  r = await crm.contacts.search().where((f) => f._phone.has('+74951234567')).all();
  eq(names(r), ['B', 'C'], 'without __deletedAt.eq(null) deleted items are returned');
  ok(r[0].data.__deletedAt instanceof Date && r[1].data.__deletedAt === null, '__deletedAt: Date / null');
  r = await crm.contacts.search().where((f, g) => live(f, g, f._phone.has('+74951234567'))).all();
  eq(names(r), ['C'], '__deletedAt.eq(null) leaves deleted out');
  r = await crm.contacts.search().where((f, g) => g.not(f.__deletedAt.eq(null))).all();
  eq(names(r), ['B'], 'g.not');
  r = await crm.contacts.search().where((f, g) => g.or(f.__name.eq('A'), f.__name.eq('C'))).all();
  eq(names(r), ['A', 'C'], 'g.or');
  r = await crm.contacts.search().where((f, g) => g.and(f.__name.neq('A'), f.__deletedAt.eq(null))).all();
  eq(names(r), ['C'], 'neq + g.and');
  r = await crm.contacts.search().where((f) => f.__id.in([a.id, c.id])).all();
  eq(names(r), ['A', 'C'], '__id.in');
  r = await crm.contacts.search().where((f, g) => g.or()).all();
  eq(r, [], 'empty g.or matches nothing');
  r = await crm.contacts.search().where((f, g) => g.and()).count();
  eq(r, 3, 'empty g.and matches all');
  r = await crm.contacts.search().where((f) => f._phone.has('+74951234567')).where((f) => f.__deletedAt.eq(null)).all();
  eq(names(r), ['C'], 'two where() calls are ANDed');
  r = await crm.contacts.search().where((f) => f.__createdAt.neq(null)).sort('__createdAt', true).count();
  eq(r, 3, '__createdAt exists; sort accepted');

  // user fields
  r = await crm.companies.search().where((f) => f._responsible.has(u1.id)).first();
  eq(r && r.id, d.id, 'has(user id) on a multi-user field');
  r = await crm.contacts.search().where((f) => f._responsible.eq({ id: u1.id, fetch() {} })).all();
  eq(names(r), ['A'], 'eq(ref) on a user field');
  r = await crm.contacts.search().where((f, g) => live(f, g, f._responsible.eq(null))).all();
  eq(names(r), ['C'], 'eq(null) on an empty user field');

  // unknown fields and non-conditions
  throws(() => crm.contacts.search().where((f) => f.phone.eq('x')), TypeError, 'unknown field code -> TypeError');
  crm.contacts.search().where((f) => { ok(f.phone === undefined && f.__name !== undefined, 'f.<unknown> is undefined'); return f.__name.eq('A'); });
  throws(() => crm.contacts.search().where(() => ({ op: 'eq', field: '__name', value: 'A' })), TypeError, 'a forged condition is refused');
  throws(() => crm.contacts.search().where((f, g) => g.and(true)), TypeError, 'g.and(non-condition) throws');
  throws(() => crm.contacts.search().where((f) => f.__id.in('x')), TypeError, 'in(non-array) throws');
  crm.contacts.search().where((f) => { ok(typeof f._phone.has === 'function' && f.__name.has === undefined, 'has only on phone/user fields'); return f.__name.eq('A'); });

  // items, refs, users
  r = await crm.contacts.search().where((f) => f.__id.eq(a.id)).first();
  eq([r.id, r.namespace, r.code, r.data.__id, r.data.__name], [a.id, '_clients', '_contacts', a.id, 'A'], 'item: id, namespace, code, data');
  eq(r.data._phone, [{ tel: '+7 (495) 956-11-11', type: 'work' }, { tel: '84959561111', type: 'mobile' }], 'item: phones as stored');
  const ref = r.data._responsible;
  eq([ref.id, ref.namespace, ref.code, typeof ref.fetch], [u1.id, 'system', 'users', 'function'], 'item: responsible is a user ref');
  r.data.__name = 'mutated';
  r = await crm.contacts.search().where((f) => f.__id.eq(a.id)).first();
  eq(r.data.__name, 'A', 'items are fresh copies');
  crm.reset();
  const user = await ref.fetch();
  eq(crm.userFetches, 1, 'userFetches counts');
  eq([user.id, user.data.__id, user.data.__name, user.data.email], [u1.id, u1.id, 'Петров Пётр', 'petrov@example.com'], 'user: id, name, email');
  eq(user.data.fullname, { lastname: 'Петров', firstname: 'Пётр', middlename: '' }, 'user: fullname');
  eq([user.data.workPhone, user.data.mobilePhone], [{ tel: '+74950000101', type: 'work', ext: '101' }, { tel: '+79160000001', type: 'mobile' }], 'user: phones');
  eq(user.data.__status, { status: UserStatus.Active, description: 'active' }, 'user: active status');
  const comp = await crm.companies.search().first();
  ok(Array.isArray(comp.data._responsible) && comp.data._responsible.length === 2, 'company: responsible list of refs');
  const blocked = await comp.data._responsible[0].fetch();
  eq([blocked.data.__status.status, UserStatus.Blocked, blocked.data.workPhone], [3, 3, undefined], 'user: blocked status, no work phone');
  const cnone = await crm.contacts.search().where((f) => f.__id.eq(c.id)).first();
  eq([cnone.data._responsible, cnone.data._phone.length], [undefined, 1], 'no responsible -> field undefined');
  const ghost = crm.addContact({ name: 'G', responsible: 'no-such-user' });
  const g = await crm.contacts.search().where((f) => f.__id.eq(ghost.id)).first();
  eq([g.data._phone, (await rejection(g.data._responsible.fetch())).value instanceof Error], [undefined, true], 'no phones -> undefined; unknown user -> fetch rejects');

  // log
  crm.reset();
  await crm.contacts.search().where((f, g2) => live(f, g2, f._phone.has({ tel: '1', ext: '2' }))).size(5).first();
  await crm.companies.search().count();
  eq(crm.searches.length, 2, 'searches: one per execution');
  const s = crm.searches[0];
  eq([s.app, s.method, s.size, s.from], ['contacts', 'first', 5, 0], 'searches: app, method, size, from');
  eq(JSON.parse(s.whereJson), { op: 'and', args: [{ op: 'eq', field: '__deletedAt', value: null }, { op: 'has', field: '_phone', value: { tel: '1', ext: '2' } }] }, 'searches: condition tree');
  eq([crm.searches[1].app, crm.searches[1].method, crm.searches[1].where], ['companies', 'count', null], 'searches: no where');
  crm.reset();
  eq([crm.searches.length, crm.userFetches], [0, 0], 'reset()');
}

async function testPagingAndShapes() {
  const crm = makeCrm();
  for (let i = 0; i < 12; i++) crm.addContact({ name: 'n' + i, phones: ['+70000000000'] });
  const q = () => crm.contacts.search().where((f) => f._phone.has('+70000000000'));
  eq((await q().all()).length, 10, 'all(): 10 by default [doc]');
  eq((await q().size(20).all()).length, 12, 'size(20)');
  eq(names(await q().size(20).from(10).all()), ['n10', 'n11'], 'from(10)');
  eq(await q().size(2).from(5).count(), 12, 'count() ignores size/from');
  eq((await q().from(3).first()).data.__name, 'n3', 'first() honours from');

  const custom = makeCrm({ phoneField: 'phones', responsibleField: 'responsible', userStatusShape: 'number' });
  const u = custom.addUser({ id: 'u-1', name: 'X Y', status: UserStatus.Invited });
  custom.addContact({ name: 'K', phones: ['101'], responsible: u.id });
  const k = await custom.contacts.search().where((f) => f.phones.has('101')).first();
  ok(k && k.data.phones && k.data._phone === undefined && k.data.responsible.id === 'u-1', 'custom field codes');
  custom.contacts.search().where((f) => { ok(f._phone === undefined && f.responsible.has, 'custom codes: default codes gone'); return f.phones.eq('1'); });
  eq((await k.data.responsible.fetch()).data.__status, UserStatus.Invited, "userStatusShape 'number'");
  const none = makeCrm({ responsibleField: '' });
  none.addContact({ name: 'Z', phones: ['1'], responsible: 'x' });
  const z = await none.contacts.search().first();
  eq(Object.keys(z.data).sort(), ['__createdAt', '__deletedAt', '__id', '__name', '_phone'], "responsibleField '': no such field");
}

async function testKnobs() {
  const { crm, u1 } = sample();
  const one = () => crm.contacts.search().where((f) => f.__name.eq('A'));
  crm.behaviour.throwInWhere = true;
  throws(() => one(), Error, 'throwInWhere: where() throws');
  crm.behaviour.companies = { throwInWhere: false };
  eq((await crm.companies.search().where((f) => f.__name.eq('D')).all()).length, 1, 'per-app knob wins over the global one');
  crm.behaviour = { contacts: { throwSync: true } };
  throws(() => crm.contacts.search(), Error, 'throwSync: search() throws');
  ok(typeof crm.companies.search().first === 'function', 'throwSync is per app');

  crm.behaviour = { reject: true };
  let r = await rejection(one().first());
  ok(r.value instanceof Error, 'reject: first() rejects with an Error');
  r = await rejection(crm.companies.search().all());
  ok(r.value instanceof Error, 'reject: all() too');
  for (const v of ['boom', null, undefined, { code: 42 }, 0]) {
    crm.behaviour = { contacts: { rejectWith: v } };
    r = await rejection(one().first());
    ok(!r.resolved && r.value === v, 'rejectWith ' + JSON.stringify(v));
  }
  crm.behaviour = { delayMs: 80 };
  let t0 = Date.now();
  r = await one().first();
  ok(r && r.data.__name === 'A' && Date.now() - t0 >= 70, 'delayMs: answers late (' + (Date.now() - t0) + ' ms)');
  crm.behaviour = { hang: true };
  crm.reset();
  eq(await pending(one().first(), 60), 'pending', 'hang: never settles');
  eq(crm.searches.length, 1, 'hang: the search is still logged');
  crm.behaviour = { noHas: true };
  one().where((f) => { ok(f._phone.has === undefined && typeof f._phone.eq === 'function' && f._responsible.has === undefined, 'noHas'); return f._phone.eq('x'); });
  crm.behaviour = { syncResults: true };
  r = one().first();
  ok(r && typeof r.then !== 'function' && r.data.__name === 'A', 'syncResults: first() returns the item itself');
  r = crm.contacts.search().all();
  ok(Array.isArray(r) && r.length === 3, 'syncResults: all() returns the array');
  eq(crm.contacts.search().count(), 3, 'syncResults: count() returns the number');
  crm.behaviour = { syncResults: true, rejectWith: 'sync' };
  let thrown;
  try { one().first(); } catch (e) { thrown = e; }
  eq(thrown, 'sync', 'syncResults + rejectWith: throws the value');

  crm.behaviour = {};
  const item = await one().first();
  crm.behaviour = { userFetchReject: true };
  r = await rejection(item.data._responsible.fetch());
  ok(r.value instanceof Error, 'userFetchReject');
  crm.behaviour = { contacts: { userFetchDelayMs: 80 } };
  t0 = Date.now();
  const user = await item.data._responsible.fetch();
  ok(user.id === u1.id && Date.now() - t0 >= 70, 'userFetchDelayMs');
}

async function testApi() {
  const token = 'tok-' + Math.random().toString(36).slice(2);
  const uid = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
  const api = await startElmaApi({ token, moduleCode: 'ext_abc', bindings: [{ extension: 101, userId: uid }] });
  const get = (path, headers, method) => common.httpRequest(api.url + path, { headers: headers || {}, method: method || 'GET', timeoutMs: 2000 });
  const path = '/pub/v1/integration/ext_abc/voip/bindings';
  eq(api.bindingsUrl, api.url + path, 'bindingsUrl');
  let r = await get(path, { Authorization: 'Bearer ' + token });
  eq([r.status, JSON.parse(r.body)], [200, { bindings: [{ extension: '101', userId: uid }] }], 'right token -> 200 bindings');
  ok(/^application\/json/.test(r.headers['content-type']), 'bindings content-type json');
  r = await get(path, { Authorization: 'Bearer wrong' });
  eq([r.status, JSON.parse(r.body).error], [401, 'unauthorized'], 'wrong token -> 401');
  r = await get(path);
  eq(r.status, 401, 'no token -> 401');
  for (const a of ['bearer ' + token, 'Bearer  ' + token, token, 'Basic ' + token]) { // (Node trims a trailing space)
    r = await get(path, { Authorization: a });
    eq(r.status, 401, 'not exactly "Bearer <token>" -> 401: ' + JSON.stringify(a.replace(token, '<t>')));
  }
  r = await get('/pub/v1/integration/ext_other/voip/bindings', { Authorization: 'Bearer ' + token });
  eq(r.status, 404, 'another module code -> 404');
  r = await get('/pub/v1/integration/ext_abc/voip/other', { Authorization: 'Bearer ' + token });
  eq(r.status, 404, 'another path -> 404');
  r = await get('/api/whatever');
  eq(r.status, 404, 'outside /pub/v1 -> 404');
  r = await get(path, { Authorization: 'Bearer ' + token }, 'POST');
  eq(r.status, 405, 'POST -> 405');
  api.setBindings([]);
  r = await get(path + '?x=' + token, { Authorization: 'Bearer ' + token });
  eq([r.status, r.body], [200, '{"bindings":[]}'], 'setBindings([])');
  const log = api.requests;
  eq(log.length, 12, 'requests logged');
  eq([log[0].method, log[0].path, log[0].authorization, log[0].authorized], ['GET', path, true, true], 'log entry');
  eq([log[2].authorization, log[2].authorized], [false, false], 'log: no authorization header');
  ok(JSON.stringify(log).indexOf(token) < 0 && log[11].url === path + '?x=<token>', 'log never holds the token');
  api.setMode('http500');
  r = await get(path, { Authorization: 'Bearer ' + token });
  eq(r.status, 500, "setMode('http500')");
  api.setMode('hang');
  const hung = await rejection(common.httpRequest(api.bindingsUrl, { headers: { Authorization: 'Bearer ' + token }, timeoutMs: 150 }));
  ok(hung.value && /timeout/.test(hung.value.message), "setMode('hang')");
  api.setMode('normal');
  await api.close();
  const bare = await startElmaApi({});
  r = await common.httpRequest(bare.bindingsUrl, { headers: { Authorization: 'Bearer ' }, timeoutMs: 2000 });
  eq([r.status, /^ext_[0-9a-f-]{36}$/.test(bare.moduleCode)], [401, true], 'no token configured: nothing authorizes; default module code');
  await bare.close();
}

(async () => {
  const guard = setTimeout(() => { console.error('FAIL: selftest timed out'); process.exit(1); }, 30000);
  for (const t of [testQueries, testPagingAndShapes, testKnobs, testApi]) {
    try {
      await t();
    } catch (e) {
      failures++;
      console.error('FAIL: exception in ' + t.name + ': ' + (e && e.stack || e));
    }
  }
  clearTimeout(guard);
  console.log((failures ? 'FAILED ' : 'OK ') + (checks - failures) + '/' + checks + ' checks (node ' + process.version + ')');
  process.exitCode = failures ? 1 : 0;
})();
