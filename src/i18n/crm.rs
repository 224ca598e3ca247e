//! Messages of the caller lookup in ELMA365's CRM (crm.rs).

use super::catalogue;

catalogue! {
    /// Text as it came.
    RAW: "{0}", "{0}";
    HOST_FAILED:
        "the module's adapter to ELMA365's CRM data failed: {0}",
        "адаптер модуля к данным CRM ELMA365 дал сбой: {0}";
    NOT_APP:
        "is not an App field bound to an app that can be searched ({0}). Declare it with the type «Приложение» and bind it to the CRM app",
        "не является полем типа «Приложение», привязанным к приложению, в котором можно искать ({0}). Объявите его с типом «Приложение» и привяжите к приложению CRM";
    NO_FIELD:
        "names the field «{0}», which the app of {1} does not have. Set the field's code as in the app's settings",
        "указывает поле «{0}», которого нет в приложении {1}. Укажите код поля, как в настройках приложения";
    SEARCH_FAILED:
        "could not be searched for the caller: {0}",
        "не удалось найти в нём звонящего: {0}";
    USER_FAILED:
        "holds a responsible user who could not be read: {0}",
        "содержит ответственного, которого не удалось прочитать: {0}";
    API_TARGET: "the ELMA365 Web API at {0}", "Web API ELMA365 по адресу {0}";
    BINDINGS_BAD:
        "{0} with «{1}» instead of the bindings of PBX members to users",
        "{0}: «{1}» вместо сопоставления сотрудников АТС и пользователей";
    NEED_URL:
        "is empty, and the webhook URL that would show ELMA365's address is not known yet: set the address, e.g. https://mycompany.elma365.ru, or save the module's settings so that ELMA365 hands over the webhook URL",
        "не заполнено, а адрес вебхука, из которого он виден, ещё неизвестен: укажите адрес, например https://mycompany.elma365.ru, или сохраните настройки модуля, чтобы ELMA365 передала адрес вебхука";
    NEED_MODULE:
        "is empty, and the webhook URL does not show the module's code: set it as ext_<uuid>, as in the module's address in ELMA365 (and {0} if ELMA365 is reached at another address)",
        "не заполнено, а из адреса вебхука код модуля не виден: укажите его как ext_<uuid>, как в адресе модуля в ELMA365 (и {0}, если ELMA365 доступна по другому адресу)";
    BUDGET:
        "was exceeded: the caller lookup took longer than {0} ms, so the PBX was answered without what was still unknown. Check that ELMA365's searches are fast, or raise it",
        "превышено: поиск звонящего занял больше {0} мс, и АТС получила ответ без того, что ещё не было известно. Проверьте скорость поиска в ELMA365 или увеличьте значение";
    PROBE_BUDGET:
        "was exceeded: a probe search of {1} took longer than {0} ms, so calls would be answered without the caller's name. Check that ELMA365's searches are fast, or raise it",
        "превышено: пробный поиск в {1} занял больше {0} мс, и на звонки модуль отвечал бы без имени звонящего. Проверьте скорость поиска в ELMA365 или увеличьте значение";
    NO_APPS:
        "no CRM app (neither {0} nor {1} is bound to an app)",
        "ни одного приложения CRM (ни {0}, ни {1} не привязано к приложению)";
    MAP_BINDINGS:
        "ELMA365's «Настроить» mapping has {0} bindings, {1} of them to users of this PBX",
        "в сопоставлении «Настроить» ELMA365 привязок: {0}, из них к сотрудникам этой АТС: {1}";
    MAP_DIRECTORY:
        "without {0}, managers are matched to the PBX's {1} users by e-mail or work phone",
        "без {0} менеджеры сопоставляются с пользователями АТС ({1}) по e-mail или рабочему телефону";
    NO_ROUTING:
        "calls are not routed to managers ({0} is declared empty)",
        "звонки не направляются менеджерам ({0} объявлено пустым)";
    LAST_FAILED:
        " The last lookup failed: {0}",
        " Последний поиск не удался: {0}";
    PROBE_OK:
        " Caller lookup: searches {0}; {1}.{2}",
        " Поиск звонящего: ищет в {0}; {1}.{2}";
}
