'use strict';
// The sandbox page: the settings form (built from the module's settingsSchema()), the ELMA365 buttons,
// click-to-call, simulated incoming calls, the CRM's contacts and the caller lookup, the webhook's health, the call
// history and the live log (Server-Sent Events).
// The page speaks the language of the form's `language` field (ru or en): every text of its own is a key of
// TEXTS, and each element showing one carries it (data-k, data-a for its arguments), so switching re-renders in place.
(function () {
  const $ = (sel) => document.querySelector(sel);

  // ---- texts: [Russian, English]; {0}… are arguments (an argument {k, a} is itself a text) ------------------------
  const TEXTS = {
    'page.title': ['Телефония · песочница ELMA365', 'Telephony · ELMA365 sandbox'],
    'brand.sandbox': ['песочница', 'sandbox'],
    'crumbs.admin': ['Администрирование › Модули ›', 'Administration › Modules ›'],
    'crumbs.telephony': ['Телефония', 'Telephony'],
    'meta': ['модуль {0} · {1} КБ · холодный старт {2} мс', 'module {0} · {1} KB · cold start {2} ms'],
    'dl.script': ['скрипт', 'script'],
    'dl.package': ['пакет .e365', '.e365 package'],
    'settings.title': ['Настройки телефонии', 'Telephony settings'],
    'settings.sub': ['Настройки модуля, построенные по его собственному списку полей. Значения по умолчанию указывают на встроенные эмуляторы АТС.',
      "The module's settings, generated from its own field list. The defaults point at the embedded PBX emulators."],
    'settings.dirty': ['есть несохранённые изменения', 'unsaved changes'],
    'field.default': ['по умолчанию: {0}', 'default: {0}'],
    'field.example': ['например: {0}', 'e.g. {0}'],
    'field.required': ['обязательное поле', 'required'],
    'field.show': ['показать', 'show'],
    'field.showTitle': ['Показать / скрыть', 'Show / hide'],
    'choice.oktell': ['Oktell', 'Oktell'],
    'choice.rostelecom': ['Ростелеком (Виртуальная АТС)', 'Rostelecom (Virtual PBX)'],
    'choice.ru': ['Русский (ru)', 'Russian (ru)'],
    'choice.en': ['Английский (en)', 'English (en)'],
    'hook.url': ['Адрес вебхука', 'Webhook URL'],
    'hook.copy': ['Копировать', 'Copy'],
    // ELMA365's own buttons, as the product names them (BRIX365 in English).
    'btn.test': ['Проверить соединение', 'Test connection'],
    'btn.members': ['Настроить', 'Configure'],
    'btn.save': ['Сохранить', 'Save'],
    'result.threw': ['Ошибка вызова VoipTestConnection', 'VoipTestConnection threw an error'],
    'result.ok': ['Соединение успешно установлено', 'Connection established'],
    'result.fail': ['Не удалось установить соединение', 'Could not connect'],
    'result.noReason': ['модуль не назвал причину', 'the module gave no reason'],
    'result.membersFail': ['Не удалось получить список сотрудников', 'Could not get the employee list'],
    'result.saveFail': ['Настройки не сохранены: VoipOnWebhookUpdated вернул ошибку', 'Settings not saved: VoipOnWebhookUpdated failed'],
    'result.saved': ['Настройки сохранены', 'Settings saved'],
    'result.savedDetail': ['VoipOnWebhookUpdated("{0}") выполнен.', 'VoipOnWebhookUpdated("{0}") done.'],
    'health.title': ['Вебхук', 'Webhook'],
    'health.sub': ['что модуль записал о последних запросах АТС (хранилище модуля)', "what the module noted of the PBX's last requests (module storage)"],
    'health.none': ['Запросов от АТС пока не было.', 'No requests from the PBX yet.'],
    'health.noUrl': ['ELMA365 ещё не сообщила модулю адрес вебхука: нажмите «Сохранить».', 'ELMA365 has not given the module its webhook URL yet: press Save.'],
    'health.accepted': ['Принят', 'Accepted'],
    'health.refused': ['Отклонён', 'Refused'],
    'health.at': ['{0} ({1} назад)', '{0} ({1} ago)'],
    'health.why': ['причина', 'reason'],
    'health.blocks': ['После отклонённого запроса ни один не принят: «Проверить соединение» не пройдёт 24 ч или до первого принятого запроса.',
      'No request was accepted after the refused one: Test connection fails for 24 h or until a request is accepted.'],
    'health.unreadable': ['Состояние вебхука не прочитано: {0}', 'Could not read the webhook state: {0}'],
    'kind.call': ['событие звонка (call_events)', 'call event (call_events)'],
    'kind.info': ['запрос информации о номере (get_number_info)', 'number lookup (get_number_info)'],
    'kind.crm': ['запрос Web-интеграции с CRM Oktell', "Oktell's CRM integration request"],
    'kind.scn': ['запрос сценария Oktell', 'Oktell scenario request'],
    'kind.req': ['запрос', 'request'],
    'why.sign': ['подпись X-Client-Sign не совпадает: проверьте «Ключ подписи» (rtSignKey)', 'the X-Client-Sign signature does not match: check rtSignKey («Ключ подписи»)'],
    'why.unsigned': ['нет подписи X-Client-Sign', 'no X-Client-Sign signature'],
    'why.client': ['X-Client-ID другого личного кабинета: проверьте «Код идентификации» (rtClientId)', "another account's X-Client-ID: check rtClientId («Код идентификации»)"],
    'why.nosecret': ['нет секрета вебхука, а «Секрет вебхука» (webhookSecret) задан', 'no webhook secret, while webhookSecret («Секрет вебхука») is set'],
    'why.secret': ['секрет вебхука не совпадает с «Секрет вебхука» (webhookSecret)', 'the webhook secret differs from webhookSecret («Секрет вебхука»)'],
    'why.bad': ['модуль не смог разобрать запрос', 'the module could not use the request'],
    'ago.s': ['{0} с', '{0} s'],
    'ago.min': ['{0} мин', '{0} min'],
    'ago.h': ['{0} ч', '{0} h'],
    'ago.d': ['{0} дн.', '{0} d'],
    'members.title': ['Сотрудники АТС', 'PBX employees'],
    'members.sub': ['VoipGetMembers: ELMA365 сопоставляет каждого из них с пользователем. Всплывающее окно получает пользователь, чей id равен номеру оператора в событии.',
      "VoipGetMembers: ELMA365 maps each of these to a user. Pop-ups reach a user when an event's operator number equals the id."],
    'members.name': ['Имя', 'Name'],
    'members.callFrom': ['позвонить от', 'call from'],
    'call.title': ['Позвонить', 'Call'],
    'call.sub': ['VoipGenerateCall(srcPhone, dstPhone): АТС звонит сначала сотруднику, затем клиенту.', 'VoipGenerateCall(srcPhone, dstPhone): the PBX rings the employee first, then the client.'],
    'call.src': ['Сотрудник (srcPhone)', 'Employee (srcPhone)'],
    'call.dst': ['Номер клиента (dstPhone)', 'Client number (dstPhone)'],
    'call.button': ['Позвонить', 'Call'],
    'sim.title': ['Входящий звонок', 'Incoming call'],
    'sim.small': ['эмулятор АТС', 'PBX emulator'],
    'sim.sub': ['Эмулятор АТС проигрывает входящий звонок в вебхук, как это сделала бы настоящая АТС.', 'The emulated PBX plays an incoming call into the webhook, the way the real one would.'],
    'sim.client': ['Номер клиента', 'Client number'],
    'sim.member': ['Сотрудник', 'Employee'],
    'sim.oktellEvents': ['Как Oktell сообщает о звонках', 'How Oktell reports calls'],
    'sim.oktellCrm': ['Web-интеграция с CRM (form data=base64 JSON)', 'CRM web integration (form data=base64 JSON)'],
    'sim.oktellScenario': ['Сценарий Oktell (HTTP-запрос с полями event, callid…)', 'Oktell scenario (HTTP request with fields event, callid…)'],
    'sim.answered': ['Отвеченный', 'Answered'],
    'sim.missed': ['Пропущенный', 'Missed'],
    'progress.timeout': ['Событий от АТС нет уже 60 с. Проверьте адрес вебхука в настройках АТС.', 'No events from the PBX for 60 s. Check the webhook URL in the PBX settings.'],
    'progress.callStart': ['VoipGenerateCall("{0}", "{1}")…', 'VoipGenerateCall("{0}", "{1}")…'],
    'progress.notStarted': ['Звонок не начат: {0}', 'The call did not start: {0}'],
    'progress.ringing': ['АТС звонит сотруднику {0}, затем {1}…', 'The PBX rings employee {0}, then {1}…'],
    'progress.incoming': ['АТС начинает входящий звонок…', 'The PBX starts an incoming call…'],
    'progress.emulator': ['Эмулятор: {0}', 'Emulator: {0}'],
    'progress.refused': ['Вебхук отклонён: HTTP {0} {1}', 'Webhook refused: HTTP {0} {1}'],
    'progress.event': ['{0}: {1} {2} → {3}…', '{0}: {1} {2} → {3}…'],
    'progress.done': ['Звонок завершён: {0}, {1}. Запись в истории звонков.', 'Call ended: {0}, {1}. The record is in the call history.'],
    'event.NotifyStart': ['входящий звонок', 'incoming call'],
    'event.NotifyAnswer': ['ответ', 'answer'],
    'event.NotifyEnd': ['завершение', 'end'],
    'event.NotifyOutStart': ['исходящий звонок', 'outgoing call'],
    'event.NotifyOutEnd': ['завершение исходящего', 'outgoing call ended'],
    'event.NotifyInternal': ['внутренний звонок', 'internal call'],
    'dir.In': ['Входящий', 'Incoming'],
    'dir.Out': ['Исходящий', 'Outgoing'],
    'dir.Internal': ['Внутренний', 'Internal'],
    'disp.Answered': ['Отвечен', 'Answered'],
    'disp.Busy': ['Занято', 'Busy'],
    'disp.NoAnswer': ['Нет ответа', 'No answer'],
    'disp.Cancel': ['Отменён', 'Cancelled'],
    'disp.Failed': ['Сбой', 'Failed'],
    'disp.Unknown': ['Неизвестно', 'Unknown'],
    'crm.title': ['Контакты', 'Contacts'],
    'crm.small': ['CRM ELMA365', 'ELMA365 CRM'],
    'crm.sub': ['Приложение CRM, привязанное к полю «Контакты CRM» (crmContacts). На входящий звонок АТС спрашивает модуль, кто звонит: он ищет номер здесь и отдаёт имя клиента и сотрудника АТС, ответственного за него.',
      'The CRM app bound to the «Контакты CRM» field (crmContacts). On an incoming call the PBX asks the module who is calling: it looks the number up here and gives back the client\'s name and the PBX employee responsible for the client.'],
    'crm.name': ['Клиент', 'Client'],
    'crm.phones': ['Телефоны', 'Phones'],
    'crm.responsible': ['Ответственный', 'Responsible'],
    'crm.ext': ['доб. {0}', 'ext. {0}'],
    'crm.nobody': ['без ответственного', 'nobody'],
    'crm.empty': ['В CRM нет контактов.', 'The CRM has no contacts.'],
    'crm.delete': ['Удалить контакт', 'Delete the contact'],
    'crm.ringRow': ['входящий', 'ring in'],
    'crm.ringRowTitle': ['Входящий звонок с этого номера', 'An incoming call from this number'],
    'crm.newName': ['Имя клиента', "Client's name"],
    'crm.newPhone': ['Телефон', 'Phone'],
    'crm.add': ['Добавить', 'Add'],
    'crm.err.name': ['Введите имя клиента.', "Type the client's name."],
    'crm.err.phone': ['Введите телефон клиента.', "Type the client's phone."],
    'crm.err.responsible': ['Такого пользователя нет.', 'No such user.'],
    'crm.err.gone': ['Контакт уже удалён.', 'The contact is already deleted.'],
    'crm.err.number': ['Введите номер звонящего.', "Type the caller's number."],
    'crm.err.provider': ['Сначала выберите АТС в настройках.', 'Choose the PBX in the settings first.'],
    'crm.ringTitle': ['Кто звонит?', 'Who is calling?'],
    'crm.ringNumber': ['Номер звонящего', "Caller's number"],
    'crm.ring': ['Входящий с этого номера', 'Ring in from this number'],
    'crm.how.rostelecom': ['Эмулятор Ростелекома шлёт в вебхук подписанный get_number_info: АТС спрашивает, что показать на трубке и на какой PIN направить звонок.',
      'The Rostelecom emulator sends a signed get_number_info to the webhook: the PBX asks what to show on the handset and which PIN to route the call to.'],
    'crm.how.oktell': ['Сценарий Oktell спрашивает вебхук: lookup=<номер> и token=webhookSecret; модуль отвечает строкой «имя;логин;номер».',
      'An Oktell scenario asks the webhook: lookup=<number> and token=webhookSecret; the module answers one line «name;login;number».'],
    'crm.how.none': ['Выберите АТС в настройках.', 'Choose the PBX in the settings.'],
    'crm.cacheNote': ['Телефон хранится так, как введён (как в ELMA365): найти его в любом виде — дело модуля. Песочница сбрасывает кэш поиска модуля при каждом изменении контактов и при смене АТС; в ELMA365 ответ о номере кэшируется на 10 мин (о неизвестном номере на 3 мин).',
      "A phone is stored as typed (as ELMA365 does): finding it in whatever form is the module's job. The sandbox drops the module's lookup cache on each contact edit and when the PBX changes; in ELMA365 the answer for a number is cached for 10 min (3 min for an unknown number)."],
    'crm.handset': ['На трубке', 'Handset shows'],
    'crm.pin': ['Звонок на PIN', 'Routed to PIN'],
    'crm.login': ['Оператор (логин)', 'Operator (login)'],
    'crm.number': ['Номер оператора', "Operator's number"],
    'crm.pbxRouting': ['маршрутизация АТС', 'PBX routing'],
    'crm.searched': ['запросов к CRM: {0} · {1} мс', 'CRM searches: {0} · {1} ms'],
    'crm.cached': ['из кэша модуля, без поиска в CRM · {0} мс', 'from the module cache, no CRM search · {0} ms'],
    'crm.answer.rostelecom': ['Ответ модуля на get_number_info: HTTP {0}', "The module's answer to get_number_info: HTTP {0}"],
    'crm.answer.oktell': ['Ответ модуля сценарию: HTTP {0}', "The module's answer to the scenario: HTTP {0}"],
    'crm.failed': ['Вебхук ответил HTTP {0}', 'The webhook answered HTTP {0}'],
    'history.title': ['История звонков', 'Call history'],
    'history.sub': ['Записи звонков из VoipParseWebhookRequest. ▶ вызывает VoipGetCallLink и проигрывает ссылку.', 'Call records from VoipParseWebhookRequest. ▶ calls VoipGetCallLink and plays the link.'],
    'history.empty': ['Звонков пока нет.', 'No calls yet.'],
    'history.noRecording': ['без записи', 'no recording'],
    'history.noRecordingTitle': ['в записи звонка нет данных для ссылки: проигрывать нечего', 'the record has no call data: nothing to play'],
    'history.notPlayed': ['Браузер не воспроизвёл запись: {0}', 'The browser did not play the recording: {0}'],
    'log.title': ['Журнал', 'Log'],
    'log.sub': ['Каждый вебхук, как он пришёл (секреты скрыты), что вернул VoipParseWebhookRequest, и каждый вызов функции.',
      'Every webhook as it arrived (secrets masked), what VoipParseWebhookRequest returned, and every function call.'],
    'log.webhooksOnly': ['только вебхуки', 'webhooks only'],
    'log.clear': ['Очистить', 'Clear'],
    'log.empty': ['Журнал пуст.', 'The log is empty.'],
    'log.error': ['ошибка', 'error'],
    'log.emulator': ['эмулятор', 'emulator'],
    'log.function': ['функция', 'function'],
    'log.webhook': ['вебхук', 'webhook'],
    'log.members': ['{0} сотрудн.', '{0} employees'],
    'log.ms': [' {0} мс', ' {0} ms'],
    'log.popup': ['окно: {0}', 'pop-up: {0}'],
    'log.popupTitle': ['VoipMember.id совпадает', 'VoipMember.id matches'],
    'log.noMember': ['нет сотрудника «{0}»', 'no employee «{0}»'],
    'log.noMemberTitle': ['ни у одного сотрудника нет такого id: ELMA365 не покажет окно', 'no member has this id: ELMA365 shows no pop-up'],
    'log.record': ['запись звонка: {0}, {1} с', 'call record: {0}, {1} s'],
    'log.noEvent': [' · без события, только ответ АТС', ' · no event, only the answer to the PBX'],
    'log.args': ['Аргументы', 'Arguments'],
    'log.result': ['Результат', 'Result'],
    'log.errorBlock': ['Ошибка', 'Error'],
    'log.request': ['Запрос', 'Request'],
    'log.body': ['Тело', 'Body'],
    'log.bodyData': ['Тело: data (base64 → JSON)', 'Body: data (base64 → JSON)'],
    'log.response': ['Ответ АТС: HTTP {0}', 'Answer to the PBX: HTTP {0}'],
    'log.emptyBody': ['(пусто)', '(empty)'],
    'banner.noAnswer': ['Песочница не отвечает ({0}). Запущен ли npm start?', 'The sandbox does not answer ({0}). Is npm start running?'],
    'banner.serverError': ['Ошибка песочницы: {0}', 'Sandbox error: {0}'],
    'banner.error': ['Ошибка: {0}', 'Error: {0}'],
    'banner.lost': ['Нет связи с песочницей: журнал не обновляется. Запущен ли npm start?', 'No connection to the sandbox: the log is not updating. Is npm start running?'],
    'banner.notLoaded': ['Песочница не загрузилась: {0}', 'The sandbox did not load: {0}'],
  };
  const LANGS = ['ru', 'en'];
  /** The `language` setting as the module reads it: English for en/en-US/…, Russian otherwise. */
  const langOf = (value) => (/^\s*en\b/i.test(String(value || '')) ? 'en' : 'ru');
  let lang = 'ru';

  const argText = (a) => (a && typeof a === 'object' ? tr(a.k, ...(a.a || [])) : a === undefined || a === null ? '' : String(a));
  /** A text in the page's language. */
  function tr(key, ...args) {
    const pair = TEXTS[key];
    const s = pair ? pair[LANGS.indexOf(lang)] : key;
    return s.replace(/\{(\d)\}/g, (_, i) => argText(args[Number(i)]));
  }
  /** A text as an argument of another one: {k, a}. */
  const K = (k, ...a) => ({ k, a });
  /** Sets an element's text to a key (and arguments), remembering them for a language switch. */
  function put(el, key, ...args) {
    el.dataset.k = key;
    if (args.length) el.dataset.a = JSON.stringify(args);
    else delete el.dataset.a;
    el.textContent = tr(key, ...args);
    return el;
  }
  /** A span that shows a text, in whatever language the page switches to. */
  const t = (key, ...args) => put(document.createElement('span'), key, ...args);

  /** Re-renders every text of the page in `next` ('ru' | 'en'). */
  function setLang(next) {
    lang = LANGS.includes(next) ? next : 'ru';
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll('[data-k]')) el.textContent = tr(el.dataset.k, ...(el.dataset.a ? JSON.parse(el.dataset.a) : []));
    for (const el of document.querySelectorAll('[data-kt]')) el.title = tr(el.dataset.kt);
    document.title = tr('page.title');
    for (const f of state.schema) {
      const input = $(`#f-${f.code}`);
      if (input && f.kind !== 'choice') input.placeholder = f.default ? tr('field.default', f.default) : f.example ? tr('field.example', f.example) : '';
      const help = $(`#help-${f.code}`);
      if (help) help.textContent = lang === 'en' ? f.help : f.helpRu || f.help;
    }
    renderHealth();
  }

  const DIR_ICONS = { In: '↙', Out: '↗', Internal: '↔' };
  const state = { schema: [], emulators: {}, members: null, history: [], pending: null, health: null, healthTimer: null, crm: { users: [], contacts: [] } };
  /** A known code's text (`prefix.code`), else the code itself. */
  const named = (prefix, code) => (TEXTS[`${prefix}.${code}`] ? t(`${prefix}.${code}`) : h('span', {}, code));
  const namedArg = (prefix, code) => (TEXTS[`${prefix}.${code}`] ? K(`${prefix}.${code}`) : code);

  /** h('div.a.b', {attr}, ...children): a small element builder. `data-kt` is a title from TEXTS. */
  function h(tag, attrs, ...children) {
    const [name, ...classes] = tag.split('.');
    const el = document.createElement(name);
    if (classes.length) el.className = classes.join(' ');
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'data-kt') { el.dataset.kt = v; el.title = tr(v); } else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k in el && k !== 'list') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c.nodeType ? c : String(c));
    return el;
  }
  const time = (when) => new Date(when).toLocaleTimeString('ru-RU');
  const json = (v) => JSON.stringify(v, null, 2);

  function banner(key, ...args) {
    const b = $('#banner');
    b.hidden = !key;
    b.textContent = '';
    if (key) b.append(t(key, ...args));
  }

  /** One API call; `quiet` (a background refresh) leaves a lost connection to the log stream's banner. */
  async function api(path, body, quiet) {
    let res;
    try {
      res = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    } catch (e) {
      if (!quiet) banner('banner.noAnswer', e.message);
      throw e;
    }
    const out = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}: not JSON` }));
    if (res.status >= 500) banner('banner.serverError', out.error);
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
      banner('banner.error', e.message);
    } finally {
      button.disabled = false;
      button.classList.remove('busy');
    }
  }

  // ---- settings form --------------------------------------------------------------------------------------------
  const provider = () => $('#f-provider').value;
  function formValues() {
    const out = {};
    for (const f of state.schema) if (f.kind !== 'app') out[f.code] = $(`#f-${f.code}`).value;
    return out;
  }

  function buildForm(schema, values) {
    const form = $('#settings');
    form.textContent = '';
    for (const f of schema) {
      const id = `f-${f.code}`;
      let input;
      if (f.kind === 'choice') input = h('select', { id, name: f.code }, f.choices.map((c) => h('option', { value: c }, TEXTS[`choice.${c}`] ? t(`choice.${c}`) : c)));
      else if (f.kind === 'text') input = h('textarea', { id, name: f.code, rows: 3 });
      else input = h('input', { id, name: f.code, type: f.kind === 'secret' ? 'password' : f.kind === 'number' ? 'number' : 'text' });
      input.spellcheck = false;
      input.value = values[f.code] === undefined || values[f.code] === null ? '' : values[f.code];
      // An App field is bound to an app, not typed in: the sandbox binds it to its CRM's (see «Контакты»).
      if (f.kind === 'app') Object.assign(input, { readOnly: true, value: f.app || '', className: 'app' });
      const control = f.kind === 'secret'
        ? h('div.secret', {}, input, h('button.link', { type: 'button', 'data-kt': 'field.showTitle', onclick: () => { input.type = input.type === 'password' ? 'text' : 'password'; } }, t('field.show')))
        : input;
      form.append(h(`div.field.scope-${f.scope}`, { 'data-scope': f.scope },
        h('label', { htmlFor: id }, f.label, f.required ? h('span.req', { 'data-kt': 'field.required' }, ' *') : null),
        control,
        h('div.help', {}, h('code', {}, f.code), ' · ', h('span', { id: `help-${f.code}` }))));
    }
    form.addEventListener('input', () => { $('#dirty').hidden = false; });
    $('#f-provider').addEventListener('change', onProvider);
    // The page follows the module's `language` setting as soon as it changes in the form.
    if ($('#f-language')) $('#f-language').addEventListener('change', (ev) => setLang(langOf(ev.target.value)));
    onProvider();
  }

  function onProvider() {
    const p = provider();
    for (const el of document.querySelectorAll('#settings .field')) el.hidden = !['all', p].includes(el.dataset.scope);
    $('#oktell-events-field').hidden = p !== 'oktell';
    put($('#crm-ring-how'), ['oktell', 'rostelecom'].includes(p) ? `crm.how.${p}` : 'crm.how.none');
    $('#crm-ring-result').hidden = true;
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

  /** The result box under the buttons: a title (a key of TEXTS) and the module's own text. */
  function showResult(ok, titleKey, detail) {
    const box = $('#test-result');
    box.hidden = false;
    box.className = `result ${ok ? 'ok' : 'fail'}`;
    box.textContent = '';
    box.append(h('b', {}, `${ok ? '✓' : '✕'} `, t(titleKey)), detail ? h('div.detail', {}, detail) : null);
  }

  // ---- the webhook's health: what the module keeps in its storage about the last requests -----------------------
  function ago(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 120) return K('ago.s', s);
    if (s < 7200) return K('ago.min', Math.floor(s / 60));
    if (s < 172800) return K('ago.h', Math.floor(s / 3600));
    return K('ago.d', Math.floor(s / 86400));
  }

  function renderHealth() {
    const box = $('#hook-health-body');
    const hh = state.health;
    box.textContent = '';
    $('#hook-health').className = 'health';
    if (!hh) return;
    if (hh.ok === false) return void box.append(h('div.error', {}, t('health.unreadable', hh.error)));
    const { accepted: ok, refused: no } = hh;
    if (!ok && !no) return void box.append(h('div.hrow.none.muted', {}, t(hh.webhookUrl ? 'health.none' : 'health.noUrl')));
    const when = (at) => t('health.at', time(at), ago(hh.now - at));
    const rows = [];
    if (ok) {
      rows.push([ok.at, h('div.hrow.accepted', { title: `voip:hook:ok = "${hh.raw.ok}"` },
        h('span.mark', {}, '✓'), h('b', {}, t('health.accepted')), ' ', when(ok.at), ' · ', named('kind', ok.kind), ' ', h('code', {}, ok.kind))]);
    }
    if (no) {
      rows.push([no.at, h('div.hrow.refused', { title: `voip:hook:no = "${hh.raw.no}"` },
        h('span.mark', {}, '✕'), h('b', {}, t('health.refused')), ' ', when(no.at), ' · ', named('kind', no.kind), ' ', h('code', {}, no.kind),
        h('div.why', {}, t('health.why'), ': ', named('why', no.why), ' ', h('code', {}, no.why), ` · HTTP ${no.status}`, no.detail ? ` · «${no.detail}»` : ''))]);
    }
    rows.sort((a, b) => b[0] - a[0]);
    for (const [, row] of rows) box.append(row);
    const blocking = no && (!ok || ok.at < no.at) && hh.now - no.at < 24 * 3600 * 1000;
    $('#hook-health').className = `health ${blocking ? 'blocking' : 'fine'}`;
    if (blocking) box.append(h('div.hint', {}, t('health.blocks')));
  }

  async function refreshHealth(quiet) {
    clearTimeout(state.healthTimer);
    state.health = await api('/api/webhook-health', undefined, quiet);
    renderHealth();
  }
  /** After a webhook: once the burst settles (a call is several requests). */
  function refreshHealthSoon() {
    clearTimeout(state.healthTimer);
    state.healthTimer = setTimeout(() => refreshHealth(true).catch(() => {}), 150);
  }

  // ---- the ELMA365 buttons ----------------------------------------------------------------------------------------
  async function testConnection() {
    const r = await api('/api/fn/VoipTestConnection', { settings: formValues() });
    await refreshHealth();
    if (!r.ok) return showResult(false, 'result.threw', r.error);
    const res = r.result || {};
    if (res.success) showResult(true, 'result.ok', res.message || res.failReason);
    else showResult(false, 'result.fail', res.failReason || t('result.noReason'));
  }

  async function loadMembers() {
    const r = await api('/api/fn/VoipGetMembers', { settings: formValues() });
    if (!r.ok) return showResult(false, 'result.membersFail', r.error);
    state.members = r.result || [];
    const body = $('#members tbody');
    body.textContent = '';
    for (const m of state.members) {
      body.append(h('tr', {}, h('td', {}, h('code', {}, m.id)), h('td', {}, m.name),
        h('td.num', {}, h('button.link', { type: 'button', onclick: () => { $('#call-src').value = m.id; $('#call-dst').focus(); } }, t('members.callFrom')))));
    }
    $('#members-count').textContent = `${state.members.length}`;
    $('#members-card').hidden = false;
    fillMemberSelects();
  }

  async function save() {
    const r = await api('/api/settings', { settings: formValues() });
    if (!r.ok) return showResult(false, 'result.saveFail', r.error);
    $('#dirty').hidden = true;
    showResult(true, 'result.saved', t('result.savedDetail', r.args[0]));
    await refreshHealth();
  }

  /** A call in flight: a spinner with the latest event, until its call record arrives. */
  function track(box, key, ...args) {
    if (state.pending) clearTimeout(state.pending.timer);
    box.hidden = false;
    box.className = 'progress live';
    box.textContent = '';
    const line = t(key, ...args);
    box.append(h('span.spinner'), line);
    const p = { box, line, since: Date.now() };
    p.timer = setTimeout(() => finish(p, false, 'progress.timeout'), 60000);
    state.pending = p;
  }
  function finish(p, ok, key, ...args) {
    clearTimeout(p.timer);
    p.box.className = `progress ${ok ? 'done' : 'fail'}`;
    p.box.textContent = '';
    p.box.append(t(key, ...args));
    if (state.pending === p) state.pending = null;
  }

  async function call() {
    const src = $('#call-src').value;
    const dst = $('#call-dst').value;
    track($('#call-progress'), 'progress.callStart', src, dst);
    const p = state.pending;
    const r = await api('/api/fn/VoipGenerateCall', { settings: formValues(), args: [src, dst] });
    if (!r.ok) return finish(p, false, 'progress.notStarted', r.error);
    put(p.line, 'progress.ringing', src, dst);
  }

  async function simulate(scenario) {
    track($('#sim-progress'), 'progress.incoming');
    const p = state.pending;
    const r = await api('/api/simulate', { settings: formValues(), scenario, member: $('#sim-member').value, client: $('#sim-client').value });
    if (!r.ok) finish(p, false, 'progress.emulator', r.error);
  }

  // ---- «Контакты»: the CRM's contacts, and who the module says is calling --------------------------------------------
  function renderCrm() {
    const { users, contacts } = state.crm;
    const body = $('#crm-contacts tbody');
    body.textContent = '';
    const who = (u) => (u ? [h('div.nowrap', {}, u.name), u.ext ? h('div.muted.small', {}, t('crm.ext', u.ext)) : null] : [h('span.muted', {}, '—')]);
    for (const c of contacts) {
      body.append(h('tr', { 'data-id': c.id }, h('td', {}, h('b', {}, c.name)), h('td', {}, c.phones.map((p) => h('div.nowrap', {}, p))), h('td', {}, who(c.responsible)),
        h('td.num', {},
          h('button.link', { type: 'button', 'data-kt': 'crm.ringRowTitle', onclick: (ev) => { $('#crm-ring-number').value = c.phones[0] || ''; busy(ev.currentTarget, ringIn); } }, t('crm.ringRow')),
          h('button.link.del', { type: 'button', 'data-kt': 'crm.delete', onclick: (ev) => busy(ev.currentTarget, () => deleteContact(c.id)) }, '✕'))));
    }
    $('#crm-contacts').hidden = !contacts.length;
    $('#crm-empty').hidden = contacts.length > 0;
    $('#crm-count').textContent = `${contacts.length}`;
    const sel = $('#crm-responsible');
    const keep = sel.value;
    sel.textContent = '';
    for (const u of users) sel.append(h('option', { value: u.id }, u.name, u.ext ? ` (${u.ext})` : ''));
    sel.append(h('option', { value: '' }, t('crm.nobody')));
    if (keep !== '' && users.some((u) => u.id === keep)) sel.value = keep;
  }
  function crmError(key) {
    const box = $('#crm-add-error');
    box.hidden = !key;
    if (key) put(box, TEXTS[`crm.err.${key}`] ? `crm.err.${key}` : 'banner.error', key);
  }

  async function addContact() {
    const phone = $('#crm-phone').value;
    const r = await api('/api/crm/contacts', { name: $('#crm-name').value, phone, responsible: $('#crm-responsible').value });
    if (!r.ok) return crmError(r.error);
    crmError('');
    state.crm = r;
    renderCrm();
    $('#crm-name').value = '';
    $('#crm-phone').value = '';
    $('#crm-ring-number').value = phone.trim();
  }

  async function deleteContact(id) {
    const r = await api('/api/crm/contacts/delete', { id });
    if (!r.ok) return crmError(r.error);
    crmError('');
    state.crm = r;
    renderCrm();
  }

  async function ringIn() {
    const box = $('#crm-ring-result');
    box.hidden = false;
    box.className = 'lookup live';
    box.textContent = '';
    box.append(h('span.spinner'));
    const r = await api('/api/crm/ring', { settings: formValues(), number: $('#crm-ring-number').value });
    box.textContent = '';
    if (!r.ok && !r.status) {
      box.className = 'lookup fail';
      return void box.append(t(TEXTS[`crm.err.${r.error}`] ? `crm.err.${r.error}` : 'banner.error', r.error));
    }
    box.className = `lookup ${!r.ok ? 'fail' : r.name ? 'found' : 'unknown'}`;
    const value = (id, text, extra) => h('dd', {}, h('b', { id }, text || '—'), extra ? h('span.muted', {}, ' · ', extra) : null);
    const routed = (id, member, name) => (member ? value(id, member, name) : h('dd', {}, h('b.muted', { id }, t('crm.pbxRouting'))));
    const rows = r.provider === 'oktell'
      ? [h('dt', {}, t('crm.handset')), value('crm-ring-name', r.name), h('dt', {}, t('crm.login')), routed('crm-ring-login', r.member, r.memberName),
        h('dt', {}, t('crm.number')), value('crm-ring-ext', r.ext)]
      : [h('dt', {}, t('crm.handset')), value('crm-ring-name', r.name), h('dt', {}, t('crm.pin')), routed('crm-ring-pin', r.member, r.memberName)];
    if (!r.ok) box.append(h('div.error', {}, t('crm.failed', r.status)));
    else box.append(h('dl', {}, rows));
    box.append(h('div.raw', {}, t(`crm.answer.${r.provider}`, r.status), ' ', h('code', {}, r.answer || '""'),
      h('div', {}, `${r.provider === 'oktell' ? `lookup=${r.number}` : `from_number ${r.number}`} · `, r.searches ? t('crm.searched', r.searches, r.ms) : t('crm.cached', r.ms))));
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
    return name ? h('span.tag.ok', { 'data-kt': 'log.popupTitle' }, t('log.popup', name)) : h('span.tag.warn', { 'data-kt': 'log.noMemberTitle' }, t('log.noMember', op));
  }
  const duration = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

  function addHistory(entry) {
    const c = entry.result.callRecord;
    const list = $('#history');
    if (!state.history.length) list.textContent = '';
    state.history.push(entry);
    $('#history-count').textContent = `${state.history.length}`;
    const icon = DIR_ICONS[c.direction] || '•';
    const result = h('div.play-result');
    const play = c.call === null || c.call === undefined
      ? h('span.muted', { 'data-kt': 'history.noRecordingTitle' }, t('history.noRecording'))
      : h('button.play', { type: 'button', title: 'VoipGetCallLink', onclick: (ev) => busy(ev.currentTarget, () => playRecord(entry, result)) }, '▶');
    list.prepend(h('div.rec', { 'data-call-id': c.callId },
      h('span.dir', TEXTS[`dir.${c.direction}`] ? { 'data-kt': `dir.${c.direction}` } : { title: c.direction }, icon),
      h('div.who', {}, h('b', {}, c.srcPhone), ' → ', h('b', {}, c.dstPhone),
        h('div.muted', {}, `${time(entry.time)} · `, named('dir', c.direction), ' · ', h('span', { className: `disp ${c.disposition}` }, named('disp', c.disposition)), ` · ${duration(c.duration || 0)}`),
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
    player.play().catch((e) => box.append(h('div.warn', {}, t('history.notPlayed', e.message))));
  }

  function summary(e) {
    if (e.kind === 'note') return [h(`span.badge.${e.level}`, {}, t(e.level === 'error' ? 'log.error' : 'log.emulator')), e.text];
    if (e.kind === 'call') {
      const args = e.args.map((a) => JSON.stringify(a)).join(', ');
      let outcome = e.ok ? 'ok' : e.error;
      if (e.ok && e.fn === 'VoipTestConnection') outcome = (e.result || {}).success ? 'success' : `fail: ${(e.result || {}).failReason}`;
      if (e.ok && Array.isArray(e.result)) outcome = t('log.members', e.result.length);
      if (e.ok && typeof e.result === 'string') outcome = e.result;
      const good = e.ok && !(e.result && e.result.success === false);
      return [h('span.badge.call', {}, t('log.function')), h('code', {}, `${e.fn}(${args})`), ' → ', h(good ? 'span.good' : 'span.bad', {}, outcome), h('span.muted', {}, t('log.ms', e.ms))];
    }
    const r = e.result || {};
    const parts = [h('span.badge.webhook', {}, t('log.webhook')), h('code', {}, `${e.request.method} ${e.request.query ? '?…' : ''}`), ' → ',
      h(e.response.status < 300 ? 'span.good' : 'span.bad', {}, String(e.response.status))];
    if (e.error) parts.push(' ', h('span.bad', {}, e.error));
    if (r.event) parts.push(' · ', h('b', {}, r.event.event), ' ', named('event', r.event.event), ` ${r.event.srcPhone} → ${r.event.dstPhone} `, popupTarget(r.event));
    if (r.callRecord) parts.push(' · ', h('span.tag', {}, t('log.record', namedArg('disp', r.callRecord.disposition), r.callRecord.duration)));
    if (!e.error && !r.event && !r.callRecord) parts.push(h('span.muted', {}, t('log.noEvent')));
    return parts;
  }

  function details(e) {
    const block = (key, text, ...args) => (text ? [h('h4', {}, t(key, ...args)), h('pre', {}, text)] : []);
    if (e.kind === 'note') return [];
    if (e.kind === 'call') return block('log.args', json(e.args)).concat(e.ok ? block('log.result', json(e.result === undefined ? null : e.result)) : block('log.errorBlock', e.error));
    const q = e.request;
    const headers = Object.entries(q.headers).map(([k, v]) => `${k}: ${v}`).join('\n');
    const parsed = e.result && (e.result.event || e.result.callRecord) ? json(e.result) : '';
    return [].concat(
      block('log.request', `${q.method} ${q.query ? `?${q.query}` : ''}\n${headers}`),
      block('log.body', q.body.text), block('log.bodyData', q.body.decoded),
      parsed ? [h('h4', {}, 'VoipParseWebhookRequest → event, callRecord'), h('pre', {}, parsed)] : [],
      [h('h4', {}, t('log.response', e.response.status)), e.response.body ? h('pre', {}, e.response.body) : h('pre', {}, t('log.emptyBody'))]);
  }

  function addLog(e) {
    const d = details(e);
    const head = h('div.head', {}, h('time', {}, time(e.time)), summary(e));
    const item = h(`li.${e.kind}`, { 'data-kind': e.kind, className: `${e.kind} ${e.ok === false || e.error || e.level === 'error' ? 'is-error' : ''}` },
      d.length ? h('details', {}, h('summary', {}, head), h('div.body', {}, d)) : head);
    $('#log').prepend(item);
    $('#log-empty').hidden = true;
    if (e.kind === 'webhook' && e.result && e.result.callRecord) addHistory(e);
    if (e.kind === 'webhook') refreshHealthSoon();
    progress(e);
  }

  /** Moves the spinner of a call in flight along with the events that arrive. */
  function progress(e) {
    const p = state.pending;
    if (!p || Date.parse(e.time) < p.since - 1000) return;
    if (e.kind === 'note' && e.level === 'error') {
      finish(p, false, 'progress.emulator', e.text);
      return;
    }
    if (e.kind !== 'webhook') return;
    const r = e.result || {};
    if (e.error || e.response.status >= 400) return finish(p, false, 'progress.refused', e.response.status, e.error || e.response.body || '');
    if (r.event) put(p.line, 'progress.event', r.event.event, namedArg('event', r.event.event), r.event.srcPhone, r.event.dstPhone);
    if (r.callRecord) finish(p, true, 'progress.done', namedArg('disp', r.callRecord.disposition), duration(r.callRecord.duration || 0));
  }

  function clearLog() {
    $('#log').textContent = '';
    $('#log-empty').hidden = false;
    state.history = [];
    $('#history').textContent = '';
    $('#history').append(h('p.empty', {}, t('history.empty')));
    $('#history-count').textContent = '';
    $('#player').hidden = true;
  }

  function connectLog() {
    const source = new EventSource('/api/log');
    source.onopen = () => { banner(''); clearLog(); };
    source.onmessage = (m) => addLog(JSON.parse(m.data));
    source.onerror = () => banner('banner.lost');
  }

  // ---- start ------------------------------------------------------------------------------------------------------
  async function init() {
    const s = await api('/api/state');
    state.schema = s.schema;
    state.emulators = s.emulators;
    state.health = s.webhookHealth;
    state.crm = s.crm;
    renderCrm();
    if (s.crm.contacts.length) $('#crm-ring-number').value = s.crm.contacts[s.crm.contacts.length - 1].phones[0] || '';
    put($('#module-meta'), 'meta', s.module.version, Math.round(s.module.bytes / 1024), Math.round(s.module.evaluateMs + s.module.instantiateMs));
    $('#webhook-url').textContent = s.webhookUrl;
    $('#oktell-events').value = s.emulators.oktell.events;
    buildForm(s.schema, s.settings);
    setLang(langOf(s.settings.language));
    $('#dirty').hidden = s.saved;
    $('#btn-test').onclick = (ev) => busy(ev.currentTarget, testConnection);
    $('#btn-members').onclick = (ev) => busy(ev.currentTarget, loadMembers);
    $('#btn-save').onclick = (ev) => busy(ev.currentTarget, save);
    $('#btn-call').onclick = (ev) => busy(ev.currentTarget, call);
    $('#btn-sim-answered').onclick = (ev) => busy(ev.currentTarget, () => simulate('incoming-answered'));
    $('#btn-sim-missed').onclick = (ev) => busy(ev.currentTarget, () => simulate('incoming-missed'));
    $('#btn-crm-add').onclick = (ev) => busy(ev.currentTarget, addContact);
    $('#btn-crm-ring').onclick = (ev) => busy(ev.currentTarget, ringIn);
    $('#oktell-events').onchange = (ev) => api('/api/emulator', { oktellEvents: ev.target.value });
    $('#btn-clear').onclick = () => api('/api/log/clear', {}).then(clearLog);
    $('#btn-copy').onclick = () => navigator.clipboard && navigator.clipboard.writeText(s.webhookUrl);
    $('#log-webhooks-only').onchange = (ev) => $('#log').classList.toggle('webhooks-only', ev.target.checked);
    connectLog();
  }
  init().catch((e) => banner('banner.notLoaded', e.message));
})();
