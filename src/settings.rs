//! Module settings: reading and validating `Namespace.params.data` into [`Settings`], by the field
//! table in [`crate::fields`] (codes, kinds, defaults).

use crate::error::VoipError;
use crate::fields::field_by_code;
use crate::i18n::{common as m, t, Lang};
use serde_json::{Map, Value};

/// Whether `s` is a UUID in its canonical text form (8-4-4-4-12 hex digits).
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The PBX the module is configured for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Oktell's server web API.
    Oktell,
    /// The Rostelecom virtual PBX.
    Rostelecom,
}

/// How the module authenticates to Oktell's web API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OktellAuth {
    /// No credentials.
    None,
    /// The legacy `password=` query parameter.
    QueryPassword(String),
    /// HTTP Basic as a Web-API user.
    Basic {
        /// The login.
        login: String,
        /// The password (may be empty).
        password: String,
    },
}

/// Oktell's settings, validated.
#[derive(Clone, Debug)]
pub struct OktellSettings {
    /// Base URL without a trailing slash.
    pub url: String,
    /// The auth mode.
    pub auth: OktellAuth,
    /// Directory service script name, if set.
    pub members_script: Option<String>,
    /// Static directory text, if set.
    pub members: Option<String>,
}

/// The Rostelecom settings, validated.
#[derive(Clone, Debug)]
pub struct RostelecomSettings {
    /// API base URL without a trailing slash.
    pub api_url: String,
    /// X-Client-ID.
    pub client_id: String,
    /// The signing key.
    pub sign_key: String,
    /// Optional IPv4 for `get_record`.
    pub record_ip: Option<String>,
}

/// All settings, validated for the chosen provider.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The provider.
    pub provider: Provider,
    /// The language of admin-facing messages.
    pub lang: Lang,
    /// Per-request timeout in seconds.
    pub timeout_sec: u32,
    /// Country calling code (digits).
    pub country_code: String,
    /// Webhook secret (Oktell), if set.
    pub webhook_secret: Option<String>,
    /// Oktell settings, when the provider is Oktell.
    pub oktell: Option<OktellSettings>,
    /// Rostelecom settings, when the provider is Rostelecom.
    pub rostelecom: Option<RostelecomSettings>,
    /// The caller lookup in ELMA365's CRM (both providers).
    pub crm: CrmSettings,
}

/// The caller lookup's settings, validated (see [`crate::crm`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmSettings {
    /// The phone field's code in the CRM apps (`crmPhoneField`, default `_phone`).
    pub phone_field: String,
    /// The responsible-user field's code; `None` when declared empty: never route to a manager.
    pub responsible_field: Option<String>,
    /// The ELMA365 API token for the «Настроить» mapping (`elmaApiToken`), if set.
    pub api_token: Option<String>,
    /// ELMA365's address for the Web API (`elmaUrl`), if set; else derived from the webhook URL.
    pub elma_url: Option<String>,
    /// The module's code, `ext_<uuid>` (`elmaModuleCode`), if set; else derived from the webhook URL.
    pub module_code: Option<String>,
    /// How long a lookup may take before the PBX is answered without it (`crmLookupMs`).
    pub budget_ms: u32,
}

impl Default for CrmSettings {
    fn default() -> Self {
        CrmSettings {
            phone_field: "_phone".into(),
            responsible_field: Some("_responsible".into()),
            api_token: None,
            elma_url: None,
            module_code: None,
            budget_ms: 1500,
        }
    }
}

impl Settings {
    /// The Oktell part; only called on the Oktell path.
    pub fn oktell(&self) -> &OktellSettings {
        self.oktell
            .as_ref()
            .expect("oktell settings on the oktell path")
    }

    /// The Rostelecom part; only called on the Rostelecom path.
    pub fn rostelecom(&self) -> &RostelecomSettings {
        self.rostelecom
            .as_ref()
            .expect("rostelecom settings on the rostelecom path")
    }

    /// Every secret value in force, so that messages can be scrubbed of them.
    pub fn secrets(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(s) = &self.webhook_secret {
            out.push(s.as_str());
        }
        if let Some(o) = &self.oktell {
            match &o.auth {
                OktellAuth::QueryPassword(p) => out.push(p),
                OktellAuth::Basic { password, .. } => out.push(password),
                OktellAuth::None => {}
            }
        }
        if let Some(r) = &self.rostelecom {
            out.push(&r.sign_key);
        }
        if let Some(t) = &self.crm.api_token {
            out.push(t);
        }
        out.retain(|s| !s.is_empty());
        out
    }

    /// Parses and validates `Namespace.params.data` given as JSON text.
    pub fn from_json(text: &str) -> Result<Settings, VoipError> {
        Read::from_json(text).settings
    }

    /// Parses and validates a settings object.
    pub fn from_map(map: &Map<String, Value>) -> Result<Settings, VoipError> {
        let r = Reader { map };
        let provider = match r.text("provider").map(|p| p.to_ascii_lowercase()) {
            None => return Err(VoipError::setting("provider", t!(m::SET_PROVIDER_EMPTY))),
            Some(p) if p == "oktell" => Provider::Oktell,
            Some(p) if p == "rostelecom" || p == "rt" => Provider::Rostelecom,
            Some(p) => {
                return Err(VoipError::setting(
                    "provider",
                    t!(m::SET_PROVIDER_BAD, clip(&p)),
                ))
            }
        };
        let lang = language(map)?;
        let timeout_sec = match r.text("requestTimeoutSec") {
            None => 10,
            Some(t) => match t.parse::<u32>() {
                Ok(n) if (1..=60).contains(&n) => n,
                _ => {
                    return Err(VoipError::setting(
                        "requestTimeoutSec",
                        t!(m::SET_TIMEOUT_BAD, clip(&t)),
                    ))
                }
            },
        };
        let country_code = match r.text("countryCode") {
            None => "7".to_string(),
            Some(c) => {
                let c = c.trim_start_matches('+');
                if c.is_empty()
                    || c.len() > 3
                    || !c.bytes().all(|b| b.is_ascii_digit())
                    || c.starts_with('0')
                {
                    return Err(VoipError::setting(
                        "countryCode",
                        t!(m::SET_COUNTRY_BAD, clip(c)),
                    ));
                }
                c.to_string()
            }
        };
        let mut settings = Settings {
            provider,
            lang,
            timeout_sec,
            country_code,
            webhook_secret: r.raw_text("webhookSecret"),
            oktell: None,
            rostelecom: None,
            crm: crm_settings(&r)?,
        };
        match provider {
            Provider::Oktell => {
                let url = r
                    .text("oktellUrl")
                    .ok_or_else(|| VoipError::setting("oktellUrl", t!(m::SET_OKTELL_URL_EMPTY)))?;
                let url = validate_base_url("oktellUrl", &url, false)?;
                let password = r.raw_text("oktellPassword").unwrap_or_default();
                let auth = match r.text("oktellLogin") {
                    Some(login) => {
                        if login.contains(':') {
                            return Err(VoipError::setting("oktellLogin", t!(m::SET_LOGIN_COLON)));
                        }
                        OktellAuth::Basic { login, password }
                    }
                    None if !password.is_empty() => OktellAuth::QueryPassword(password),
                    None => OktellAuth::None,
                };
                settings.oktell = Some(OktellSettings {
                    url,
                    auth,
                    members_script: r.text("oktellMembersScript"),
                    members: r.text("oktellMembers"),
                });
            }
            Provider::Rostelecom => {
                let api_url = r
                    .text("rtApiUrl")
                    .unwrap_or_else(|| field_by_code("rtApiUrl").default.to_string());
                let api_url = validate_base_url("rtApiUrl", &api_url, true)?;
                let client_id = r
                    .text("rtClientId")
                    .ok_or_else(|| VoipError::setting("rtClientId", t!(m::SET_CLIENT_ID_EMPTY)))?;
                if !client_id.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(VoipError::setting("rtClientId", t!(m::SET_NOT_ASCII)));
                }
                let sign_key = r
                    .text("rtSignKey")
                    .ok_or_else(|| VoipError::setting("rtSignKey", t!(m::SET_SIGN_KEY_EMPTY)))?;
                if !sign_key.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(VoipError::setting("rtSignKey", t!(m::SET_NOT_ASCII)));
                }
                let record_ip = r.text("rtRecordIp");
                if let Some(ip) = &record_ip {
                    if !is_ipv4(ip) {
                        return Err(VoipError::setting(
                            "rtRecordIp",
                            t!(m::SET_IP_BAD, clip(ip)),
                        ));
                    }
                }
                settings.rostelecom = Some(RostelecomSettings {
                    api_url,
                    client_id,
                    sign_key,
                    record_ip,
                });
            }
        }
        Ok(settings)
    }
}

/// The caller lookup's settings: field codes are checked to be codes, the budget to be in range.
fn crm_settings(r: &Reader) -> Result<CrmSettings, VoipError> {
    let code_ok = |c: &str| {
        c.len() <= 64
            && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !c.as_bytes()[0].is_ascii_digit()
    };
    let code = |name: &'static str, value: Option<String>| match value {
        Some(c) if !code_ok(&c) => Err(VoipError::setting(name, t!(m::SET_CODE_BAD, clip(&c)))),
        v => Ok(v),
    };
    let mut crm = CrmSettings::default();
    if let Some(c) = code("crmPhoneField", r.text("crmPhoneField"))? {
        crm.phone_field = c;
    }
    // Absent: the default; declared but empty (or «-»): never route to a manager.
    if r.map.contains_key("crmResponsibleField") {
        let v = r.text("crmResponsibleField").filter(|v| v != "-");
        crm.responsible_field = code("crmResponsibleField", v)?;
    }
    crm.api_token = r.text("elmaApiToken");
    if let Some(url) = r.text("elmaUrl") {
        crm.elma_url = Some(validate_base_url("elmaUrl", &url, false)?);
    }
    if let Some(c) = r.text("elmaModuleCode") {
        let uuid = c.strip_prefix("ext_").unwrap_or(&c).to_ascii_lowercase();
        if !is_uuid(&uuid) {
            return Err(VoipError::setting(
                "elmaModuleCode",
                t!(m::SET_MODULE_CODE_BAD, clip(&c)),
            ));
        }
        crm.module_code = Some(format!("ext_{uuid}"));
    }
    if let Some(ms) = r.text("crmLookupMs") {
        crm.budget_ms = match ms.parse::<u32>() {
            Ok(n) if (100..=10_000).contains(&n) => n,
            _ => {
                return Err(VoipError::setting(
                    "crmLookupMs",
                    t!(m::SET_LOOKUP_MS_BAD, clip(&ms)),
                ))
            }
        };
    }
    Ok(crm)
}

/// Settings as the binding reads them: the language (read first, so that even invalid settings are
/// reported in it) and the validated settings.
#[derive(Clone, Debug)]
pub struct Read {
    /// The language of admin-facing messages (Russian when the setting is empty or invalid).
    pub lang: Lang,
    /// The settings, or what is wrong with them.
    pub settings: Result<Settings, VoipError>,
}

impl Read {
    /// Reads `Namespace.params.data` given as JSON text.
    pub fn from_json(text: &str) -> Read {
        let value = crate::json::parse(text).unwrap_or(Value::Null);
        let empty = Map::new();
        let map = value.as_object().unwrap_or(&empty);
        Read {
            lang: language(map).unwrap_or_default(),
            settings: Settings::from_map(map),
        }
    }
}

/// The `language` setting: Russian when empty, an error naming the field when unknown.
fn language(map: &Map<String, Value>) -> Result<Lang, VoipError> {
    let value = Reader { map }.text("language");
    Lang::parse(value.as_deref()).ok_or_else(|| {
        VoipError::setting(
            "language",
            t!(
                m::SET_LANGUAGE_BAD,
                clip(value.as_deref().unwrap_or_default())
            ),
        )
    })
}

/// Reads trimmed string values out of the settings object, whatever JSON type they came as.
struct Reader<'a> {
    map: &'a Map<String, Value>,
}

impl Reader<'_> {
    /// The trimmed value, or `None` when absent, null or blank.
    fn text(&self, code: &str) -> Option<String> {
        self.raw_text(code)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// The value as a string; secrets keep inner characters but lose surrounding whitespace.
    fn raw_text(&self, code: &str) -> Option<String> {
        scalar_text(self.map.get(code)?)
    }
}

/// A settings value as text. ELMA365 choice/category fields may arrive as `{code, name}` objects
/// or one-element arrays, numbers as JSON numbers; all become strings here.
fn scalar_text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            // Not a whole number: keep a marker that fails validation without formatting floats.
            (None, Some(_)) => "fractional".to_string(),
            _ => return None,
        },
        Value::Bool(b) => b.to_string(),
        Value::Array(a) if a.len() == 1 => return scalar_text(&a[0]),
        Value::Object(o) => {
            return ["code", "value", "name"]
                .iter()
                .find_map(|k| o.get(*k).and_then(scalar_text))
        }
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Shortens a user-typed value for quoting in a message.
fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Checks `scheme://host[:port]` with an optional trailing slash, and returns it without the slash.
/// `allow_path` lets the Rostelecom URL carry a path prefix (some proxies need one).
pub fn validate_base_url(
    code: &'static str,
    url: &str,
    allow_path: bool,
) -> Result<String, VoipError> {
    let bad =
        |why: crate::i18n::Msg| VoipError::setting(code, t!(m::SET_URL_BAD, clip(url), t!(why)));
    let rest = if let Some(r) = url.strip_prefix("http://") {
        r
    } else if let Some(r) = url.strip_prefix("https://") {
        r
    } else {
        return Err(bad(m::SET_URL_SCHEME));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        // Never quote it: the user part may hold a password.
        return Err(VoipError::setting(code, t!(m::SET_URL_CREDENTIALS)));
    }
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority.ends_with(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b));
    if !host_ok {
        return Err(bad(m::SET_URL_HOST));
    }
    if let Some(p) = port {
        if p.parse::<u16>().map(|n| n == 0).unwrap_or(true) {
            return Err(bad(m::SET_URL_PORT));
        }
    }
    if url.contains('?') || url.contains('#') {
        return Err(bad(m::SET_URL_QUERY));
    }
    let path = path.trim_end_matches('/');
    if !path.is_empty() && !allow_path {
        return Err(bad(m::SET_URL_PATH));
    }
    Ok(format!(
        "{}{}",
        &url[..url.len() - rest.len() + authority.len()],
        path
    ))
}

/// Whether `s` is a dotted-quad IPv4 address.
pub fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FIELDS;
    use serde_json::json;

    fn parse(v: Value) -> Result<Settings, VoipError> {
        Settings::from_map(v.as_object().unwrap())
    }

    #[test]
    fn missing_provider_names_the_field_and_label() {
        let e = parse(json!({})).unwrap_err().to_string();
        assert!(e.contains("provider («АТС») is empty"), "{e}");
    }

    #[test]
    fn provider_is_case_insensitive_and_trimmed() {
        let s = parse(json!({"provider": " Rostelecom ", "rtClientId": "a", "rtSignKey": "b"}))
            .unwrap();
        assert_eq!(s.provider, Provider::Rostelecom);
        assert_eq!(s.rostelecom().api_url, "https://api.cloudpbx.rt.ru");
        assert_eq!(s.timeout_sec, 10);
        assert_eq!(s.country_code, "7");
    }

    #[test]
    fn empty_sign_key_message_matches_the_spec_and_has_no_secret() {
        let e = parse(json!({"provider": "rostelecom", "rtClientId": "abc", "rtSignKey": "   "}))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("rtSignKey («Ключ подписи») is empty"), "{e}");
    }

    #[test]
    fn choice_fields_may_arrive_as_objects() {
        let s = parse(json!({"provider": {"code": "oktell", "name": "Oktell"}, "oktellUrl": ["http://h:4055"], "requestTimeoutSec": 5})).unwrap();
        assert_eq!(s.provider, Provider::Oktell);
        assert_eq!(s.timeout_sec, 5);
    }

    #[test]
    fn timeout_bounds_are_enforced() {
        for bad in [json!(0), json!(61), json!("abc"), json!(2.5)] {
            let e = parse(json!({"provider": "oktell", "oktellUrl": "http://h:4055", "requestTimeoutSec": bad}))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("requestTimeoutSec («Таймаут запроса, с»)"),
                "{e}"
            );
        }
        let s = parse(
            json!({"provider": "oktell", "oktellUrl": "http://h:4055", "requestTimeoutSec": "30"}),
        )
        .unwrap();
        assert_eq!(s.timeout_sec, 30);
    }

    #[test]
    fn oktell_auth_mode_follows_login_and_password() {
        let base = |extra: Value| {
            let mut m = json!({"provider": "oktell", "oktellUrl": "http://10.0.0.1:4055/"});
            m.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            parse(m).unwrap().oktell.unwrap()
        };
        assert_eq!(base(json!({})).auth, OktellAuth::None);
        assert_eq!(
            base(json!({"oktellPassword": "p"})).auth,
            OktellAuth::QueryPassword("p".into())
        );
        assert_eq!(
            base(json!({"oktellLogin": "svc", "oktellPassword": "p"})).auth,
            OktellAuth::Basic {
                login: "svc".into(),
                password: "p".into()
            }
        );
        assert_eq!(base(json!({})).url, "http://10.0.0.1:4055");
    }

    #[test]
    fn oktell_url_with_path_or_bad_scheme_is_rejected() {
        for bad in [
            "10.0.0.1:4055",
            "ftp://h",
            "http://h:4055/api",
            "http://user:pw@h",
            "http://h:99999",
            "http://",
        ] {
            let e = parse(json!({"provider": "oktell", "oktellUrl": bad}))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("oktellUrl («Адрес сервера Oktell»)"),
                "{bad}: {e}"
            );
            assert!(!e.contains("pw@"), "{e}");
        }
    }

    #[test]
    fn record_ip_must_be_ipv4() {
        let e = parse(json!({"provider": "rostelecom", "rtClientId": "a", "rtSignKey": "b", "rtRecordIp": "1.2.3"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rtRecordIp"), "{e}");
        assert!(is_ipv4("203.0.113.10") && !is_ipv4("256.1.1.1") && !is_ipv4("a.b.c.d"));
    }

    #[test]
    fn secrets_lists_only_non_empty_secret_values() {
        let s = parse(json!({"provider": "rostelecom", "rtClientId": "a", "rtSignKey": "KEY", "webhookSecret": ""})).unwrap();
        assert_eq!(s.secrets(), vec!["KEY"]);
    }

    #[test]
    fn every_field_has_a_label_and_help() {
        for f in FIELDS {
            assert!(!f.label.is_empty() && f.help.0 != m::RAW, "{}", f.code);
        }
    }
}
