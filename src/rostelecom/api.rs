//! The Rostelecom integration API: signing, signed requests and checked responses.

use crate::error::VoipError;
use crate::fields::field;
use crate::http::{HttpRequest, HttpResponse, WebhookResponse};
use crate::i18n::{common, rostelecom as m, t, Text};
use crate::settings::{RostelecomSettings, Settings};
use serde_json::Value;
use subtle::ConstantTimeEq;

/// `lowercase hex(SHA-256(client_id + body + sign_key))`, the manual's X-Client-Sign.
pub fn sign(client_id: &str, body: &str, sign_key: &str) -> String {
    let digest = crate::sha::sha256(&[client_id.as_bytes(), body.as_bytes(), sign_key.as_bytes()]);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
        out.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
    }
    out
}

/// Checks a received signature over the raw body in constant time (hex case-insensitive).
pub fn verify(client_id: &str, body: &str, sign_key: &str, received: &str) -> bool {
    let expected = sign(client_id, body, sign_key);
    let received = received.trim().to_ascii_lowercase();
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

/// Who we talk to, for messages.
pub fn target(rt: &RostelecomSettings) -> Text {
    t!(m::TARGET, &rt.api_url)
}

/// A signed `POST <rtApiUrl>/<method>` carrying `body` exactly as given.
pub fn request(s: &Settings, method: &str, body: String) -> HttpRequest {
    let rt = s.rostelecom();
    let signature = sign(&rt.client_id, &body, &rt.sign_key);
    HttpRequest {
        method: "POST".into(),
        url: format!("{}/{method}", rt.api_url),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-Client-ID".into(), rt.client_id.clone()),
            ("X-Client-Sign".into(), signature),
        ],
        body: Some(body),
        timeout_ms: s.timeout_sec * 1000,
        setting: "rtApiUrl".into(),
    }
}

/// `result` as a number, whether it came as `0` or `"0"`.
pub fn result_code(v: &Value) -> Option<i64> {
    match v.get("result")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `resultMessage` on one line, cut to [`crate::error::MAX_QUOTE_CHARS`], if any.
pub fn result_message(v: &Value) -> String {
    v.get("resultMessage")
        .and_then(Value::as_str)
        .map_or_else(String::new, |m| {
            crate::http::snippet(m, crate::error::MAX_QUOTE_CHARS)
        })
}

fn auth_settings() -> Text {
    t!(common::AND, field("rtClientId"), field("rtSignKey"))
}

fn looks_like_auth_failure(message: &str) -> bool {
    // ASCII-lowercase the Latin words; the Cyrillic stems are matched in both initial cases
    // (str::to_lowercase would link Unicode case tables into the wasm for this one check).
    let m = message.to_ascii_lowercase();
    [
        "sign",
        "client",
        "auth",
        "access",
        "forbidden",
        "подпис",
        "Подпис",
        "идентиф",
        "Идентиф",
        "авториз",
        "Авториз",
        "доступ",
        "Доступ",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// Checks an API answer: size, HTTP status, JSON shape and `result`. Returns the JSON on
/// `result` 0. `method` names the API method for messages.
pub fn check(s: &Settings, method: &str, resp: &HttpResponse) -> Result<Value, VoipError> {
    let rt = s.rostelecom();
    VoipError::check_answer_size(resp, &target(rt), "rtApiUrl", method)?;
    let json = resp.json().filter(|v| v.get("result").is_some());
    if resp.status == 401 || resp.status == 403 {
        let detail = json.as_ref().map(result_message).filter(|m| !m.is_empty());
        return Err(crate::error::Kind::AuthRejected {
            target: target(rt),
            settings: auth_settings(),
            detail: match detail {
                Some(d) => t!(m::AUTH_DETAIL_SAID, resp.status, method, d),
                None => t!(m::AUTH_DETAIL, resp.status, method),
            },
        }
        .into());
    }
    let Some(json) = json else {
        return Err(crate::error::Kind::NotPbx {
            target: target(rt),
            setting: "rtApiUrl",
            detail: t!(
                m::NOT_JSON_RESULT,
                resp.status_text(),
                method,
                resp.snippet(80)
            ),
        }
        .into());
    };
    match result_code(&json) {
        Some(0) => Ok(json),
        code => {
            let message = result_message(&json);
            let code = code.map_or_else(|| "?".to_string(), |c| c.to_string());
            if looks_like_auth_failure(&message) {
                return Err(crate::error::Kind::AuthRejected {
                    target: target(rt),
                    settings: auth_settings(),
                    detail: t!(m::AUTH_DETAIL_RESULT, code, method, message),
                }
                .into());
            }
            Err(VoipError::provider(if message.is_empty() {
                t!(m::REFUSED, method, code)
            } else {
                t!(m::REFUSED_SAID, method, code, message)
            }))
        }
    }
}

/// A webhook answer in the PBX's shape: `{"result", "resultMessage"}`.
pub fn reply(status: u16, result: i32, message: &str) -> WebhookResponse {
    // Written directly, not through a `Value`: every webhook answers with it. The same text as
    // the object would give (its keys in this order).
    WebhookResponse::json_text(
        status,
        format!(
            "{{\"result\":{result},\"resultMessage\":{}}}",
            crate::json::to_string(message)
        ),
    )
}

/// The answer to an accepted `call_events` delivery.
pub fn ok() -> WebhookResponse {
    reply(200, 0, "ok")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_the_objects_json() {
        for (status, result, message) in [(200, 0, "ok"), (403, 3, "a \"quoted\" \\ line\nв два")]
        {
            let v = crate::json::obj(vec![
                ("result", result.into()),
                ("resultMessage", message.into()),
            ]);
            assert_eq!(
                reply(status, result, message),
                WebhookResponse::json(status, &v)
            );
        }
    }

    #[test]
    fn sign_matches_the_manuals_test_vector() {
        let body =
            r#"{"request_number": "+74951234567","from_sipuri": "test_user@cloudpbx.rt.ru"}"#;
        assert_eq!(
            sign(
                "000003C405E6525C64C184258C44EC99",
                body,
                "00000716ABDA6D4DFF10F82BCBBFC532"
            ),
            "fc95a524342dc68df90f7488e6d821c5a8a3b667d585490b50ebf939f1202c36"
        );
    }

    #[test]
    fn verify_accepts_the_vector_and_rejects_changes() {
        let body =
            r#"{"request_number": "+74951234567","from_sipuri": "test_user@cloudpbx.rt.ru"}"#;
        let id = "000003C405E6525C64C184258C44EC99";
        let key = "00000716ABDA6D4DFF10F82BCBBFC532";
        let good = "fc95a524342dc68df90f7488e6d821c5a8a3b667d585490b50ebf939f1202c36";
        assert!(verify(id, body, key, good));
        assert!(verify(id, body, key, &good.to_uppercase()));
        assert!(!verify(id, &body.replace(": ", ":"), key, good));
        assert!(!verify(id, body, key, &good[..63]));
        assert!(!verify(id, body, key, ""));
    }

    #[test]
    fn auth_failure_is_recognised_in_russian_and_english() {
        for m in [
            "Неверная подпись X-Client-Sign",
            "Подпись неверна",
            "Доступ запрещён",
            "Invalid SIGN",
            "Unknown client",
        ] {
            assert!(looks_like_auth_failure(m), "{m}");
        }
        assert!(!looks_like_auth_failure(
            "Ошибка при попытке выполнения обратного вызова"
        ));
    }

    #[test]
    fn result_code_accepts_number_and_string() {
        assert_eq!(result_code(&serde_json::json!({"result": "0"})), Some(0));
        assert_eq!(result_code(&serde_json::json!({"result": -20})), Some(-20));
        assert_eq!(result_code(&serde_json::json!({})), None);
    }
}
