//! The contract functions' entry point: [`call`] reads the op and the settings once, then awaits
//! the provider's `async fn run` over the [`Host`]. Nothing crosses to JS between its steps: the
//! state of a call in flight lives in the future.

use crate::contract::{null, value, Json, Op, TestResult};
use crate::error::{ErrorOut, VoipError};
use crate::fields::field;
use crate::health::{self, Verdict, WEBHOOK_URL_KEY};
use crate::host::{self, Host};
use crate::i18n::{common as m, t, Lang, Text};
use crate::json;
use crate::settings::{Provider, Read, Settings};
use crate::{oktell, rostelecom};
use serde_json::Value;

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
    // Boxed: the providers' state machines stay where they were made instead of being moved
    // with this one between awaits (ARCHITECTURE.md, "The warm webhook").
    let outcome = match settings {
        Ok(s) => match s.provider {
            Provider::Oktell => Box::pin(oktell::run(op, s, host)).await,
            Provider::Rostelecom => Box::pin(rostelecom::run(op, s, host)).await,
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
