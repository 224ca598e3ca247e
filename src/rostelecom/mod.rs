//! The Rostelecom virtual PBX: the contract functions as state machines over the signed JSON API.

pub mod api;

use crate::contract::TestResult;
use crate::engine::{Input, Op, Step};
use crate::error::VoipError;
use crate::http::Outcome;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a Rostelecom call is between steps.
#[derive(Debug, Serialize, Deserialize)]
pub enum Task {
    /// `VoipTestConnection`: waiting for `users_info`.
    TestUsersInfo,
}

/// Starts a contract call.
pub fn start(op: Op, s: &Settings, _now_ms: f64) -> Step<Task> {
    match op {
        Op::TestConnection => Step::fetch(
            Task::TestUsersInfo,
            api::request(s, "users_info", "{}".into()),
        ),
        other => Step::fail(VoipError::bad_input(format!(
            "{} is not implemented for Rostelecom yet.",
            other.name()
        ))),
    }
}

/// Advances a contract call.
pub fn resume(task: Task, input: Input, s: &Settings, _now_ms: f64) -> Step<Task> {
    match task {
        Task::TestUsersInfo => Step::finish(answer(s, "users_info", &input).map(|v| {
            let count = |k: &str| v.get(k).and_then(Value::as_array).map_or(0, Vec::len);
            TestResult {
                success: true,
                fail_reason: None,
                message: Some(format!(
                    "Connected to {}: the signature was accepted; {} users, {} groups.",
                    api::target(s.rostelecom()),
                    count("users"),
                    count("groups")
                )),
            }
        })),
    }
}

/// The checked JSON answer to a signed request, or the classified failure.
pub fn answer(s: &Settings, method: &str, input: &Input) -> Result<Value, VoipError> {
    let rt = s.rostelecom();
    match &input.response {
        Some(Outcome::Response(resp)) => api::check(s, method, resp),
        Some(Outcome::Failure(f)) => Err(VoipError::from_failure(
            f,
            &api::target(rt),
            "rtApiUrl",
            s.timeout_sec,
        )),
        None => Err(VoipError::bad_input(format!(
            "The module shim did not perform {method}."
        ))),
    }
}
