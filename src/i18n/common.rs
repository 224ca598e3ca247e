//! Messages of both providers: the error kinds, the settings, the engine and the webhook health.

use super::catalogue;

catalogue! {
    /// Foreign text quoted as it came.
    RAW: "{0}", "{0}";

    // The error kinds (error.rs): what failed, which setting, what to check.
    ERR_SETTING: "{0} {1}", "{0}: {1}";
    ERR_UNREACHABLE:
        "Cannot reach {0}: {1}. Check {2} (host name and port) and that this ELMA365 server can reach it through firewalls.",
        "Нет связи: {0} ({1}). Проверьте {2} (имя хоста и порт) и что сервер ELMA365 может до него достучаться через сетевые экраны.";
    ERR_TIMEOUT:
        "No answer from {0} within {1} s. Check that the server is up and not overloaded, or raise {2}.",
        "Нет ответа за {1} с: {0}. Проверьте, что сервер работает и не перегружен, или увеличьте {2}.";
    ERR_TLS:
        "TLS failure talking to {0}: {1}. Check the server's certificate (expired, self-signed, or issued by a CA this ELMA365 server does not trust, such as the Russian Trusted CA) or use the right scheme in {2}.",
        "Ошибка TLS: {0} ({1}). Проверьте сертификат сервера (истёк, самоподписанный или выдан центром, которому сервер ELMA365 не доверяет, например Russian Trusted CA) или схему (http/https) в {2}.";
    ERR_AUTH:
        "{0} rejected the credentials ({1}). Check {2}.",
        "Учётные данные отклонены: {0} ({1}). Проверьте {2}.";
    ERR_NOT_PBX:
        "{0} answered, but not like the PBX would ({1}). Check that {2} points at the right service and port.",
        "Ответ не похож на ответ АТС: {0} ({1}). Проверьте, что {2} указывает на нужную службу и порт.";
    ERR_STORAGE_READ:
        "The ELMA365 module storage (Namespace.storage) failed to read: {0}. This is the ELMA365 server's side, not the PBX: check the server's storage and logs.",
        "Хранилище модуля ELMA365 (Namespace.storage) не смогло прочитать данные: {0}. Это сторона сервера ELMA365, а не АТС: проверьте хранилище и журналы сервера.";
    ERR_STORAGE_WRITE:
        "The ELMA365 module storage (Namespace.storage) failed to write: {0}. This is the ELMA365 server's side, not the PBX: check the server's storage and logs.",
        "Хранилище модуля ELMA365 (Namespace.storage) не смогло записать данные: {0}. Это сторона сервера ELMA365, а не АТС: проверьте хранилище и журналы сервера.";
    ERR_MODULE:
        "Internal error in the elma365-voip module {0} (not a network or PBX problem): {1}. Please report it with this text.",
        "Внутренняя ошибка модуля elma365-voip {0} (не сеть и не АТС): {1}. Сообщите о ней разработчикам, приложив этот текст.";
    MODULE_WHILE: "while talking to {0}: {1}", "при обращении к адресату «{0}»: {1}";
    MODULE_UNKNOWN_CALL:
        "The module shim sent an unknown call: {0}",
        "Оболочка модуля передала неизвестный вызов: {0}";
    ANSWER_TOO_LARGE:
        "its answer to {0} is too large: {1} bytes, over the limit of {2} bytes (1 MB)",
        "ответ на {0} слишком велик: {1} байт при пределе {2} байт (1 МБ)";
    STATUS_HTTP: "HTTP {0}", "HTTP {0}";
    STATUS_NONE_OK: "a success without a status code", "успех без кода статуса";
    STATUS_NONE_ERROR:
        "an error without a status code (the host's fetch gives only `ok`)",
        "ошибка без кода статуса (fetch сервера ELMA365 сообщает только `ok`)";
    AND: "{0} and {1}", "{0} и {1}";

    LOOKUP_BROKEN:
        "{1} But the caller lookup in ELMA365's CRM cannot work: {0}",
        "{1} Но поиск звонящего в CRM ELMA365 не может работать: {0}";

    // Settings (settings.rs).
    SET_PROVIDER_EMPTY: "is empty: choose oktell or rostelecom", "не заполнено: выберите oktell или rostelecom";
    SET_PROVIDER_BAD: "is «{0}»: expected oktell or rostelecom", "имеет значение «{0}», а нужно oktell или rostelecom";
    SET_LANGUAGE_BAD: "is «{0}»: expected ru or en", "имеет значение «{0}», а нужно ru или en";
    SET_TIMEOUT_BAD:
        "is «{0}»: expected a whole number of seconds from 1 to 60",
        "имеет значение «{0}», а нужно целое число секунд от 1 до 60";
    SET_COUNTRY_BAD: "is «{0}»: expected 1 to 3 digits, e.g. 7", "имеет значение «{0}», а нужно от 1 до 3 цифр, например 7";
    SET_OKTELL_URL_EMPTY:
        "is empty: set the Oktell web server address, e.g. http://192.168.0.1:4055",
        "не заполнено: укажите адрес веб-сервера Oktell, например http://192.168.0.1:4055";
    SET_CODE_BAD:
        "is «{0}»: expected a field code (Latin letters, digits and _), e.g. _phone",
        "имеет значение «{0}», а нужен код поля (латинские буквы, цифры и _), например _phone";
    SET_MODULE_CODE_BAD:
        "is «{0}»: expected the module's code ext_<uuid>, as in its address in ELMA365",
        "имеет значение «{0}», а нужен код модуля ext_<uuid>, как в его адресе в ELMA365";
    SET_LOOKUP_MS_BAD:
        "is «{0}»: expected a whole number of milliseconds from 100 to 10000",
        "имеет значение «{0}», а нужно целое число миллисекунд от 100 до 10000";
    SET_LOGIN_COLON:
        "contains «:», which HTTP Basic auth cannot carry",
        "содержит «:», а HTTP Basic-аутентификация не может его передать";
    SET_CLIENT_ID_EMPTY:
        "is empty: copy «Уникальный код идентификации» from the Rostelecom personal account",
        "не заполнено: скопируйте «Уникальный код идентификации» из личного кабинета ВАТС Ростелеком";
    SET_SIGN_KEY_EMPTY:
        "is empty: copy «Уникальный ключ для подписи» from the Rostelecom personal account",
        "не заполнено: скопируйте «Уникальный ключ для подписи» из личного кабинета ВАТС Ростелеком";
    SET_NOT_ASCII:
        "contains spaces or non-ASCII characters: copy it again from the personal account",
        "содержит пробелы или не-ASCII символы: скопируйте значение из личного кабинета заново";
    SET_IP_BAD:
        "is «{0}»: expected an IPv4 address such as 203.0.113.10, or leave it empty",
        "имеет значение «{0}», а нужен IPv4-адрес, например 203.0.113.10, или пустое поле";
    SET_URL_BAD: "is «{0}»: {1}", "имеет значение «{0}»: {1}";
    SET_URL_SCHEME: "it must start with http:// or https://", "адрес должен начинаться с http:// или https://";
    SET_URL_CREDENTIALS:
        "contains credentials: put them into the login and password fields, not into the URL",
        "содержит учётные данные: укажите их в полях логина и пароля, а не в адресе";
    SET_URL_HOST: "the host name is missing or has invalid characters", "имя хоста пустое или содержит недопустимые символы";
    SET_URL_PORT: "the port must be a number from 1 to 65535", "порт должен быть числом от 1 до 65535";
    SET_URL_QUERY: "remove the query string", "уберите строку запроса (всё после «?»)";
    SET_URL_PATH:
        "give only scheme, host and port, without a path",
        "укажите только схему, хост и порт, без пути";

    // The engine (engine.rs).
    UNBOUNDED_NOTE:
        " Also: this ELMA365 server cannot bound requests in time (no setTimeout, no AbortSignal.timeout).",
        " Кроме того, сервер ELMA365 не умеет ограничивать запросы по времени (нет setTimeout и AbortSignal.timeout).";
    UNBOUNDED_TEST:
        "The PBX answers, but requests to it cannot be bounded in time on this ELMA365 server: its scripts have no setTimeout and no AbortSignal.timeout. {0} is only passed to the host's fetch as its `timeout` option, which it may ignore, so a PBX that stops answering would hang click-to-call and webhooks. Ask the ELMA365 administrator for timers in scripts. What was reached: {1}",
        "АТС отвечает, но на этом сервере ELMA365 запросы к ней нельзя ограничить по времени: в сценариях нет setTimeout и AbortSignal.timeout. {0} передаётся fetch сервера лишь как параметр `timeout`, который тот может не учитывать, поэтому зависшая АТС заблокирует звонки из карточки и вебхуки. Попросите администратора ELMA365 включить таймеры в сценариях. Что удалось проверить: {1}";
    NOT_FOR_PROVIDER: "{0} is not implemented for {1}.", "{0} не поддерживается для {1}.";

    // Webhook health, in «Проверить соединение» (engine.rs, health.rs).
    HEALTH_REJECTED:
        "The PBX reaches the webhook, but its last request ({0}, {1} ago) was refused: {2} No request was accepted after it, so no call reaches ELMA365. Fix {3}, then make a test call. What was reached: {4}",
        "АТС обращается к вебхуку, но её последний запрос ({0}, {1} назад) отклонён: {2} После него ни один запрос не принят, поэтому звонки не попадают в ELMA365. Исправьте {3} и сделайте пробный звонок. Что удалось проверить: {4}";
    NO_SECRET:
        "The PBX answers, but {0} is empty, so the webhook takes call events from anyone who knows its URL. Set a secret and send it from Oktell (the token field or the Basic-auth password, see README «Oktell: the webhook secret»). What was reached: {1}",
        "АТС отвечает, но {0} не заполнен, и вебхук принимает события звонков от любого, кто знает его адрес. Задайте секрет и передавайте его из Oktell (поле token или пароль Basic-аутентификации, см. README, «Секрет вебхука»). Что удалось проверить: {1}";
    HEALTH_ACCEPTED: " Webhook: the last request ({0}) was accepted {1} ago.", " Вебхук: последний запрос ({0}) принят {1} назад.";
    HEALTH_ACCEPTED_OLD:
        " Webhook: the last request ({0}) was accepted {1} ago; a request was refused after it ({2}, {3} ago: {4}).",
        " Вебхук: последний запрос ({0}) принят {1} назад; после него был отклонён запрос ({2}, {3} назад: {4}).";
    HEALTH_STALE_REJECT:
        " Webhook: the last request ({0}, {1} ago) was refused: {2}",
        " Вебхук: последний запрос ({0}, {1} назад) был отклонён: {2}";
    HEALTH_NO_URL:
        " Webhook: ELMA365 has not given the module its webhook URL yet (VoipOnWebhookUpdated was never called): save the telephony settings, then point the PBX at the URL ELMA365 shows.",
        " Вебхук: ELMA365 ещё не сообщила модулю адрес вебхука (VoipOnWebhookUpdated не вызывалась): сохраните настройки телефонии и укажите в АТС адрес, который показывает ELMA365.";
    HEALTH_NEVER:
        " Webhook: no request from the PBX has arrived yet at {0}: point the PBX at this URL, then make a test call.",
        " Вебхук: от АТС ещё не пришло ни одного запроса на {0}: укажите этот адрес в АТС и сделайте пробный звонок.";
    HEALTH_UNREADABLE:
        " Webhook: its state could not be read from the module storage ({0}).",
        " Вебхук: его состояние не удалось прочитать из хранилища модуля ({0}).";
    AGO_SECONDS: "{0} s", "{0} с";
    AGO_MINUTES: "{0} min", "{0} мин";
    AGO_HOURS: "{0} h", "{0} ч";
    AGO_DAYS: "{0} d", "{0} дн.";
    KIND_CALL_EVENT: "a call event", "событие звонка";
    KIND_NUMBER_INFO: "a number lookup", "запрос информации о номере";
    KIND_CRM: "a CRM request", "запрос CRM";
    KIND_SCENARIO: "a scenario call", "запрос сценария";
    KIND_UNKNOWN: "a request", "запрос";

    // The reasons a webhook request is refused, as the health trace keeps them.
    WHY_SIGNATURE:
        "its X-Client-Sign signature does not match: the key in {0} differs from the personal account's «Уникальный ключ для подписи».",
        "подпись X-Client-Sign не совпадает: ключ в {0} отличается от «Уникального ключа для подписи» в личном кабинете.";
    WHY_NO_SIGNATURE:
        "it carries no X-Client-Sign signature: check that the PBX posts to this URL as the Rostelecom API, not something else.",
        "в нём нет подписи X-Client-Sign: проверьте, что на этот адрес обращается API ВАТС Ростелеком, а не что-то другое.";
    WHY_CLIENT_ID:
        "its X-Client-ID is not the one in {0}: the PBX of another account posts here.",
        "его X-Client-ID не совпадает с {0}: сюда обращается АТС другого личного кабинета.";
    WHY_SECRET_MISSING:
        "it carries no webhook secret, but {0} is set: add it to the PBX's request (the token field or the Basic-auth password).",
        "в нём нет секрета вебхука, а {0} задан: добавьте его в запрос АТС (поле token или пароль Basic-аутентификации).";
    WHY_SECRET_WRONG:
        "its webhook secret differs from {0}.",
        "его секрет вебхука не совпадает с {0}.";
    WHY_MALFORMED:
        "the module could not use it and answered HTTP {0} «{1}».",
        "модуль не смог его разобрать и ответил HTTP {0} «{1}».";
    FIX_PBX:
        "the webhook request in the PBX (see README)",
        "настройку запроса к вебхуку в АТС (см. README)";

    // The settings fields' help (settings.rs FIELDS: the sandbox form and the READMEs' tables).
    HELP_PROVIDER:
        "Which PBX this module talks to: oktell or rostelecom.",
        "С какой АТС работает модуль: oktell или rostelecom.";
    HELP_LANGUAGE:
        "Language of the module's messages to the admin: ru (Russian) or en (English).",
        "Язык сообщений модуля администратору: ru (русский) или en (английский).";
    HELP_REQUEST_TIMEOUT_SEC:
        "Timeout in seconds for every request to the PBX (1 to 60).",
        "Таймаут каждого запроса к АТС в секундах (от 1 до 60).";
    HELP_COUNTRY_CODE:
        "Country calling code used to normalise national numbers (8XXXXXXXXXX and 10-digit numbers for 7).",
        "Код страны для приведения национальных номеров (8XXXXXXXXXX и 10-значные номера при коде 7).";
    HELP_WEBHOOK_SECRET:
        "Shared secret Oktell must send to the webhook (token field or Basic-auth password). Empty = no check.",
        "Общий секрет, который Oktell должна передавать вебхуку (поле token или пароль Basic-аутентификации). Пусто — без проверки.";
    HELP_OKTELL_URL:
        "Base URL of the Oktell server's web API: scheme, host and optional port, no path.",
        "Базовый адрес веб-API сервера Oktell: схема, хост и необязательный порт, без пути.";
    HELP_OKTELL_LOGIN:
        "Oktell user with the «исполнение методов Web-API» privilege, for HTTP Basic auth. Empty = legacy password= mode.",
        "Пользователь Oktell с привилегией «исполнение методов Web-API» для HTTP Basic-аутентификации. Пусто — устаревший режим password=.";
    HELP_OKTELL_PASSWORD:
        "Password of that user; without a login it is sent as the legacy password= query parameter.",
        "Пароль этого пользователя; без логина передаётся устаревшим параметром запроса password=.";
    HELP_OKTELL_MEMBERS_SCRIPT:
        "Name of the Oktell service script that returns the user directory (see README).",
        "Имя служебного сценария Oktell, возвращающего справочник пользователей (см. README).";
    HELP_OKTELL_MEMBERS:
        "Static user directory when there is no script: one login;name[;number] per line.",
        "Статический справочник пользователей, если сценария нет: по строке login;имя[;номер].";
    HELP_RT_API_URL:
        "Rostelecom API base URL; the test host is https://api-test.cloudpbx.rt.ru.",
        "Базовый адрес API Ростелеком; тестовый хост — https://api-test.cloudpbx.rt.ru.";
    HELP_RT_CLIENT_ID:
        "«Уникальный код идентификации» from the personal account (sent as X-Client-ID).",
        "«Уникальный код идентификации» из личного кабинета (передаётся в X-Client-ID).";
    HELP_RT_SIGN_KEY:
        "«Уникальный ключ для подписи» from the personal account (signs and verifies X-Client-Sign).",
        "«Уникальный ключ для подписи» из личного кабинета (подписывает и проверяет X-Client-Sign).";
    HELP_RT_RECORD_IP:
        "Optional IPv4 sent as ip_adress in get_record: Rostelecom binds a recording link to that address.",
        "Необязательный IPv4, передаваемый как ip_adress в get_record: Ростелеком привязывает ссылку на запись к этому адресу.";
    HELP_CRM_CONTACTS:
        "App field bound to the CRM's «Контакты»: the caller lookup searches it first by the caller's number.",
        "Поле типа «Приложение», привязанное к «Контактам» CRM: поиск звонящего по номеру идёт сначала здесь.";
    HELP_CRM_COMPANIES:
        "App field bound to the CRM's «Компании»: searched when no contact has the caller's number.",
        "Поле типа «Приложение», привязанное к «Компаниям» CRM: поиск идёт здесь, если контакта с номером нет.";
    HELP_CRM_PHONE_FIELD:
        "Code of the phone field in those apps.",
        "Код поля телефона в этих приложениях.";
    HELP_CRM_RESPONSIBLE_FIELD:
        "Code of the responsible-user field: a known client's call is routed to that manager. Declared but empty = never route.",
        "Код поля ответственного: звонок известного клиента направляется этому менеджеру. Поле объявлено, но пусто — не направлять.";
    HELP_ELMA_API_TOKEN:
        "ELMA365 API token of an admin: reads the «Настроить» mapping of PBX members to users through the public Web API.",
        "API-токен администратора ELMA365: читает сопоставление «Настроить» сотрудников АТС и пользователей через публичный Web API.";
    HELP_ELMA_URL:
        "ELMA365 address for the Web API, when the webhook URL does not show it.",
        "Адрес ELMA365 для Web API, если его не видно из адреса вебхука.";
    HELP_ELMA_MODULE_CODE:
        "The module's code, ext_<uuid>, when the webhook URL does not show it.",
        "Код модуля, ext_<uuid>, если его не видно из адреса вебхука.";
    HELP_CRM_LOOKUP_MS:
        "Time the caller lookup may take before the PBX is answered without it, in ms (100 to 10000).",
        "Сколько может длиться поиск звонящего, прежде чем АТС получит ответ без него, в мс (от 100 до 10000).";
}
