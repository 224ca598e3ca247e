//! Messages of Oktell.

use super::catalogue;

catalogue! {
    TARGET: "the Oktell server at {0}", "сервер Oktell {0}";
    AUTH_HINT_NONE:
        "{0} and {1}: Oktell wants credentials (a Web-API user with «исполнение методов Web-API», or the QueryWebServerPassword)",
        "{0} и {1}: Oktell требует учётные данные (пользователя Web-API с привилегией «исполнение методов Web-API» или пароль QueryWebServerPassword)";
    AUTH_HINT_PASSWORD:
        "{0} (sent as password=, it must equal QueryWebServerPassword); or set {1} to use a Web-API user",
        "{0} (передаётся как password= и должен совпадать с QueryWebServerPassword) или заполните {1}, чтобы входить пользователем Web-API";
    AUTH_HINT_BASIC:
        "{0} and {1} (the user needs the «исполнение методов Web-API» privilege)",
        "{0} и {1} (пользователю нужна привилегия «исполнение методов Web-API»)";
    AUTH_DETAIL: "HTTP {0} on {1}", "HTTP {0} на {1}";

    // «Проверить соединение» (mod.rs): the summary, then the directory, then a warning.
    TEST_CONNECTED: "Connected to {0}: licence reg. serial {1}", "Соединение установлено: {0}, рег. номер лицензии {1}";
    TEST_OK: "{0}; {1}.", "{0}; {1}.";
    TEST_STATIC: "static directory in {0}: {1} users", "справочник из поля {0}, сотрудников: {1}";
    TEST_SCRIPT: "directory script {0}: {1} users", "справочник из сценария {0}, сотрудников: {1}";
    TEST_NO_DIRECTORY: "no user directory yet: set {0} or {1}", "справочника сотрудников пока нет: заполните {0} или {1}";

    // The user directory (mod.rs, members.rs).
    MEMBERS_UNUSABLE: "has an unusable {0}: fix that line", "содержит ошибку: {0} — исправьте её";
    MEMBERS_NONE:
        "is empty, and so is {0}: set the name of an Oktell service script that returns the user directory (see README, «Oktell: the user directory»), or type the users into {0}, one login;name[;number] per line",
        "не заполнено, как и {0}: укажите имя служебного сценария Oktell, возвращающего справочник сотрудников (см. README, «Oktell: the user directory»), или перечислите сотрудников в {0} строками вида логин;имя[;номер]";
    DIR_JSON_BAD: "the JSON array does not parse ({0})", "JSON-массив не разбирается ({0})";
    DIR_NO_LOGIN: "item {0} of the JSON array has no \"login\"", "в элементе {0} JSON-массива нет \"login\"";
    DIR_LINE_BAD: "line {0} «{1}» is not login;name[;number]", "строка {0} «{1}» не в формате логин;имя[;номер]";
    SCRIPT: "The directory script set in {0} {1}", "{0}: сценарий {1}";
    SCRIPT_UNUSABLE: "returned an unusable answer: {0}.", "вернул непригодный ответ: {0}.";
    SCRIPT_FAILED:
        "failed in Oktell: {0} «{1}». Check that the service script exists, is published and runs without errors.",
        "не выполнился в Oktell ({0} «{1}»). Проверьте, что служебный сценарий существует, опубликован и работает без ошибок.";
    SCRIPT_EMPTY_EXEC:
        "returned nothing, and execsvcscript gave {0} «{1}».",
        "ничего не вернул, а ответ на execsvcscript: {0} «{1}».";
    SCRIPT_NOT_STARTED:
        "returned nothing: Oktell did not start it (execsvcscript says started=0). Check the script's name and that it is published as a service script.",
        "ничего не вернул: Oktell его не запустил (execsvcscript: started=0). Проверьте имя сценария и что он опубликован как служебный.";
    SCRIPT_NO_VALUE:
        "returned nothing: it ran, but set no «Возвращаемое значение 1». See README, «Oktell: the user directory».",
        "ничего не вернул: он выполнился, но не задал «Возвращаемое значение 1». См. README, «Oktell: the user directory».";

    // XML answers (xml.rs).
    XML_UNREADABLE: "Oktell answered execsvcscript with unreadable XML ({0}).", "Oktell ответил на execsvcscript нечитаемым XML ({0}).";
    XML_MALFORMED: "malformed XML near byte {0}", "ошибка в XML около байта {0}";
    XML_ROOT: "the root element is <{0}>, not <oktellxmlmapper>", "корневой элемент <{0}>, а не <oktellxmlmapper>";
    XML_NO_MAPPER: "no <oktellxmlmapper> element", "нет элемента <oktellxmlmapper>";
    XML_UNFINISHED: "the document ends inside an element", "документ обрывается внутри элемента";

    // Answers that are not Oktell's (the detail of a not-the-PBX error).
    NOT_OKTELL: "{0} gave {1} «{2}»", "ответ на {0}: {1} «{2}»";
    NOT_SERIAL:
        "getlicenseinfo?detail=regserial gave {0} «{1}» instead of a licence serial",
        "ответ на getlicenseinfo?detail=regserial: {0} «{1}» вместо рег. номера лицензии";

    // Click-to-call (mod.rs).
    CALL_NO_USER:
        "VoipGenerateCall got no employee (srcPhone is empty): map the ELMA365 user to an Oktell login in «Настроить».",
        "VoipGenerateCall не получил сотрудника (srcPhone пуст): сопоставьте пользователя ELMA365 с логином Oktell в «Настроить».";
    CALL_BAD_NUMBER:
        "VoipGenerateCall got «{0}» as the number to call, which is not a phone number.",
        "VoipGenerateCall получил «{0}» как номер для звонка, но это не номер телефона.";
    CALL_REFUSED:
        "Oktell could not start the call for user «{0}» to {1}{2}. Check that «{0}» is an Oktell login (the member id from «Настроить») and that the user's phone line is registered and free.",
        "Oktell не смог начать звонок пользователя «{0}» на {1}{2}. Проверьте, что «{0}» — логин Oktell (id сотрудника из «Настроить») и что его телефонная линия зарегистрирована и свободна.";

    // Recordings (link.rs).
    LINK_NO_RECORD:
        "There is no recording to play for this call: Oktell sent none. Oktell's native CRM events carry no recording; make the Oktell scenario send the recording's path or URL as «record» with the hangup of the scenario webhook (see README, «Oktell: recordings»).",
        "Для этого звонка нет записи: Oktell её не передал. Штатные CRM-события Oktell записей не содержат; настройте сценарий Oktell, чтобы при завершении звонка он передавал путь или URL записи в параметре «record» через вебхук сценария (см. README, «Oktell: recordings»).";
    LINK_CREDENTIALS:
        "The recording link for this call carries credentials (a password or a login:password@ part), so the module does not hand it to the browser. Make the Oktell scenario send a link without credentials, e.g. to a playback path that needs none (see README, «Oktell: recordings»).",
        "Ссылка на запись этого звонка содержит учётные данные (пароль или часть login:password@), поэтому модуль не передаёт её браузеру. Настройте сценарий Oktell, чтобы он передавал ссылку без учётных данных, например на путь воспроизведения без авторизации (см. README, «Oktell: recordings»).";
}
