'use strict';
// The sandbox page: the settings form (built from the module's settingsSchema()), the ELMA365 buttons,
// click-to-call, simulated incoming calls, the call history and the live log (Server-Sent Events).
(function () {
  const $ = (sel) => document.querySelector(sel);
  const PROVIDERS = { oktell: 'Oktell', rostelecom: 'Ростелеком (Виртуальная АТС)' };
  const EVENTS = { NotifyStart: 'входящий звонок', NotifyAnswer: 'ответ', NotifyEnd: 'завершение', NotifyOutStart: 'исходящий звонок', NotifyOutEnd: 'завершение исходящего', NotifyInternal: 'внутренний звонок' };
  const DIRECTIONS = { In: ['↙', 'Входящий'], Out: ['↗', 'Исходящий'], Internal: ['↔', 'Внутренний'] };
  const DISPOSITIONS = { Answered: 'Отвечен', Busy: 'Занято', NoAnswer: 'Нет ответа', Cancel: 'Отменён', Failed: 'Сбой', Unknown: 'Неизвестно' };
  const state = { schema: [], emulators: {}, members: null, history: [], pending: null };

  /** h('div.a.b', {attr}, ...children): a small element builder. */
  function h(tag, attrs, ...children) {
    const [name, ...classes] = tag.split('.');
    const el = document.createElement(name);
    if (classes.length) el.className = classes.join(' ');
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k in el && k !== 'list') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c.nodeType ? c : String(c));
    return el;
  }
  const time = (iso) => new Date(iso).toLocaleTimeString('ru-RU');
  const json = (v) => JSON.stringify(v, null, 2);

  function banner(text) {
    const b = $('#banner');
    b.hidden = !text;
    b.textContent = text || '';
  }

  async function api(path, body) {
    let res;
    try {
      res = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    } catch (e) {
      banner(`Песочница не отвечает (${e.message}). Запущен ли npm start?`);
      throw e;
    }
    const out = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}: not JSON` }));
    if (res.status >= 500) banner(`Ошибка песочницы: ${out.error}`);
    return out;
  }

  /** Runs an action with the button busy; errors land in the page. */
  async function busy(button, work) {
    if (button.disabled) return;
    button.disabled = true;
    button.classList.add('busy');
    try {
      await work();
    } catch (e) {
      banner(`Ошибка: ${e.message}`);
    } finally {
      button.disabled = false;
      button.classList.remove('busy');
    }
  }

  // ---- settings form --------------------------------------------------------------------------------------------
  const provider = () => $('#f-provider').value;
  function formValues() {
    const out = {};
    for (const f of state.schema) out[f.code] = $(`#f-${f.code}`).value;
    return out;
  }

  function buildForm(schema, values) {
    const form = $('#settings');
    form.textContent = '';
    for (const f of schema) {
      const id = `f-${f.code}`;
      let input;
      if (f.kind === 'choice') input = h('select', { id, name: f.code }, f.choices.map((c) => h('option', { value: c }, PROVIDERS[c] || c)));
      else if (f.kind === 'text') input = h('textarea', { id, name: f.code, rows: 3 });
      else input = h('input', { id, name: f.code, type: f.kind === 'secret' ? 'password' : f.kind === 'number' ? 'number' : 'text' });
      input.spellcheck = false;
      if (f.kind !== 'choice') input.placeholder = f.default ? `по умолчанию: ${f.default}` : f.example ? `например: ${f.example}` : '';
      input.value = values[f.code] === undefined || values[f.code] === null ? '' : values[f.code];
      const control = f.kind === 'secret'
        ? h('div.secret', {}, input, h('button.link', { type: 'button', title: 'Show / hide', onclick: () => { input.type = input.type === 'password' ? 'text' : 'password'; } }, 'показать'))
        : input;
      form.append(h(`div.field.scope-${f.scope}`, { 'data-scope': f.scope },
        h('label', { htmlFor: id }, f.label, f.required ? h('span.req', { title: 'required' }, ' *') : null),
        control,
        h('div.help', {}, h('code', {}, f.code), ' · ', f.help)));
    }
    form.addEventListener('input', () => { $('#dirty').hidden = false; });
    $('#f-provider').addEventListener('change', onProvider);
    onProvider();
  }

  function onProvider() {
    const p = provider();
    for (const el of document.querySelectorAll('#settings .field')) el.hidden = !['all', p].includes(el.dataset.scope);
    $('#oktell-events-field').hidden = p !== 'oktell';
    state.members = null;
    $('#members-card').hidden = true;
    $('#test-result').hidden = true;
    fillMemberSelects();
  }

  function fillMemberSelects() {
    const emu = (state.emulators[provider()] || {}).members || [];
    const list = state.members || emu;
    for (const sel of [$('#call-src'), $('#sim-member')]) {
      const keep = sel.value;
      sel.textContent = '';
      for (const m of list) sel.append(h('option', { value: m.id }, `${m.name || m.id} (${m.id})`));
      if (list.some((m) => m.id === keep)) sel.value = keep;
    }
  }

  function showResult(ok, title, detail) {
    const box = $('#test-result');
    box.hidden = false;
    box.className = `result ${ok ? 'ok' : 'fail'}`;
    box.textContent = '';
    box.append(h('b', {}, `${ok ? '✓' : '✕'} ${title}`), detail ? h('div.detail', {}, detail) : null);
  }

  // ---- the ELMA365 buttons ----------------------------------------------------------------------------------------
  async function testConnection() {
    const r = await api('/api/fn/VoipTestConnection', { settings: formValues() });
    if (!r.ok) return showResult(false, 'Ошибка вызова VoipTestConnection', r.error);
    const t = r.result || {};
    if (t.success) showResult(true, 'Соединение успешно установлено', t.message || t.failReason);
    else showResult(false, 'Не удалось установить соединение', t.failReason || 'the module gave no reason');
  }

  async function loadMembers() {
    const r = await api('/api/fn/VoipGetMembers', { settings: formValues() });
    if (!r.ok) return showResult(false, 'Не удалось получить список сотрудников', r.error);
    state.members = r.result || [];
    const body = $('#members tbody');
    body.textContent = '';
    for (const m of state.members) {
      body.append(h('tr', {}, h('td', {}, h('code', {}, m.id)), h('td', {}, m.name),
        h('td.num', {}, h('button.link', { type: 'button', onclick: () => { $('#call-src').value = m.id; $('#call-dst').focus(); } }, 'позвонить от'))));
    }
    $('#members-count').textContent = `${state.members.length}`;
    $('#members-card').hidden = false;
    fillMemberSelects();
  }

  async function save() {
    const r = await api('/api/settings', { settings: formValues() });
    if (!r.ok) return showResult(false, 'Настройки не сохранены: VoipOnWebhookUpdated вернул ошибку', r.error);
    $('#dirty').hidden = true;
    showResult(true, 'Настройки сохранены', `VoipOnWebhookUpdated("${r.args[0]}") выполнен.`);
  }

  /** A call in flight: a spinner with the latest event, until its call record arrives. */
  function track(box, text) {
    if (state.pending) clearTimeout(state.pending.timer);
    box.hidden = false;
    box.className = 'progress live';
    box.textContent = '';
    const line = h('span', {}, text);
    box.append(h('span.spinner'), line);
    const p = { box, line, since: Date.now() };
    p.timer = setTimeout(() => finish(p, false, 'Событий от АТС нет уже 60 с. Проверьте адрес вебхука в настройках АТС.'), 60000);
    state.pending = p;
  }
  function finish(p, ok, text) {
    clearTimeout(p.timer);
    p.box.className = `progress ${ok ? 'done' : 'fail'}`;
    p.box.textContent = text;
    if (state.pending === p) state.pending = null;
  }

  async function call() {
    const src = $('#call-src').value;
    const dst = $('#call-dst').value;
    track($('#call-progress'), `VoipGenerateCall("${src}", "${dst}")…`);
    const p = state.pending;
    const r = await api('/api/fn/VoipGenerateCall', { settings: formValues(), args: [src, dst] });
    if (!r.ok) return finish(p, false, `Звонок не начат: ${r.error}`);
    p.line.textContent = `АТС звонит сотруднику ${src}, затем ${dst}…`;
  }

  async function simulate(scenario) {
    track($('#sim-progress'), 'АТС начинает входящий звонок…');
    const p = state.pending;
    const r = await api('/api/simulate', { settings: formValues(), scenario, member: $('#sim-member').value, client: $('#sim-client').value });
    if (!r.ok) finish(p, false, `Эмулятор: ${r.error}`);
  }

  // ---- history and log --------------------------------------------------------------------------------------------
  const memberName = (id) => {
    const m = (state.members || []).find((x) => x.id === id);
    return m ? m.name || m.id : null;
  };
  /** Who gets the pop-up: the operator's number must equal a member id (incoming: dstPhone, otherwise srcPhone). */
  function popupTarget(e) {
    if (!state.members) return null;
    const op = e.direction === 'In' || e.direction === 'Internal' ? e.dstPhone : e.srcPhone;
    const name = memberName(op);
    return name ? h('span.tag.ok', { title: 'VoipMember.id matches' }, `окно: ${name}`) : h('span.tag.warn', { title: 'no member has this id: ELMA365 shows no pop-up' }, `нет сотрудника «${op}»`);
  }
  const duration = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

  function addHistory(entry) {
    const c = entry.result.callRecord;
    const list = $('#history');
    if (!state.history.length) list.textContent = '';
    state.history.push(entry);
    $('#history-count').textContent = `${state.history.length}`;
    const [icon, dirName] = DIRECTIONS[c.direction] || ['•', c.direction];
    const result = h('div.play-result');
    const play = c.call === null || c.call === undefined
      ? h('span.muted', { title: 'the record has no call data: nothing to play' }, 'без записи')
      : h('button.play', { type: 'button', title: 'VoipGetCallLink', onclick: (ev) => busy(ev.currentTarget, () => playRecord(entry, result)) }, '▶');
    list.prepend(h('div.rec', { 'data-call-id': c.callId },
      h('span.dir', { title: dirName }, icon),
      h('div.who', {}, h('b', {}, c.srcPhone), ' → ', h('b', {}, c.dstPhone),
        h('div.muted', {}, `${time(entry.time)} · ${dirName} · `, h('span', { className: `disp ${c.disposition}` }, DISPOSITIONS[c.disposition] || c.disposition), ` · ${duration(c.duration || 0)}`),
        h('div.callid', { title: 'callId' }, c.callId), result),
      play));
  }

  async function playRecord(entry, box) {
    box.textContent = '';
    const r = await api('/api/call-link', { id: entry.id });
    if (!r.ok) {
      box.append(h('span.error', {}, `VoipGetCallLink: ${r.error}`));
      return;
    }
    const player = $('#player');
    player.hidden = false;
    box.append(h('a', { href: r.result, target: '_blank', rel: 'noopener', className: 'link-out' }, r.result));
    player.src = r.result;
    player.play().catch((e) => box.append(h('div.warn', {}, `Браузер не воспроизвёл запись: ${e.message}`)));
  }

  function summary(e) {
    if (e.kind === 'note') return [h(`span.badge.${e.level}`, {}, e.level === 'error' ? 'ошибка' : 'эмулятор'), e.text];
    if (e.kind === 'call') {
      const args = e.args.map((a) => JSON.stringify(a)).join(', ');
      let outcome = e.ok ? 'ok' : e.error;
      if (e.ok && e.fn === 'VoipTestConnection') outcome = (e.result || {}).success ? 'success' : `fail: ${(e.result || {}).failReason}`;
      if (e.ok && Array.isArray(e.result)) outcome = `${e.result.length} сотрудн.`;
      if (e.ok && typeof e.result === 'string') outcome = e.result;
      const good = e.ok && !(e.result && e.result.success === false);
      return [h('span.badge.call', {}, 'функция'), h('code', {}, `${e.fn}(${args})`), ' → ', h(good ? 'span.good' : 'span.bad', {}, outcome), h('span.muted', {}, ` ${e.ms} мс`)];
    }
    const r = e.result || {};
    const parts = [h('span.badge.webhook', {}, 'вебхук'), h('code', {}, `${e.request.method} ${e.request.query ? '?…' : ''}`), ' → ',
      h(e.response.status < 300 ? 'span.good' : 'span.bad', {}, String(e.response.status))];
    if (e.error) parts.push(' ', h('span.bad', {}, e.error));
    if (r.event) parts.push(' · ', h('b', {}, r.event.event), ` ${EVENTS[r.event.event] || ''} ${r.event.srcPhone} → ${r.event.dstPhone} `, popupTarget(r.event));
    if (r.callRecord) parts.push(' · ', h('span.tag', {}, `запись звонка: ${DISPOSITIONS[r.callRecord.disposition] || r.callRecord.disposition}, ${r.callRecord.duration} с`));
    if (!e.error && !r.event && !r.callRecord) parts.push(h('span.muted', {}, ' · без события, только ответ АТС'));
    return parts;
  }

  function details(e) {
    const block = (title, text) => (text ? [h('h4', {}, title), h('pre', {}, text)] : []);
    if (e.kind === 'note') return [];
    if (e.kind === 'call') return block('Аргументы', json(e.args)).concat(e.ok ? block('Результат', json(e.result === undefined ? null : e.result)) : block('Ошибка', e.error));
    const q = e.request;
    const headers = Object.entries(q.headers).map(([k, v]) => `${k}: ${v}`).join('\n');
    return [].concat(
      block('Запрос', `${q.method} ${q.query ? `?${q.query}` : ''}\n${headers}`),
      block('Тело', q.body.text), block('Тело: data (base64 → JSON)', q.body.decoded),
      block('VoipParseWebhookRequest → event, callRecord', e.result && (e.result.event || e.result.callRecord) ? json(e.result) : ''),
      block(`Ответ АТС: HTTP ${e.response.status}`, e.response.body || '(пусто)'));
  }

  function addLog(e) {
    const d = details(e);
    const head = h('div.head', {}, h('time', {}, time(e.time)), summary(e));
    const item = h(`li.${e.kind}`, { 'data-kind': e.kind, className: `${e.kind} ${e.ok === false || e.error || e.level === 'error' ? 'is-error' : ''}` },
      d.length ? h('details', {}, h('summary', {}, head), h('div.body', {}, d)) : head);
    $('#log').prepend(item);
    $('#log-empty').hidden = true;
    if (e.kind === 'webhook' && e.result && e.result.callRecord) addHistory(e);
    progress(e);
  }

  /** Moves the spinner of a call in flight along with the events that arrive. */
  function progress(e) {
    const p = state.pending;
    if (!p || Date.parse(e.time) < p.since - 1000) return;
    if (e.kind === 'note' && e.level === 'error') return finish(p, false, e.text);
    if (e.kind !== 'webhook') return;
    const r = e.result || {};
    if (e.error || e.response.status >= 400) return finish(p, false, `Вебхук отклонён: HTTP ${e.response.status} ${e.error || e.response.body || ''}`);
    if (r.event) p.line.textContent = `${r.event.event}: ${EVENTS[r.event.event] || ''} ${r.event.srcPhone} → ${r.event.dstPhone}…`;
    if (r.callRecord) finish(p, true, `Звонок завершён: ${DISPOSITIONS[r.callRecord.disposition] || r.callRecord.disposition}, ${duration(r.callRecord.duration || 0)}. Запись в истории звонков.`);
  }

  function clearLog() {
    $('#log').textContent = '';
    $('#log-empty').hidden = false;
    state.history = [];
    $('#history').textContent = '';
    $('#history').append(h('p.empty', {}, 'Звонков пока нет.'));
    $('#history-count').textContent = '';
    $('#player').hidden = true;
  }

  function connectLog() {
    const source = new EventSource('/api/log');
    source.onopen = () => { banner(''); clearLog(); };
    source.onmessage = (m) => addLog(JSON.parse(m.data));
    source.onerror = () => banner('Нет связи с песочницей: журнал не обновляется. Запущен ли npm start?');
  }

  // ---- start ------------------------------------------------------------------------------------------------------
  async function init() {
    const s = await api('/api/state');
    state.schema = s.schema;
    state.emulators = s.emulators;
    $('#module-meta').textContent = `модуль ${s.module.version} · ${Math.round(s.module.bytes / 1024)} КБ · холодный старт ${Math.round(s.module.evaluateMs + s.module.instantiateMs)} мс`;
    $('#webhook-url').textContent = s.webhookUrl;
    $('#oktell-events').value = s.emulators.oktell.events;
    buildForm(s.schema, s.settings);
    $('#dirty').hidden = s.saved;
    $('#btn-test').onclick = (ev) => busy(ev.currentTarget, testConnection);
    $('#btn-members').onclick = (ev) => busy(ev.currentTarget, loadMembers);
    $('#btn-save').onclick = (ev) => busy(ev.currentTarget, save);
    $('#btn-call').onclick = (ev) => busy(ev.currentTarget, call);
    $('#btn-sim-answered').onclick = (ev) => busy(ev.currentTarget, () => simulate('incoming-answered'));
    $('#btn-sim-missed').onclick = (ev) => busy(ev.currentTarget, () => simulate('incoming-missed'));
    $('#oktell-events').onchange = (ev) => api('/api/emulator', { oktellEvents: ev.target.value });
    $('#btn-clear').onclick = () => api('/api/log/clear', {}).then(clearLog);
    $('#btn-copy').onclick = () => navigator.clipboard && navigator.clipboard.writeText(s.webhookUrl);
    $('#log-webhooks-only').onchange = (ev) => $('#log').classList.toggle('webhooks-only', ev.target.checked);
    connectLog();
  }
  init().catch((e) => banner(`Песочница не загрузилась: ${e.message}`));
})();
