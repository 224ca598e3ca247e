//! Messages of the Rostelecom virtual PBX.

use super::catalogue;

catalogue! {
    /// The provider's name, as `common::NOT_FOR_PROVIDER` puts it.
    NAME: "Rostelecom", "ВАТС Ростелеком";
    TARGET: "the Rostelecom virtual PBX API at {0}", "API ВАТС Ростелеком {0}";
    CONNECTED:
        "Connected to {0}: the signature was accepted; {1} users, {2} groups.",
        "Соединение установлено: {0}. Подпись принята; пользователей: {1}, групп: {2}.";
    AUTH_DETAIL: "HTTP {0} on {1}", "HTTP {0} на {1}";
    AUTH_DETAIL_SAID: "HTTP {0} on {1}: {2}", "HTTP {0} на {1}: {2}";
    AUTH_DETAIL_RESULT: "result {0} on {1}: {2}", "result {0} на {1}: {2}";
    NOT_JSON_RESULT:
        "{0} on {1} with «{2}» instead of a JSON result",
        "{0} на {1}: «{2}» вместо результата в JSON";
    REFUSED: "The Rostelecom PBX refused {0}: result {1}", "ВАТС Ростелеком отказала в {0}: result {1}";
    REFUSED_SAID:
        "The Rostelecom PBX refused {0}: result {1}, «{2}»",
        "ВАТС Ростелеком отказала в {0}: result {1}, «{2}»";

    // Click-to-call (calls.rs): VoipGenerateCall's srcPhone and dstPhone, then call_back.
    BAD_CALLER:
        "Click-to-call: srcPhone «{0}» is not a Rostelecom employee: expected the employee's PIN (an extension of up to {1} digits, as in the user mapping) or a SIP address user@domain.",
        "Звонок из карточки: srcPhone «{0}» — не сотрудник ВАТС Ростелеком: нужен PIN сотрудника (внутренний номер до {1} цифр, как в сопоставлении пользователей) или SIP-адрес user@domain.";
    BAD_CALLEE:
        "Click-to-call: dstPhone «{0}» is not a phone number the PBX can dial (expected e.g. +79161234567, 8 916 123-45-67 or an extension).",
        "Звонок из карточки: dstPhone «{0}» — не номер, который АТС может набрать (нужен, например, +79161234567, 8 916 123-45-67 или внутренний номер).";
    CALL_FAILED:
        "Click-to-call from {0} to {1} failed: {2}. Check that {0} is an employee of this domain with a working phone, and that {1} may be dialled.",
        "Звонок из карточки не удался ({0} → {1}): {2}. Проверьте, что {0} — сотрудник этого домена с работающим телефоном и что номер {1} разрешено набирать.";
    CALL_TIMED_OUT:
        "Click-to-call from {0} to {1}: {2} The request was not repeated, because a repeat could ring the client twice; the call may still go through.",
        "Звонок из карточки ({0} → {1}): {2} Запрос не повторялся, так как повтор мог бы дважды позвонить клиенту; звонок ещё может состояться.";

    // Recordings (calls.rs): VoipGetCallLink and get_record.
    BAD_CALL_DATA:
        "VoipGetCallLink got call data it cannot use: «{0}». Expected the call record's data {\"provider\":\"rostelecom\",\"sessionId\":\"…\"} as this module stored it.",
        "VoipGetCallLink: непригодные данные звонка «{0}». Нужны данные записи звонка {\"provider\":\"rostelecom\",\"sessionId\":\"…\"} в том виде, в каком их сохранил модуль.";
    OTHER_PROVIDER:
        "VoipGetCallLink: this call was recorded by the {0} integration, not by the Rostelecom one this module is set to.",
        "VoipGetCallLink: этот звонок записан интеграцией {0}, а модуль настроен на ВАТС Ростелеком.";
    NO_RECORD:
        "No recording (yet) for session {0}: {1}. The file can lag behind the end of the call, so try again later; if it never appears, check that this employee's calls are recorded in the Rostelecom personal account.",
        "Записи (пока) нет для сессии {0}: {1}. Файл может появиться не сразу после звонка: повторите позже; если он так и не появится, проверьте в личном кабинете ВАТС Ростелеком, что звонки этого сотрудника записываются.";
    RECORD_NO_LINK: "the PBX answered get_record without a link", "АТС ответила на get_record без ссылки";
    RECORD_RESULT: "the PBX answered get_record with result {0}", "АТС ответила на get_record: result {0}";
    RECORD_RESULT_SAID:
        "the PBX answered get_record with result {0}, «{1}»",
        "АТС ответила на get_record: result {0}, «{1}»";
}
