'use strict';
// The caller lookup in ELMA365's CRM (issue 18) end to end through the vm host: the CRM data the module script sees
// comes from tests/emulators/elma365.js (Namespace.params.fields), the «Настроить» bindings from its Web API
// emulator over loopback HTTP; the PBX asks over real HTTP too: Rostelecom's signed get_number_info, Oktell's
// scenario `lookup=`. Node 14.16 and 20, both builds, both languages: no `?.` / `??`.
const h = require('./helpers');
const { assert } = h;
const common = require('../emulators/common');
const { makeCrm, startElmaApi, UserStatus, uuid } = require('../emulators/elma365');

const ELMA_TOKEN = 'elma-Api-T0ken-5ecret-9f3c';
const WRONG_TOKEN = 'elma-wr0ng-T0ken-7d1e';
// The canonical caller and every form a CRM may have it stored in.
const FORMS_OF_74959561111 = ['+74959561111', '74959561111', '84959561111', '4959561111',
  '+7 (495) 956-11-11', '8 (495) 956-11-11', '+7 495 956-11-11', '8 495 956-11-11'];

/** Every condition leaf of a search's where tree (crm.searches[i].whereJson). */
function leaves(c, out) {
  out = out || [];
  if (!c) return out;
  if (c.op === 'and' || c.op === 'or') c.args.forEach((a) => leaves(a, out));
  else if (c.op === 'not') leaves(c.arg, out);
  else out.push(c);
  return out;
}
function nodes(c, out) {
  out = out || [];
  if (!c) return out;
  out.push(c);
  if (c.op === 'and' || c.op === 'or') c.args.forEach((a) => nodes(a, out));
  else if (c.op === 'not') nodes(c.arg, out);
  return out;
}
const telOf = (v) => (v !== null && typeof v === 'object' ? v.tel : v);

/** No value the module stored may exceed 2000 characters, nor hold a secret. */
function assertStorageSane(mod, secrets) {
  for (const [k, v] of mod.storage.map) {
    assert.ok(v.length <= 2000, `${k} holds ${v.length} chars`);
    h.assertNoSecret(v, secrets || []);
  }
}
const keysLike = (mod, re) => [...mod.storage.map.keys()].filter((k) => re.test(k));
const trace = (mod) => mod.storage.map.get('voip:crm');

/** A failure trace `<ms> ! <message>` naming `setting`, with no secret in it. */
function assertFailedTrace(mod, setting, secrets) {
  const t = trace(mod);
  assert.ok(typeof t === 'string', 'voip:crm is written');
  assert.match(t, /^\d+ ! \S/, t);
  if (setting) assert.ok(t.includes(setting), `voip:crm «${t}» does not name ${setting}`);
  h.assertNoSecret(t, secrets || []);
}
function assertOkTrace(mod) {
  assert.match(String(trace(mod)), /^\d+$/, `voip:crm «${trace(mod)}» is not a success trace`);
}

/** A Rostelecom PBX emulator, an ELMA365 CRM, the module with the CRM's App fields, and its webhook endpoint. */
async function rtRig(c, opts) {
  opts = opts || {};
  const pbx = c.add(await h.startRostelecom(opts.pbx || {}));
  const crm = opts.crm || makeCrm(opts.crmOpts);
  const load = { settings: h.rtSettings(pbx, opts.settings), storage: opts.storage, globals: opts.globals };
  if (Object.prototype.hasOwnProperty.call(opts, 'fields')) {
    if (opts.fields !== undefined) load.fields = opts.fields;
  } else {
    load.fields = crm.fields;
  }
  const mod = h.loadModule(load);
  const host = c.add(await h.startWebhookHost(mod));
  pbx.webhookUrl = host.url;
  return { pbx, crm, mod, host };
}

/** The signed get_number_info for `from`: a well-formed answer (HTTP 200, result 0), as {name, pin}. */
async function numberInfo(rig, from) {
  const r = await rig.pbx.sendNumberInfo({ from });
  assert.strictEqual(r.status, 200, r.body);
  assert.ok(r.json && typeof r.json === 'object', `not JSON: ${r.body}`);
  assert.deepStrictEqual(Object.keys(r.json).sort(), ['PIN', 'displayName', 'result', 'resultMessage'], r.body);
  assert.strictEqual(r.json.result, 0, r.body);
  assert.strictEqual(r.json.resultMessage, '', r.body);
  assert.strictEqual(typeof r.json.displayName, 'string', r.body);
  assert.strictEqual(typeof r.json.PIN, 'string', r.body);
  h.assertNoSecret(r.body, [ELMA_TOKEN, WRONG_TOKEN]);
  return { name: r.json.displayName, pin: r.json.PIN };
}

const usersInfoCalls = (pbx) => pbx.requests.filter((q) => q.path === '/users_info').length;

describe('Caller lookup: Rostelecom get_number_info end to end', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('names a client whose phone is stored formatted, with the PIN of the manager matched by e-mail; one search with every common form, live items only', async () => {
    const rig = await rtRig(c);
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'Petrova@Example.ru' });
    rig.crm.addContact({ name: 'ООО «Ромашка»', phones: ['+7 (495) 956-11-11'], responsible: petrova.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО «Ромашка»', pin: '102' });
    const s = rig.crm.searches[0];
    assert.strictEqual(s.app, 'contacts');
    const where = JSON.parse(s.whereJson);
    const phoneLeaves = leaves(where).filter((l) => l.field === '_phone');
    const searched = phoneLeaves.map((l) => telOf(l.value));
    for (const form of FORMS_OF_74959561111) assert.ok(searched.includes(form), `the search lacks «${form}»: ${s.whereJson}`);
    assert.ok(nodes(where).some((n) => n.op === 'or' && n.args.filter((a) => a.field === '_phone').length >= FORMS_OF_74959561111.length),
      `the forms are not one g.or(): ${s.whereJson}`);
    assert.ok(leaves(where).some((l) => l.op === 'eq' && l.field === '__deletedAt' && l.value === null), `no __deletedAt.eq(null): ${s.whereJson}`);
    assertOkTrace(rig.mod);
    assertStorageSane(rig.mod);
  });

  it('finds clients whose phones are stored as 8…, 7… and +7…, and cuts a long name at a word to 32 characters', async () => {
    const rig = await rtRig(c);
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    const ivanov = rig.crm.addUser({ name: 'Иванов Иван', email: 'ivanov@example.ru' });
    rig.crm.addContact({ name: 'Клиент восемь', phones: ['84959561112'], responsible: petrova.id });
    rig.crm.addContact({ name: 'Клиент семь', phones: ['74959561113'], responsible: petrova.id });
    rig.crm.addContact({ name: 'Клиент плюс', phones: [{ tel: '+74959561114', type: 'work' }], responsible: ivanov.id });
    rig.crm.addContact({ name: 'Константинопольский Константин Константинович', phones: ['8 495 956-11-15'], responsible: petrova.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959561112'), { name: 'Клиент восемь', pin: '102' });
    assert.deepStrictEqual(await numberInfo(rig, '74959561113'), { name: 'Клиент семь', pin: '102' });
    assert.deepStrictEqual(await numberInfo(rig, '+74959561114'), { name: 'Клиент плюс', pin: '101' });
    assert.deepStrictEqual(await numberInfo(rig, '84959561115'), { name: 'Константинопольский Константин', pin: '102' });
    assertStorageSane(rig.mod);
  });

  it('answers an unknown number with an empty name and PIN, and remembers that it is unknown', async () => {
    const rig = await rtRig(c);
    rig.crm.addContact({ name: 'Someone else', phones: ['+74959560000'] });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: '', pin: '' });
    assert.deepStrictEqual(rig.crm.searches.map((s) => s.app), ['contacts', 'companies']);
    assertOkTrace(rig.mod);
    rig.crm.reset();
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: '', pin: '' });
    assert.strictEqual(rig.crm.searches.length, 0, 'an unknown number is answered from the cache for a while');
  });

  it('answers a returning caller from the cache: no search, no user fetch; a second client of the same manager reuses the user mapping', async () => {
    const rig = await rtRig(c);
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    rig.crm.addContact({ name: 'ООО Ромашка', phones: ['+7 (495) 956-11-11'], responsible: petrova.id });
    rig.crm.addContact({ name: 'ООО Лютик', phones: ['+7 (495) 956-22-22'], responsible: petrova.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '102' });
    const usersInfo = usersInfoCalls(rig.pbx);
    assert.ok(usersInfo >= 1, 'the manager was mapped through users_info');
    const slots = keysLike(rig.mod, /^crm:n:/);
    assert.strictEqual(slots.length, 1, JSON.stringify([...rig.mod.storage.map.keys()]));
    assert.match(slots[0], /^crm:n:rt:([0-9]|[12][0-9]|3[01])$/);
    const userSlots = keysLike(rig.mod, /^crm:u:/);
    assert.strictEqual(userSlots.length, 1, JSON.stringify([...rig.mod.storage.map.keys()]));
    assert.match(userSlots[0], /^crm:u:rt:([0-9]|1[0-5])$/);

    rig.crm.reset();
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '102' });
    assert.strictEqual(rig.crm.searches.length, 0, 'a returning caller costs no search');
    assert.strictEqual(rig.crm.userFetches, 0, 'a returning caller costs no user fetch');
    assert.strictEqual(usersInfoCalls(rig.pbx), usersInfo);

    assert.deepStrictEqual(await numberInfo(rig, '74959562222'), { name: 'ООО Лютик', pin: '102' });
    assert.ok(rig.crm.searches.length >= 1, 'a new caller is searched');
    assert.strictEqual(usersInfoCalls(rig.pbx), usersInfo, 'the same manager is mapped from the cache, without users_info');
    assertStorageSane(rig.mod);
  });

  it('never names the caller after a deleted contact', async () => {
    const rig = await rtRig(c);
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    rig.crm.addContact({ name: 'Удалённый контакт', phones: ['+74959561111'], responsible: petrova.id, deleted: true });
    rig.crm.addContact({ name: 'Удалённый и живой', phones: ['84959563333'], responsible: petrova.id, deleted: true });
    rig.crm.addCompany({ name: 'Живая компания', phones: ['84959563333'] });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: '', pin: '' });
    assert.deepStrictEqual(await numberInfo(rig, '74959563333'), { name: 'Живая компания', pin: '' });
  });

  it('finds a company when no contact has the number, and prefers a contact over a company', async () => {
    const rig = await rtRig(c);
    const ivanov = rig.crm.addUser({ name: 'Иванов Иван', email: 'ivanov@example.ru' });
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    rig.crm.addCompany({ name: 'АО Компания', phones: ['+7 495 956-11-11'], responsible: ivanov.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'АО Компания', pin: '101' });
    assert.deepStrictEqual(rig.crm.searches.map((s) => s.app), ['contacts', 'companies'], 'contacts first, then companies');

    rig.crm.addCompany({ name: 'АО Другая', phones: ['84959564444'], responsible: ivanov.id });
    rig.crm.addContact({ name: 'Контакт Первый', phones: ['+74959564444'], responsible: petrova.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959564444'), { name: 'Контакт Первый', pin: '102' });
  });

  it('chooses deterministically among clients sharing a number: one with a responsible first, then the smallest __id', async () => {
    const rig = await rtRig(c);
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    const ivanov = rig.crm.addUser({ name: 'Иванов Иван', email: 'ivanov@example.ru' });
    rig.crm.addContact({ id: '00000000-0000-4000-8000-000000000001', name: 'Без ответственного', phones: ['+74959561111'] });
    rig.crm.addContact({ id: '00000000-0000-4000-8000-000000000002', name: 'С ответственным', phones: ['84959561111'], responsible: petrova.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'С ответственным', pin: '102' });

    rig.crm.addContact({ id: '00000000-0000-4000-8000-00000000000b', name: 'Второй по id', phones: ['+74959565555'], responsible: petrova.id });
    rig.crm.addContact({ id: '00000000-0000-4000-8000-00000000000a', name: 'Первый по id', phones: ['+7 (495) 956-55-55'], responsible: ivanov.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959565555'), { name: 'Первый по id', pin: '101' });
  });

  it('skips a blocked manager: the client is named, no PIN', async () => {
    const rig = await rtRig(c);
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru', blocked: true });
    rig.crm.addContact({ name: 'ООО Ромашка', phones: ['+74959561111'], responsible: petrova.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '' });
  });

  it('never routes when crmResponsibleField is declared empty; reads another phone field code', async () => {
    const crm = makeCrm({ phoneField: 'phones' });
    const rig = await rtRig(c, { crm, settings: { crmResponsibleField: '', crmPhoneField: 'phones' } });
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    rig.crm.addContact({ name: 'ООО Ромашка', phones: ['+74959561111'], responsible: petrova.id });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '' });
    assert.strictEqual(rig.crm.userFetches, 0);
    assert.ok(leaves(JSON.parse(rig.crm.searches[0].whereJson)).some((l) => l.field === 'phones'));
  });

  it('a CRM search that hangs: the PBX still gets a well-formed empty answer, the trace names crmLookupMs, nothing is cached', async () => {
    const rig = await rtRig(c, { settings: { crmLookupMs: 300 } });
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    rig.crm.addContact({ name: 'ООО Ромашка', phones: ['+74959561111'], responsible: petrova.id });
    rig.crm.behaviour.hang = true;
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: '', pin: '' });
    assertFailedTrace(rig.mod, 'crmLookupMs');
    assert.deepStrictEqual(keysLike(rig.mod, /^crm:n:/), [], 'a failed lookup is not cached');
    rig.crm.behaviour.hang = false;
    rig.crm.reset();
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '102' });
    assert.ok(rig.crm.searches.length >= 1, 'searched again');
    assertOkTrace(rig.mod);
    assertStorageSane(rig.mod);
  });

  it('a user fetch beyond the budget: the PBX gets the name known so far, without a PIN', async () => {
    const rig = await rtRig(c, { settings: { crmLookupMs: 300 } });
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    rig.crm.addContact({ name: 'ООО Ромашка', phones: ['+74959561111'], responsible: petrova.id });
    rig.crm.behaviour.userFetchDelayMs = 3000;
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '' });
    assertFailedTrace(rig.mod, 'crmLookupMs');
  });

  it('a CRM that answers after a delay within the budget still names the caller', async () => {
    const rig = await rtRig(c);
    const petrova = rig.crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    rig.crm.addContact({ name: 'ООО Ромашка', phones: ['+74959561111'], responsible: petrova.id });
    rig.crm.behaviour.delayMs = 50;
    rig.crm.behaviour.userFetchDelayMs = 50;
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '102' });
    assertOkTrace(rig.mod);
  });
});

describe('Caller lookup: ELMA365\'s «Настроить» bindings over the Web API', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  async function withApi(opts) {
    const api = c.add(await startElmaApi({ token: ELMA_TOKEN, bindings: opts.bindings || [] }));
    const settings = Object.assign({ elmaApiToken: ELMA_TOKEN, elmaUrl: api.url, elmaModuleCode: api.moduleCode }, opts.settings || {});
    const rig = await rtRig(c, { settings, crm: opts.crm });
    return Object.assign({ api }, rig);
  }
  function clientOf(crm, opts) {
    const petrova = crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    crm.addContact({ name: 'ООО Ромашка', phones: ['+7 (495) 956-11-11'], responsible: petrova.id });
    return petrova;
  }

  it('a binding wins over the e-mail match; the request carries the bearer token', async () => {
    const crm = makeCrm();
    const petrova = clientOf(crm);
    const rig = await withApi({ crm, bindings: [{ extension: '101', userId: petrova.id }] });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '101' });
    const gets = rig.api.requests.filter((q) => q.path === `/pub/v1/integration/${rig.api.moduleCode}/voip/bindings`);
    assert.strictEqual(gets.length, 1, JSON.stringify(rig.api.requests));
    assert.deepStrictEqual([gets[0].method, gets[0].authorization, gets[0].authorized], ['GET', true, true]);
    assertStorageSane(rig.mod, [ELMA_TOKEN]);
  });

  it('the module code may come from the webhook URL that VoipOnWebhookUpdated hands over', async () => {
    const id = uuid();
    const api = c.add(await startElmaApi({ token: ELMA_TOKEN, moduleCode: 'ext_' + id }));
    const crm = makeCrm();
    const petrova = clientOf(crm);
    api.setBindings([{ extension: '101', userId: petrova.id }]);
    const rig = await rtRig(c, { crm, settings: { elmaApiToken: ELMA_TOKEN, elmaUrl: api.url } });
    await rig.mod.fns.VoipOnWebhookUpdated(`https://acme.elma365.ru/api/extensions/${id}/script/webhook`);
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '101' });
    assert.ok(api.requests.some((q) => q.authorized && q.path === `/pub/v1/integration/ext_${id}/voip/bindings`), JSON.stringify(api.requests));
  });

  it('a binding to an extension that is not a PIN of this PBX is not used', async () => {
    const crm = makeCrm();
    const petrova = clientOf(crm);
    const rig = await withApi({ crm, bindings: [{ extension: '999', userId: petrova.id }] });
    const got = await numberInfo(rig, '74959561111');
    assert.strictEqual(got.name, 'ООО Ромашка');
    assert.notStrictEqual(got.pin, '999');
    assert.ok(['', '102'].includes(got.pin), got.pin);
  });

  it('a rejected token: the name is still given, without a PIN; the trace names elmaApiToken and never holds the token', async () => {
    const crm = makeCrm();
    clientOf(crm);
    const rig = await withApi({ crm, settings: { elmaApiToken: WRONG_TOKEN } });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '' });
    assertFailedTrace(rig.mod, 'elmaApiToken', [ELMA_TOKEN, WRONG_TOKEN]);
    assert.ok(rig.api.requests.length >= 1, 'the Web API was asked');
    assert.ok(rig.api.requests.every((q) => q.authorization === true && q.authorized === false), JSON.stringify(rig.api.requests));
    assertStorageSane(rig.mod, [ELMA_TOKEN, WRONG_TOKEN]);
  });
});

describe('Caller lookup: host shapes degrade, never break the webhook', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  function client(crm, opts) {
    opts = opts || {};
    const petrova = crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru', blocked: opts.blocked });
    crm.addContact({ name: 'ООО Ромашка', phones: [opts.phone || '+74959561111'], responsible: petrova.id });
    return petrova;
  }

  it('no App fields at all: an empty answer, nothing searched, no trace', async () => {
    const crm = makeCrm();
    client(crm);
    const rig = await rtRig(c, { crm, fields: undefined });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: '', pin: '' });
    assert.strictEqual(crm.searches.length, 0);
    assert.strictEqual(trace(rig.mod), undefined, 'an unconfigured lookup writes no voip:crm');
  });

  it('a field without .app: the other app is still searched, the trace names the broken field', async () => {
    const crm = makeCrm();
    const petrova = crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru' });
    crm.addCompany({ name: 'АО Компания', phones: ['+74959561111'], responsible: petrova.id });
    const rig = await rtRig(c, { crm, fields: { crmContacts: { code: 'crmContacts', type: 'SYS_COLLECTION' }, crmCompanies: crm.fields.crmCompanies } });
    const got = await numberInfo(rig, '74959561111');
    assert.strictEqual(got.name, 'АО Компания');
    assertFailedTrace(rig.mod, 'crmContacts');
  });

  const FAILING = [
    ['search() throws synchronously', { throwSync: true }],
    ['first()/all() reject with an Error', { reject: true }],
    ['first()/all() reject with a string', { rejectWith: 'search is down' }],
    ['first()/all() reject with null', { rejectWith: null }],
    ['first()/all() reject with undefined', { rejectWith: undefined }],
    ['the where callback\'s fields throw', { throwInWhere: true }],
  ];
  for (const [what, behaviour] of FAILING) {
    it(`${what}: result 0 with an empty answer, a trace naming crmContacts, nothing cached`, async () => {
      const rig = await rtRig(c);
      client(rig.crm);
      Object.assign(rig.crm.behaviour, behaviour);
      assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: '', pin: '' });
      assertFailedTrace(rig.mod, 'crmContacts');
      assert.deepStrictEqual(keysLike(rig.mod, /^crm:n:/), []);
      assertStorageSane(rig.mod);
    });
  }

  it('fields without .has(): the module searches with eq and still names the caller', async () => {
    const rig = await rtRig(c);
    client(rig.crm, { phone: '+7 (495) 956-11-11' });
    rig.crm.behaviour.noHas = true;
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '102' });
    const phoneLeaves = leaves(JSON.parse(rig.crm.searches[0].whereJson)).filter((l) => l.field === '_phone');
    assert.ok(phoneLeaves.length > 0 && phoneLeaves.every((l) => l.op === 'eq'), rig.crm.searches[0].whereJson);
  });

  it('results given synchronously (not Promises) still name the caller', async () => {
    const rig = await rtRig(c);
    client(rig.crm);
    rig.crm.behaviour.syncResults = true;
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '102' });
  });

  it('a user reference whose fetch() rejects: the client is named, no PIN, a trace', async () => {
    const rig = await rtRig(c);
    client(rig.crm);
    rig.crm.behaviour.userFetchReject = true;
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'ООО Ромашка', pin: '' });
    assertFailedTrace(rig.mod);
    assert.deepStrictEqual(keysLike(rig.mod, /^crm:n:/), []);
  });

  it('__status as a bare number: a blocked manager is skipped by the host\'s UserStatus, an active one routes', async () => {
    const crm = makeCrm({ userStatusShape: 'number' });
    const blocked = crm.addUser({ name: 'Петрова Анна', email: 'petrova@example.ru', blocked: true });
    const active = crm.addUser({ name: 'Иванов Иван', email: 'ivanov@example.ru' });
    crm.addContact({ name: 'У заблокированной', phones: ['+74959561111'], responsible: blocked.id });
    crm.addContact({ name: 'У активного', phones: ['+74959562222'], responsible: active.id });
    const rig = await rtRig(c, { crm, globals: { UserStatus } });
    assert.deepStrictEqual(await numberInfo(rig, '74959561111'), { name: 'У заблокированной', pin: '' });
    assert.deepStrictEqual(await numberInfo(rig, '74959562222'), { name: 'У активного', pin: '101' });
  });
});

describe('Caller lookup: Oktell scenario lookup end to end', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  const MEMBERS = 'ivanov;Иванов Иван;101\npetrova;Петрова Анна;102';

  async function oktRig(opts) {
    opts = opts || {};
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
    const crm = makeCrm();
    const manager = crm.addUser({ name: 'Петрова Анна', email: 'anna@corp.example', workPhone: { tel: '+74950000000', ext: '102' } });
    crm.addContact({ name: 'Иванов Иван', phones: ['+7 (495) 956-11-11'], responsible: manager.id });
    const settings = h.oktellSettings(okt, Object.assign({ webhookSecret: h.SECRETS.webhookSecret, oktellMembers: MEMBERS }, opts.settings || {}));
    const mod = h.loadModule({ settings, fields: crm.fields });
    const host = c.add(await h.startWebhookHost(mod));
    return { okt, crm, mod, host, manager };
  }
  const get = (host, fields) => common.httpRequest(`${host.url}?${new URLSearchParams(fields).toString()}`);
  const postJson = (host, obj) => common.httpRequest(host.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(obj) });
  const postForm = (host, fields) => common.httpRequest(host.url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  function text(r) {
    assert.strictEqual(r.status, 200, r.body);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    h.assertNoSecret(r.body, [ELMA_TOKEN]);
    return r.body;
  }

  it('by query string, form and JSON body with the token: name;login;number of the manager by work-phone extension', async () => {
    const rig = await oktRig();
    const token = h.SECRETS.webhookSecret;
    assert.strictEqual(text(await get(rig.host, { lookup: '84959561111', token })), 'Иванов Иван;petrova;102');
    assert.strictEqual(text(await postForm(rig.host, { lookup: '+74959561111', token })), 'Иванов Иван;petrova;102');
    assert.strictEqual(text(await postJson(rig.host, { lookup: '+7 495 956-11-11', token })), 'Иванов Иван;petrova;102');
    assert.strictEqual(rig.host.events().length + rig.host.records().length, 0, 'a lookup is not a call event');
  });

  it('format=json answers {name, login, number}', async () => {
    const rig = await oktRig();
    const r = await get(rig.host, { lookup: '74959561111', token: h.SECRETS.webhookSecret, format: 'json' });
    assert.strictEqual(r.status, 200, r.body);
    assert.match(String(r.headers['content-type']), /json/);
    assert.deepStrictEqual(JSON.parse(r.body), { name: 'Иванов Иван', login: 'petrova', number: '102' });
  });

  it('an unknown number answers ;;', async () => {
    const rig = await oktRig();
    assert.strictEqual(text(await get(rig.host, { lookup: '89161234567', token: h.SECRETS.webhookSecret })), ';;');
    const r = await postJson(rig.host, { lookup: '89161234567', token: h.SECRETS.webhookSecret, format: 'json' });
    assert.deepStrictEqual(JSON.parse(r.body), { name: '', login: '', number: '' });
  });

  it('a name with ";" or a line break still gives exactly three parts', async () => {
    const rig = await oktRig();
    rig.crm.addContact({ name: 'Рога; Копыта\nи партнёры', phones: ['+74959567777'], responsible: rig.manager.id });
    const body = text(await get(rig.host, { lookup: '74959567777', token: h.SECRETS.webhookSecret }));
    assert.strictEqual(body.split(';').length, 3, body);
    assert.ok(!/[\r\n]/.test(body), body);
    assert.deepStrictEqual(body.split(';').slice(1), ['petrova', '102']);
  });

  it('without the right token: 403 and no search', async () => {
    const rig = await oktRig();
    assert.strictEqual((await get(rig.host, { lookup: '74959561111', token: 'wrong' })).status, 403);
    assert.strictEqual((await get(rig.host, { lookup: '74959561111' })).status, 403);
    assert.strictEqual((await postJson(rig.host, { lookup: '74959561111', token: 'wrong', format: 'json' })).status, 403);
    assert.strictEqual(rig.crm.searches.length, 0);
  });

  it('a returning caller is answered from the cache, without a new search', async () => {
    const rig = await oktRig();
    const token = h.SECRETS.webhookSecret;
    assert.strictEqual(text(await get(rig.host, { lookup: '74959561111', token })), 'Иванов Иван;petrova;102');
    rig.crm.reset();
    assert.strictEqual(text(await get(rig.host, { lookup: '8 (495) 956-11-11', token })), 'Иванов Иван;petrova;102');
    assert.strictEqual(rig.crm.searches.length, 0);
    assert.strictEqual(rig.crm.userFetches, 0);
  });

  it('a «Настроить» binding (extension = login) wins over the work-phone match', async () => {
    const api = c.add(await startElmaApi({ token: ELMA_TOKEN }));
    const rig = await oktRig({ settings: { elmaApiToken: ELMA_TOKEN, elmaUrl: api.url, elmaModuleCode: api.moduleCode } });
    api.setBindings([{ extension: 'ivanov', userId: rig.manager.id }]);
    assert.strictEqual(text(await get(rig.host, { lookup: '74959561111', token: h.SECRETS.webhookSecret })), 'Иванов Иван;ivanov;101');
    assert.ok(api.requests.some((q) => q.authorized), JSON.stringify(api.requests));
    assertStorageSane(rig.mod, [ELMA_TOKEN]);
  });
});

describe('Caller lookup: VoipTestConnection (Rostelecom)', function () {
  this.timeout(20000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  const LOOKUP = h.say({
    en: ' Caller lookup: searches crmContacts («Контакты CRM») and crmCompanies («Компании CRM»);',
    ru: ' Поиск звонящего: ищет в «Контакты CRM» (crmContacts) и «Компании CRM» (crmCompanies);',
  });
  const LOOKUP_START = h.say({ en: 'Caller lookup', ru: 'Поиск звонящего' });

  async function test(opts) {
    const rig = await rtRig(c, opts);
    const r = await rig.mod.fns.VoipTestConnection();
    h.assertNoSecret(r, [ELMA_TOKEN, WRONG_TOKEN]);
    return Object.assign({ r }, rig);
  }
  function fails(r, setting) {
    assert.strictEqual(r.success, false, JSON.stringify(r));
    assert.ok(String(r.failReason).includes(setting), `«${r.failReason}» does not name ${setting}`);
  }

  it('with the lookup configured, the success message says what it searches', async () => {
    const { r } = await test();
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.ok(r.message.includes(LOOKUP), `«${r.message}» lacks «${LOOKUP}»`);
  });

  it('with no App fields and no token, nothing about the lookup', async () => {
    const { r, crm } = await test({ fields: undefined });
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.ok(!r.message.includes(LOOKUP_START), r.message);
    assert.strictEqual(crm.searches.length, 0);
  });

  it('fails naming crmPhoneField for a phone field the app does not have', async () => {
    fails((await test({ settings: { crmPhoneField: 'nope' } })).r, 'crmPhoneField');
  });

  it('fails naming crmResponsibleField for a responsible field the app does not have', async () => {
    fails((await test({ settings: { crmResponsibleField: 'nope' } })).r, 'crmResponsibleField');
  });

  it('fails naming crmContacts for a field without an app, or with an app that cannot search', async () => {
    fails((await test({ fields: { crmContacts: {} } })).r, 'crmContacts');
    const crm = makeCrm();
    fails((await test({ crm, fields: { crmContacts: { app: {} }, crmCompanies: crm.fields.crmCompanies } })).r, 'crmContacts');
    fails((await test({ crm, fields: { crmContacts: crm.fields.crmContacts, crmCompanies: { app: { search: 1 } } } })).r, 'crmCompanies');
  });

  it('fails naming elmaApiToken when the Web API rejects the token, without the token in the text', async () => {
    const api = c.add(await startElmaApi({ token: ELMA_TOKEN }));
    const { r } = await test({ settings: { elmaApiToken: WRONG_TOKEN, elmaUrl: api.url, elmaModuleCode: api.moduleCode } });
    fails(r, 'elmaApiToken');
    assert.ok(api.requests.some((q) => q.authorization && !q.authorized), JSON.stringify(api.requests));
  });

  it('succeeds with the right token', async () => {
    const api = c.add(await startElmaApi({ token: ELMA_TOKEN }));
    const { r } = await test({ settings: { elmaApiToken: ELMA_TOKEN, elmaUrl: api.url, elmaModuleCode: api.moduleCode } });
    assert.strictEqual(r.success, true, JSON.stringify(r));
    assert.ok(r.message.includes(LOOKUP), `«${r.message}» lacks «${LOOKUP}»`);
    assert.ok(api.requests.some((q) => q.authorized), JSON.stringify(api.requests));
  });
});
