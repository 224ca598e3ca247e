//! The Rostelecom virtual PBX: the contract functions as async functions over the signed JSON API.
//!
//! - [`api`]: signing, signed requests, checked answers;
//! - [`members`]: `users_info` → `VoipGetMembers`;
//! - [`calls`]: `call_back` (`VoipGenerateCall`, never retried) and `get_record` (`VoipGetCallLink`);
//! - [`webhook`]: verification and `call_events` / `get_number_info` (`VoipParseWebhookRequest`).

pub mod api;
pub mod calls;
pub mod event;
pub mod members;
pub mod record;
pub mod webhook;

use crate::contract::TestResult;
use crate::contract::{null, value, Json, Op};
use crate::error::VoipError;
use crate::host::{self, Host};
use crate::http::Outcome;
use crate::i18n::{common, rostelecom as m, t};
use crate::settings::Settings;
use serde_json::Value;

/// Runs a contract call.
pub async fn run<H: Host>(op: Op, s: &Settings, host: &H) -> Result<Json, VoipError> {
    match op {
        Op::TestConnection => {
            let v = ask(s, host, "users_info").await?;
            let count = |k: &str| v.get(k).and_then(Value::as_array).map_or(0, Vec::len);
            Ok(value(TestResult {
                success: true,
                fail_reason: None,
                message: Some(
                    t!(
                        m::CONNECTED,
                        api::target(s.rostelecom()),
                        count("users"),
                        count("groups")
                    )
                    .render(s.lang),
                ),
            }))
        }
        Op::GetMembers => Ok(value(members::from_users_info(
            &ask(s, host, "users_info").await?,
        ))),
        Op::GenerateCall { src, dst } => {
            let from = calls::caller(&src)?;
            let to = calls::callee(&dst, &s.country_code)?;
            // Sent once and never retried: a repeat would ring the employee twice.
            let outcome = host::fetch(host, &calls::call_back(s, &from, &to)).await?;
            answer(s, "call_back", &outcome)
                .map(|_| null())
                .map_err(|e| calls::call_back_error(e, &from.label(), &to))
        }
        Op::GetCallLink { call_data } => {
            let session = calls::session_of(&call_data)?;
            match host::fetch(host, &calls::get_record(s, &session)).await? {
                Outcome::Response(resp) => calls::record_url(s, &session, &resp).map(value),
                failure => answer(s, "get_record", &failure).map(|_| null()),
            }
        }
        Op::ParseWebhook { request } => webhook::handle(&request, s, host).await.map(value),
        other => Err(VoipError::bad_input(t!(
            common::NOT_FOR_PROVIDER,
            other.name(),
            t!(m::NAME)
        ))),
    }
}

/// The PBX's users for the caller lookup (`users_info`).
pub struct Users<'a, H: Host> {
    /// The settings.
    pub s: &'a Settings,
    /// The host.
    pub host: &'a H,
}

impl<H: Host> crate::crm::Directory for Users<'_, H> {
    fn staff(&self) -> crate::crm::Boxed<'_, Result<Vec<crate::crm::Staff>, VoipError>> {
        Box::pin(async move {
            Ok(members::staff_from_users_info(
                &ask(self.s, self.host, "users_info").await?,
            ))
        })
    }
}

/// Sends the signed `method` with an empty body and returns its checked answer.
async fn ask<H: Host>(s: &Settings, host: &H, method: &str) -> Result<Value, VoipError> {
    let outcome = host::fetch(host, &api::request(s, method, "{}".into())).await?;
    answer(s, method, &outcome)
}

/// The checked JSON answer to a signed request, or the classified failure.
pub fn answer(s: &Settings, method: &str, outcome: &Outcome) -> Result<Value, VoipError> {
    match outcome {
        Outcome::Response(resp) => api::check(s, method, resp),
        Outcome::Failure(f) => Err(VoipError::from_failure(
            f,
            &api::target(s.rostelecom()),
            "rtApiUrl",
            s.timeout_sec,
        )),
    }
}
