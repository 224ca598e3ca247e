//! The settings' field table: the one machine-readable description of every field ([`FIELDS`]).
//!
//! [`FIELDS`] is the single source of truth: messages name a field by its label from here
//! ([`field`]), the sandbox renders its settings form from it (`settings_schema()` in the wasm API),
//! the `.e365` package declares the module's settings from it, and a test checks that the README's
//! settings table says the same. Reading and validating the values is [`crate::settings`]'s.

use crate::i18n::{common as m, Arg, Msg};
use crate::json::{Obj, ToJson};
use serde::Serialize;

/// Which PBX a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Used by both providers.
    All,
    /// Only for Oktell.
    Oktell,
    /// Only for the Rostelecom virtual PBX.
    Rostelecom,
}

/// The value type an admin declares for a field in ELMA365.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A one-line string.
    String,
    /// A secret string (shown masked; never echoed in messages).
    Secret,
    /// A multi-line string.
    Text,
    /// A number.
    Number,
    /// One of a fixed list of strings.
    Choice,
    /// An ELMA365 App («Приложение») bound to one app: not a value in `Namespace.params.data`,
    /// its app is reached as `Namespace.params.fields.<code>.app`.
    App,
}

/// One settings field as the admin declares it on the module.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// The fixed field code, read as `Namespace.params.data.<code>`.
    pub code: &'static str,
    /// The value type.
    pub kind: Kind,
    /// Which provider uses it.
    pub scope: Scope,
    /// The label in ELMA365's language.
    pub label: &'static str,
    /// Help text for the admin, in both languages (serialised as `help` in English and `helpRu`).
    #[serde(flatten)]
    pub help: Help,
    /// Whether the provider cannot work without it.
    pub required: bool,
    /// The value used when the field is empty.
    pub default: &'static str,
    /// An example value.
    pub example: &'static str,
    /// Allowed values, for [`Kind::Choice`].
    pub choices: &'static [&'static str],
    /// For [`Kind::App`], the app it is meant to be bound to, as `namespace.code`.
    pub app: &'static str,
}

/// A field's help text from the catalogue; serialised as `help` (English) and `helpRu`.
#[derive(Clone, Copy, Debug)]
pub struct Help(pub Msg);

impl Serialize for Help {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("help", self.0.en())?;
        map.serialize_entry("helpRu", &self.0.ru().text())?;
        map.end()
    }
}

const fn entry(code: &'static str, kind: Kind, scope: Scope, label: &'static str) -> Field {
    Field {
        code,
        kind,
        scope,
        label,
        help: Help(m::RAW),
        required: false,
        default: "",
        example: "",
        choices: &[],
        app: "",
    }
}

/// Every settings field, in the order the form shows them.
pub const FIELDS: &[Field] = &[
    Field {
        help: Help(m::HELP_PROVIDER),
        required: true,
        example: "rostelecom",
        choices: &["oktell", "rostelecom"],
        ..entry("provider", Kind::Choice, Scope::All, "АТС")
    },
    Field {
        help: Help(m::HELP_LANGUAGE),
        default: "ru",
        example: "en",
        choices: &["ru", "en"],
        ..entry("language", Kind::Choice, Scope::All, "Язык сообщений")
    },
    Field {
        help: Help(m::HELP_REQUEST_TIMEOUT_SEC),
        default: "10",
        example: "10",
        ..entry(
            "requestTimeoutSec",
            Kind::Number,
            Scope::All,
            "Таймаут запроса, с",
        )
    },
    Field {
        help: Help(m::HELP_COUNTRY_CODE),
        default: "7",
        example: "7",
        ..entry("countryCode", Kind::String, Scope::All, "Код страны")
    },
    Field {
        help: Help(m::HELP_WEBHOOK_SECRET),
        example: "s3cr3t-2f9a",
        ..entry(
            "webhookSecret",
            Kind::Secret,
            Scope::Oktell,
            "Секрет вебхука",
        )
    },
    Field {
        help: Help(m::HELP_OKTELL_URL),
        required: true,
        example: "http://192.168.0.1:4055",
        ..entry(
            "oktellUrl",
            Kind::String,
            Scope::Oktell,
            "Адрес сервера Oktell",
        )
    },
    Field {
        help: Help(m::HELP_OKTELL_LOGIN),
        example: "elma365",
        ..entry(
            "oktellLogin",
            Kind::String,
            Scope::Oktell,
            "Логин Web-API Oktell",
        )
    },
    Field {
        help: Help(m::HELP_OKTELL_PASSWORD),
        example: "",
        ..entry(
            "oktellPassword",
            Kind::Secret,
            Scope::Oktell,
            "Пароль Web-API Oktell",
        )
    },
    Field {
        help: Help(m::HELP_OKTELL_MEMBERS_SCRIPT),
        example: "ELMA365_Users",
        ..entry(
            "oktellMembersScript",
            Kind::String,
            Scope::Oktell,
            "Сценарий справочника сотрудников",
        )
    },
    Field {
        help: Help(m::HELP_OKTELL_MEMBERS),
        example: "ivanov;Иванов Иван;101",
        ..entry(
            "oktellMembers",
            Kind::Text,
            Scope::Oktell,
            "Справочник сотрудников",
        )
    },
    Field {
        help: Help(m::HELP_RT_API_URL),
        default: "https://api.cloudpbx.rt.ru",
        example: "https://api.cloudpbx.rt.ru",
        ..entry(
            "rtApiUrl",
            Kind::String,
            Scope::Rostelecom,
            "Адрес API ВАТС",
        )
    },
    Field {
        help: Help(m::HELP_RT_CLIENT_ID),
        required: true,
        example: "000003C405E6525C64C184258C44EC99",
        ..entry(
            "rtClientId",
            Kind::String,
            Scope::Rostelecom,
            "Код идентификации",
        )
    },
    Field {
        help: Help(m::HELP_RT_SIGN_KEY),
        required: true,
        example: "00000716ABDA6D4DFF10F82BCBBFC532",
        ..entry("rtSignKey", Kind::Secret, Scope::Rostelecom, "Ключ подписи")
    },
    Field {
        help: Help(m::HELP_RT_RECORD_IP),
        example: "203.0.113.10",
        ..entry(
            "rtRecordIp",
            Kind::String,
            Scope::Rostelecom,
            "IP для ссылок на записи",
        )
    },
    Field {
        help: Help(m::HELP_CRM_CONTACTS),
        app: "_clients._contacts",
        ..entry("crmContacts", Kind::App, Scope::All, "Контакты CRM")
    },
    Field {
        help: Help(m::HELP_CRM_COMPANIES),
        app: "_clients._companies",
        ..entry("crmCompanies", Kind::App, Scope::All, "Компании CRM")
    },
    Field {
        help: Help(m::HELP_CRM_PHONE_FIELD),
        default: "_phone",
        example: "_phone",
        ..entry(
            "crmPhoneField",
            Kind::String,
            Scope::All,
            "Поле телефона в CRM",
        )
    },
    Field {
        help: Help(m::HELP_CRM_RESPONSIBLE_FIELD),
        default: "_responsible",
        example: "responsible",
        ..entry(
            "crmResponsibleField",
            Kind::String,
            Scope::All,
            "Поле ответственного в CRM",
        )
    },
    Field {
        help: Help(m::HELP_ELMA_API_TOKEN),
        example: "8f0c1b2e-…",
        ..entry(
            "elmaApiToken",
            Kind::Secret,
            Scope::All,
            "API-токен ELMA365",
        )
    },
    Field {
        help: Help(m::HELP_ELMA_URL),
        example: "https://mycompany.elma365.ru",
        ..entry("elmaUrl", Kind::String, Scope::All, "Адрес ELMA365")
    },
    Field {
        help: Help(m::HELP_ELMA_MODULE_CODE),
        example: "ext_2f1c0d0e-5b7a-4c43-9a64-0a6f3c1d2e77",
        ..entry("elmaModuleCode", Kind::String, Scope::All, "Код модуля")
    },
    Field {
        help: Help(m::HELP_CRM_LOOKUP_MS),
        default: "1500",
        example: "1500",
        ..entry(
            "crmLookupMs",
            Kind::Number,
            Scope::All,
            "Время на поиск звонящего, мс",
        )
    },
];

/// Looks a field up by its code. Panics on an unknown code: codes are compile-time constants.
pub fn field_by_code(code: &str) -> &'static Field {
    FIELDS
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("unknown settings field {code}"))
}

/// A settings field as a message argument: its code and label, named per language by
/// [`Arg::Field`]. Panics on an unknown code, like [`field_by_code`].
pub fn field(code: &'static str) -> Arg {
    Arg::Field(code, field_by_code(code).label)
}

// serde's `rename_all = "lowercase"`.
crate::json::names! {
    Scope { All => "all", Oktell => "oktell", Rostelecom => "rostelecom" }
    Kind {
        String => "string",
        Secret => "secret",
        Text => "text",
        Number => "number",
        Choice => "choice",
        App => "app",
    }
}

/// As serde writes it, `help` flattened into `help` and `helpRu`.
impl ToJson for Field {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("code", self.code)
            .field("kind", &self.kind)
            .field("scope", &self.scope)
            .field("label", self.label)
            .field("help", self.help.0.en())
            .field("helpRu", &self.help.0.ru().text())
            .field("required", &self.required)
            .field("default", self.default)
            .field("example", self.example)
            .field("choices", self.choices)
            .field("app", self.app)
            .end();
    }
}
