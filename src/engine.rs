//! The contract functions' entry point: [`call`] reads the op and the settings once, then awaits
//! the provider's `async fn run` over the [`Host`]. Nothing crosses to JS between its steps: the
//! state of a call in flight lives in the future.

use crate::contract::TestResult;
use crate::error::{ErrorOut, VoipError};
use crate::health::{self, Verdict};
use crate::host::{self, Host};
use crate::http::WebhookRequest;
use crate::i18n::{common as m, field, t, Lang, Text};
use crate::json::{self, Parsed};
use crate::settings::{Provider, Read, Settings};
use crate::{oktell, rostelecom};
use serde::Serialize;
use serde_json::Value;
use tsify::Tsify;

pub use crate::crm::WEBHOOK_URL_KEY;

/// A contract function call, as the shim passes it to [`call`].
#[derive(Clone, Debug, PartialEq, Serialize, Tsify)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    /// `VoipTestConnection()`.
    TestConnection,
    /// `VoipGetMembers()`.
    GetMembers,
    /// `VoipGenerateCall(src, dst)`.
    GenerateCall {
        /// The employee to ring first.
        src: String,
        /// The client to dial once the employee answers.
        dst: String,
    },
    /// `VoipParseWebhookRequest(request)`.
    ParseWebhook {
        /// The request, normalised by the shim.
        request: WebhookRequest,
    },
    /// `VoipGetCallLink(callData)`.
    GetCallLink {
        /// Exactly what the module put into `callRecord.call`.
        #[serde(rename = "callData", default)]
        #[tsify(type = "unknown")]
        call_data: Value,
    },
    /// `VoipOnWebhookUpdated(url)`.
    OnWebhookUpdated {
        /// The module's webhook URL.
        #[serde(default)]
        url: String,
    },
}

impl Op {
    /// Reads an op as the shim sends it: `{"op": "<tag>", …fields}`.
    pub fn from_value(v: &Value) -> Parsed<Op> {
        Ok(match json::string(v, "op")?.as_str() {
            "testConnection" => Op::TestConnection,
            "getMembers" => Op::GetMembers,
            "generateCall" => Op::GenerateCall {
                src: json::string(v, "src")?,
                dst: json::string(v, "dst")?,
            },
            "parseWebhook" => Op::ParseWebhook {
                request: WebhookRequest::from_value(json::required(v, "request")?)?,
            },
            "getCallLink" => Op::GetCallLink {
                call_data: v.get("callData").cloned().unwrap_or(Value::Null),
            },
            "onWebhookUpdated" => Op::OnWebhookUpdated {
                url: json::string_or_empty(v, "url")?,
            },
            other => return Err(format!("unknown op «{}»", crate::http::snippet(other, 40))),
        })
    }

    /// The op's wire tag, e.g. `generateCall`.
    pub fn name(&self) -> &'static str {
        op_name(self)
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::TestConnection => "testConnection",
        Op::GetMembers => "getMembers",
        Op::GenerateCall { .. } => "generateCall",
        Op::ParseWebhook { .. } => "parseWebhook",
        Op::GetCallLink { .. } => "getCallLink",
        Op::OnWebhookUpdated { .. } => "onWebhookUpdated",
    }
}

/// Runs one contract call to its end on `host`. `settings` is `Namespace.params.data` as read by
/// [`Settings::from_json`] (the binding reads it once and reuses it while it is unchanged); `op_json`
/// is an [`Op`] as JSON. A webhook's raw body may come beside the op as `body`, so that it is
/// neither escaped nor parsed twice. Returns the result as JSON text, or the error the shim throws
/// (scrubbed of every secret). `VoipTestConnection` never fails: its error becomes
/// `{success: false, failReason}`.
pub async fn call<H: Host>(
    read: &Read,
    op_json: &str,
    body: Option<String>,
    host: &H,
) -> Result<Json, ErrorOut> {
    let parsed = json::parse(op_json);
    // Set by the shim for a test when the host has no timer and no self-timing signal.
    let unbounded = parsed
        .as_ref()
        .is_ok_and(|v| v.get("unbounded") == Some(&Value::Bool(true)));
    let lang = read.lang;
    let settings = &read.settings;
    let mut op = parsed.and_then(|v| Op::from_value(&v)).map_err(|e| {
        let e = VoipError::bad_input(t!(m::MODULE_UNKNOWN_CALL, e));
        ErrorOut::new(&e, &[], lang)
    })?;
    if let (Op::ParseWebhook { request }, Some(body)) = (&mut op, body) {
        request.body = Some(body);
    }
    if let Op::OnWebhookUpdated { url } = &op {
        // Common to both providers, and independent of the settings: ELMA365 calls it on the first
        // publish too, before the admin has filled anything in.
        let set = [(WEBHOOK_URL_KEY.to_string(), Some(url.trim().to_string()))];
        return host::write(host, &set)
            .await
            .map(|()| null())
            .map_err(|e| ErrorOut::new(&e, &[], lang));
    }
    let testing = op == Op::TestConnection;
    let outcome = match settings {
        Ok(s) => match s.provider {
            Provider::Oktell => oktell::run(op, s, host).await,
            Provider::Rostelecom => rostelecom::run(op, s, host).await,
        },
        Err(e) => Err(e.clone()),
    };
    let secrets = settings.as_ref().map(Settings::secrets).unwrap_or_default();
    let outcome = match (outcome, settings) {
        (Ok(v), Ok(s)) if testing => {
            Ok(with_lookup(with_webhook_health(v, s, host).await, s, host).await)
        }
        (outcome, _) => outcome,
    };
    match outcome {
        Ok(v) if testing && unbounded => Ok(value(unbounded_test(&v, &secrets, lang))),
        Ok(v) => Ok(v),
        Err(e) if testing => Ok(value(TestResult {
            success: false,
            fail_reason: Some(format!(
                "{}{}",
                ErrorOut::new(&e, &secrets, lang).message,
                if unbounded {
                    m::UNBOUNDED_NOTE.template(lang)
                } else {
                    "".into()
                }
            )),
            message: None,
        })),
        Err(e) => Err(ErrorOut::new(&e, &secrets, lang)),
    }
}

/// A connection test that reached the PBX, judged by the webhook's health ([`health::verdict`]) and,
/// for Oktell, by whether the webhook is protected: a fault fails the test, naming what to fix and
/// what was reached; otherwise the webhook's state is added to the success message.
async fn with_webhook_health<H: Host>(reached: Json, s: &Settings, host: &H) -> Json {
    let Some(message) = success_message(&reached) else {
        return reached;
    };
    let verdict = health::verdict(host, &Text::raw(&message)).await;
    value(match verdict {
        Verdict::Fail(t) => failed_test(s, t),
        _ if s.provider == Provider::Oktell && s.webhook_secret.is_none() => {
            failed_test(s, t!(m::NO_SECRET, field("webhookSecret"), message))
        }
        Verdict::Note(note) => passed_test(s, &message, note),
    })
}

/// The message of a successful test result (`None` when the test failed or said nothing).
fn success_message(tested: &str) -> Option<String> {
    let v = json::parse(tested).ok()?;
    if v.get("success") != Some(&Value::Bool(true)) {
        return None;
    }
    v.get("message").and_then(Value::as_str).map(str::to_string)
}

/// A failed test saying `why`, in the admin's language, secrets masked.
fn failed_test(s: &Settings, why: Text) -> TestResult {
    TestResult {
        success: false,
        fail_reason: Some(crate::error::scrub(&why.render(s.lang), &s.secrets())),
        message: None,
    }
}

/// A passed test: `message`, then `note` in the admin's language. Not scrubbed: neither holds a
/// secret (a trace quoted in a note was scrubbed when written), and scrubbing a one-letter secret
/// would mask every such letter.
fn passed_test(s: &Settings, message: &str, note: Text) -> TestResult {
    TestResult {
        success: true,
        fail_reason: None,
        message: Some(format!("{message}{}", note.render(s.lang))),
    }
}

/// A successful connection test with the caller lookup's probe ([`crate::crm::probe`]) added: what it
/// reaches becomes part of the message, a part the admin configured that cannot work fails the test.
async fn with_lookup<H: Host>(tested: Json, s: &Settings, host: &H) -> Json {
    let Some(message) = success_message(&tested) else {
        return tested;
    };
    let probe = match s.provider {
        Provider::Oktell => crate::crm::probe(s, host, &oktell::Users { s, host }).await,
        Provider::Rostelecom => crate::crm::probe(s, host, &rostelecom::Users { s, host }).await,
    };
    value(match probe {
        Ok(None) => return tested,
        Ok(Some(note)) => passed_test(s, &message, note),
        Err(e) => failed_test(s, t!(m::LOOKUP_BROKEN, e.text(), message)),
    })
}

/// A test that reached the PBX, on a host that cannot bound a request in time: it fails, because
/// a PBX that stops answering would hang click-to-call and webhooks, and nothing else would say so.
fn unbounded_test(reached: &str, secrets: &[&str], lang: Lang) -> TestResult {
    let what = json::parse(reached)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    TestResult {
        success: false,
        fail_reason: Some(crate::error::scrub(
            &t!(m::UNBOUNDED_TEST, field("requestTimeoutSec"), what).render(lang),
            secrets,
        )),
        message: None,
    }
}

/// A result as ELMA365 gets it, as JSON text (made once, at the end: no intermediate `Value`).
pub type Json = String;

/// A result as JSON text.
pub fn value(v: impl Serialize) -> Json {
    serde_json::to_string(&v).unwrap_or_else(|_| null())
}

/// The `null` result (the contract functions that return nothing).
pub fn null() -> Json {
    "null".into()
}

#[cfg(not(target_arch = "wasm32"))]
pub use crate::host::run_native;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpResponse, Outcome};
    use std::collections::BTreeMap;

    #[test]
    fn a_test_on_a_host_that_cannot_bound_requests_fails_and_names_the_timeout() {
        let settings = Read::from_json(
            r#"{"provider":"rostelecom","rtClientId":"a","rtSignKey":"the-key","language":"en"}"#,
        );
        let mut storage = BTreeMap::new();
        let host = host::Scripted::new(&mut storage, 0.0, |_| {
            Outcome::Response(HttpResponse {
                status: 200,
                body: r#"{"result":"0","users":[],"groups":[]}"#.into(),
                ..Default::default()
            })
        });
        let op = r#"{"op":"testConnection","unbounded":true}"#;
        let r: Value =
            serde_json::from_str(&pollster::block_on(call(&settings, op, None, &host)).unwrap())
                .unwrap();
        assert_eq!(r["success"], false);
        let why = r["failReason"].as_str().unwrap();
        assert!(why.contains("cannot be bounded in time"), "{why}");
        assert!(why.contains("requestTimeoutSec"), "{why}");
        assert!(why.contains("What was reached: Connected to"), "{why}");
        assert!(!why.contains("the-key"), "{why}");
    }

    #[test]
    fn invalid_settings_make_test_connection_report_not_throw() {
        let mut storage = BTreeMap::new();
        let r = run_native(
            "{}",
            &Op::TestConnection,
            &mut storage,
            0.0,
            |_| unreachable!(),
        )
        .unwrap();
        assert_eq!(r["success"], false);
        assert!(r["failReason"]
            .as_str()
            .unwrap()
            .contains("provider («АТС») is empty"));
    }

    #[test]
    fn invalid_settings_make_other_calls_fail_with_the_same_message() {
        let mut storage = BTreeMap::new();
        let e =
            run_native("{}", &Op::GetMembers, &mut storage, 0.0, |_| unreachable!()).unwrap_err();
        assert!(e.contains("provider («АТС») is empty"), "{e}");
    }

    #[test]
    fn webhook_url_is_stored() {
        let mut storage = BTreeMap::new();
        let settings = r#"{"provider":"rostelecom","rtClientId":"a","rtSignKey":"b"}"#;
        let op = Op::OnWebhookUpdated {
            url: " https://elma.example/api/webhook/x ".into(),
        };
        run_native(settings, &op, &mut storage, 0.0, |_| unreachable!()).unwrap();
        assert_eq!(
            storage[WEBHOOK_URL_KEY],
            "https://elma.example/api/webhook/x"
        );
    }

    #[test]
    fn webhook_url_is_stored_even_before_settings_are_filled() {
        let mut storage = BTreeMap::new();
        let op = Op::OnWebhookUpdated {
            url: "https://elma.example/api/webhook/x".into(),
        };
        assert_eq!(
            run_native("{}", &op, &mut storage, 0.0, |_| unreachable!()),
            Ok(Value::Null)
        );
        assert_eq!(
            storage[WEBHOOK_URL_KEY],
            "https://elma.example/api/webhook/x"
        );
    }

    #[test]
    fn every_op_the_shim_sends_is_read_back() {
        let request = WebhookRequest {
            method: "POST".into(),
            headers: vec![("x-a".into(), "1".into())],
            body: Some("{}".into()),
            body_parsed: Some("object".into()),
            query: vec![("q".into(), "2".into())],
        };
        for op in [
            Op::TestConnection,
            Op::GetMembers,
            Op::GenerateCall {
                src: "101".into(),
                dst: "+74950000000".into(),
            },
            Op::ParseWebhook { request },
            Op::GetCallLink {
                call_data: serde_json::json!({"session": "s"}),
            },
            Op::OnWebhookUpdated { url: "u".into() },
        ] {
            let v = serde_json::to_value(&op).unwrap();
            assert_eq!(Op::from_value(&v), Ok(op));
        }
        let absent = serde_json::json!({"op": "getCallLink"});
        assert_eq!(
            Op::from_value(&absent),
            Ok(Op::GetCallLink {
                call_data: Value::Null
            })
        );
    }

    #[test]
    fn the_shims_fetch_outcomes_are_read_back() {
        use crate::http::{Failure, HttpResponse, Outcome};
        for outcome in [
            Outcome::Response(HttpResponse {
                status: 404,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: "no".into(),
                ..Default::default()
            }),
            Outcome::Failure(Failure {
                code: "ECONNREFUSED".into(),
                message: "refused".into(),
                timed_out: true,
                ..Default::default()
            }),
        ] {
            let v = serde_json::to_value(&outcome).unwrap();
            assert_eq!(Outcome::from_value(&v), Ok(outcome));
        }
        for (text, says) in [
            (r#"{"response":{"status":"200"}}"#, "field `status`"),
            (r#"{"response":{"status":70000}}"#, "field `status`"),
            (r#"{"response":{"status":200,"body":1}}"#, "field `body`"),
            (r#"{"failure":{"timedOut":"yes"}}"#, "field `timedOut`"),
            (r#"{"other":{}}"#, "neither"),
            ("7", "neither"),
        ] {
            let e = Outcome::from_value(&json::parse(text).unwrap()).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn malformed_calls_are_clear_errors_not_panics() {
        let run = |op: &str| {
            let mut storage = BTreeMap::new();
            let host = crate::host::Scripted::new(
                &mut storage,
                0.0,
                |_: &crate::http::HttpRequest| unreachable!(),
            );
            pollster::block_on(call(
                &Read::from_json(r#"{"language":"en"}"#),
                op,
                None,
                &host,
            ))
            .unwrap_err()
            .message
        };
        let e = run(r#"{"op":"generateCall","src":5,"dst":"x"}"#);
        assert!(
            e.contains("unknown call") && e.contains("field `src` is not a string"),
            "{e}"
        );
        let e = run(r#"{"op":"parseWebhook","request":"x"}"#);
        assert!(e.contains("webhook request is not an object"), "{e}");
        let e = run("{\"op\":");
        assert!(e.contains("unknown call") && e.contains("EOF"), "{e}");
        let e = run(r#"{"op":"dance"}"#);
        assert!(e.contains("unknown call"), "{e}");
    }
}
