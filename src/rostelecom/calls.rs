//! Click-to-call (`call_back`) and recordings (`get_record`): request building and answer checks.

use super::api;
use crate::error::{Kind, VoipError};
use crate::http::{snippet, HttpRequest, HttpResponse};
use crate::i18n::{rostelecom as m, t, Text};
use crate::phone::{self, Number, MAX_EXTENSION_DIGITS};
use crate::settings::Settings;
use serde_json::{Map, Value};

/// Who `call_back` rings first: an employee's PIN or a SIP address `user@domain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// `from_pin`.
    Pin(String),
    /// `from_sipuri`, without the `sip:` scheme.
    SipUri(String),
}

impl Caller {
    /// `PIN 101` / `SIP user@domain`, for messages (a long address is cut).
    pub fn label(&self) -> String {
        match self {
            Caller::Pin(p) => format!("PIN {p}"),
            Caller::SipUri(u) => format!("SIP {}", snippet(u, 100)),
        }
    }
}

/// Reads `srcPhone`: a PIN (digits, at most [`MAX_EXTENSION_DIGITS`]), or `[sip:]user@domain`.
pub fn caller(src: &str) -> Result<Caller, VoipError> {
    let raw = src.trim();
    let s = phone::without_scheme(raw, &["sip:", "sips:"]).trim_end_matches('>');
    let s = s.split(';').next().unwrap_or("").trim();
    if let Some((user, domain)) = s.split_once('@') {
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-+:[]".contains(c))
        };
        if ok(user) && ok(domain) && !domain.contains('@') {
            return Ok(Caller::SipUri(format!("{user}@{domain}")));
        }
    } else if !s.is_empty()
        && s.len() <= MAX_EXTENSION_DIGITS
        && s.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(Caller::Pin(s.to_string()));
    }
    Err(VoipError::bad_input(t!(
        m::BAD_CALLER,
        snippet(raw, 60),
        MAX_EXTENSION_DIGITS
    )))
}

/// Reads `dstPhone` into the canonical format: `+E.164` for external numbers, or an extension.
pub fn callee(dst: &str, country_code: &str) -> Result<String, VoipError> {
    match phone::normalize(dst, country_code) {
        Some(Number::External(n)) => Ok(n),
        Some(Number::Internal(n)) if n.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(VoipError::bad_input(t!(m::BAD_CALLEE, snippet(dst, 60)))),
    }
}

/// The signed `call_back` request: rings `from`, then dials `to`.
pub fn call_back(s: &Settings, from: &Caller, to: &str) -> HttpRequest {
    let mut body = Map::new();
    body.insert("request_number".into(), Value::String(to.into()));
    match from {
        Caller::Pin(p) => body.insert("from_pin".into(), Value::String(p.clone())),
        Caller::SipUri(u) => body.insert("from_sipuri".into(), Value::String(u.clone())),
    };
    api::request(s, "call_back", crate::json::to_string(&body))
}

/// Words a failed `call_back` so that it names both numbers and says it was not retried.
pub fn call_back_error(e: VoipError, from: &str, to: &str) -> VoipError {
    match &*e {
        Kind::Provider { message } => {
            VoipError::provider(t!(m::CALL_FAILED, from, to, message.clone()))
        }
        Kind::Timeout { .. } => VoipError::provider(t!(m::CALL_TIMED_OUT, from, to, e.text())),
        _ => e,
    }
}

/// The Rostelecom session id in `callRecord.call`, as [`record_call_data`] stored it.
/// Also accepts that object as JSON text, or a bare session id.
pub fn session_of(call_data: &Value) -> Result<String, VoipError> {
    let bad = || {
        VoipError::bad_input(t!(
            m::BAD_CALL_DATA,
            snippet(&crate::json::to_string(call_data), 80)
        ))
    };
    let id = match call_data {
        Value::Object(o) => {
            if let Some(p) = o.get("provider").and_then(Value::as_str) {
                if p != "rostelecom" {
                    return Err(VoipError::bad_input(t!(m::OTHER_PROVIDER, snippet(p, 20))));
                }
            }
            o.get("sessionId")
                .or_else(|| o.get("session_id"))
                .and_then(Value::as_str)
                .ok_or_else(bad)?
                .trim()
        }
        Value::String(s) if s.trim_start().starts_with('{') => {
            let inner = crate::json::parse(s).map_err(|_| bad())?;
            return session_of(&inner).map_err(|_| bad());
        }
        Value::String(s) => s.trim(),
        _ => return Err(bad()),
    };
    if id.is_empty()
        || id.len() > 128
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
    {
        return Err(bad());
    }
    Ok(id.to_string())
}

/// `callRecord.call` for a session: what [`session_of`] reads back.
pub fn record_call_data(session: &str) -> Value {
    crate::json::obj(vec![
        ("provider", "rostelecom".into()),
        ("sessionId", session.into()),
    ])
}

/// The signed `get_record` request, with `ip_adress` when `rtRecordIp` is set.
pub fn get_record(s: &Settings, session: &str) -> HttpRequest {
    let mut body = Map::new();
    body.insert("session_id".into(), Value::String(session.into()));
    if let Some(ip) = &s.rostelecom().record_ip {
        body.insert("ip_adress".into(), Value::String(ip.clone()));
    }
    api::request(s, "get_record", crate::json::to_string(&body))
}

/// The recording URL from a `get_record` answer, or why there is none.
pub fn record_url(s: &Settings, session: &str, resp: &HttpResponse) -> Result<String, VoipError> {
    let no_record = |detail: Text| VoipError::provider(t!(m::NO_RECORD, session, detail));
    match api::check(s, "get_record", resp) {
        Ok(json) => match json.get("url").and_then(Value::as_str).map(str::trim) {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => Ok(u.to_string()),
            _ => Err(no_record(t!(m::RECORD_NO_LINK))),
        },
        // Checked, so the answer is a JSON result of a sane size.
        Err(e) if matches!(*e, Kind::Provider { .. }) => {
            let json = resp.json().unwrap_or_default();
            match api::result_code(&json).filter(|c| *c > 0) {
                Some(code) => {
                    let msg = api::result_message(&json);
                    Err(no_record(if msg.is_empty() {
                        t!(m::RECORD_RESULT, code)
                    } else {
                        t!(m::RECORD_RESULT_SAID, code, msg)
                    }))
                }
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use serde_json::json;

    #[test]
    fn caller_is_a_pin_or_a_sip_address_without_the_scheme() {
        assert_eq!(caller(" 101 ").unwrap(), Caller::Pin("101".into()));
        assert_eq!(
            caller("sip:ivanov@demo.cloudpbx.rt.ru").unwrap(),
            Caller::SipUri("ivanov@demo.cloudpbx.rt.ru".into())
        );
        assert_eq!(
            caller("<SIPS:ivanov@10.0.0.5;transport=tls>").unwrap(),
            Caller::SipUri("ivanov@10.0.0.5".into())
        );
        assert_eq!(
            caller("test_user@cloudpbx.rt.ru").unwrap(),
            Caller::SipUri("test_user@cloudpbx.rt.ru".into())
        );
    }

    #[test]
    fn caller_rejects_external_numbers_logins_and_garbage() {
        for bad in [
            "",
            "+79161234567",
            "89161234567",
            "ivanov",
            "a@b@c",
            "@host",
            "user@",
            "sip:",
            "10 1",
        ] {
            let e = caller(bad).unwrap_err().to_string();
            assert!(e.contains("srcPhone"), "{bad}: {e}");
        }
    }

    #[test]
    fn callee_is_normalised_to_the_canonical_format() {
        assert_eq!(callee("8 (916) 123-45-67", "7").unwrap(), "+79161234567");
        assert_eq!(
            callee("sip:+74951234567@188.254.33.73", "7").unwrap(),
            "+74951234567"
        );
        assert_eq!(callee("9161234567", "7").unwrap(), "+79161234567");
        assert_eq!(callee("102", "7").unwrap(), "102");
        assert!(callee("petrova@domain", "7").is_err());
        assert!(callee("позвони мне", "7").is_err());
    }

    #[test]
    fn session_is_read_back_from_the_record_data() {
        let data = record_call_data("AbC123-x");
        assert_eq!(session_of(&data).unwrap(), "AbC123-x");
        assert_eq!(
            session_of(&Value::String(data.to_string())).unwrap(),
            "AbC123-x"
        );
        assert_eq!(session_of(&json!("AbC123")).unwrap(), "AbC123");
    }

    #[test]
    fn garbage_call_data_is_a_clear_error() {
        for bad in [
            Value::Null,
            json!(42),
            json!({}),
            json!({"sessionId": ""}),
            json!({"sessionId": "../../etc"}),
            json!({"sessionId": 5}),
            json!("{not json"),
            json!([1, 2]),
        ] {
            let e = session_of(&bad).unwrap_err().to_string();
            assert!(e.contains("cannot use"), "{e}");
        }
        let e = session_of(&json!({"provider": "oktell", "sessionId": "x"})).unwrap_err();
        assert!(e.to_string().contains("oktell integration"), "{e}");
    }

    #[test]
    fn bad_input_is_worded_in_russian_too() {
        let e = caller("+79161234567").unwrap_err().render(Lang::Ru);
        assert!(
            e.starts_with("Звонок из карточки: srcPhone «+79161234567» — не сотрудник")
                && e.contains("до 6 цифр"),
            "{e}"
        );
        let e = session_of(&json!(42)).unwrap_err().render(Lang::Ru);
        assert!(e.contains("непригодные данные звонка «42»"), "{e}");
        let e = session_of(&json!({"provider": "oktell"})).unwrap_err();
        assert!(
            e.render(Lang::Ru).contains("записан интеграцией oktell"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_recording_is_worded_in_russian_too() {
        let s = Settings::from_json(
            &json!({"provider": "rostelecom", "rtClientId": "a", "rtSignKey": "b"}).to_string(),
        );
        let resp = HttpResponse {
            status: 200,
            body: json!({"result": 5, "resultMessage": "Запись не найдена"}).to_string(),
            ..Default::default()
        };
        let e = record_url(&s.unwrap(), "S1", &resp).unwrap_err();
        assert_eq!(e.kind(), "provider");
        let ru = e.render(Lang::Ru);
        assert!(
            ru.starts_with("Записи (пока) нет для сессии S1: АТС ответила на get_record: result 5, «Запись не найдена»."),
            "{ru}"
        );
        assert!(
            e.to_string().contains("with result 5, «Запись не найдена»"),
            "{e}"
        );
    }
}
