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
}
