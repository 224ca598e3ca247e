//! Oktell: the contract functions as state machines over the server's HTTP web API.

pub mod api;
pub mod members;

use crate::contract::TestResult;
use crate::engine::{Input, Op, Step};
use crate::error::VoipError;
use crate::settings::{describe, Settings};
use serde::{Deserialize, Serialize};

/// Where an Oktell call is between steps.
#[derive(Debug, Serialize, Deserialize)]
pub enum Task {
    /// `VoipTestConnection`: waiting for `getlicenseinfo?detail=regserial`.
    TestLicense,
    /// `VoipTestConnection`: waiting for the directory script.
    TestMembers {
        /// What the licence step found.
        summary: String,
    },
}

/// Starts a contract call.
pub fn start(op: Op, s: &Settings, _now_ms: f64) -> Step<Task> {
    match op {
        Op::TestConnection => Step::fetch(
            Task::TestLicense,
            api::command(s, "getlicenseinfo", &[("detail", "regserial")]),
        ),
        other => Step::fail(VoipError::bad_input(format!(
            "{} is not implemented for Oktell yet.",
            other.name()
        ))),
    }
}

/// Advances a contract call.
pub fn resume(task: Task, input: Input, s: &Settings, _now_ms: f64) -> Step<Task> {
    match task {
        Task::TestLicense => match license_serial(s, &input) {
            Err(e) => Step::fail(e),
            Ok(serial) => {
                let summary = format!(
                    "Connected to {}: licence reg. serial {serial}",
                    api::target(s)
                );
                match &s.oktell().members_script {
                    Some(script) => {
                        Step::fetch(Task::TestMembers { summary }, directory_request(s, script))
                    }
                    None => Step::finish(Ok(success(s, summary, static_directory_note(s)))),
                }
            }
        },
        Task::TestMembers { summary } => {
            let note = match directory_from_script(s, &input) {
                Ok(n) => format!(
                    "directory script {}: {n} users",
                    describe("oktellMembersScript")
                ),
                Err(e) => return Step::fail(e),
            };
            Step::finish(Ok(success(s, summary, note)))
        }
    }
}

fn success(s: &Settings, summary: String, directory: String) -> TestResult {
    let mut message = format!("{summary}; {directory}.");
    if s.webhook_secret.is_none() {
        message.push_str(&format!(
            " Warning: {} is empty, so the webhook accepts call events from anyone who knows its URL.",
            describe("webhookSecret")
        ));
    }
    TestResult {
        success: true,
        fail_reason: None,
        message: Some(message),
    }
}

fn static_directory_note(s: &Settings) -> String {
    match &s.oktell().members {
        Some(text) => match members::parse_directory(text) {
            Ok(m) => format!(
                "static directory in {}: {} users",
                describe("oktellMembers"),
                m.len()
            ),
            Err(e) => format!("static directory in {}: {e}", describe("oktellMembers")),
        },
        None => format!(
            "no user directory yet: set {} or {}",
            describe("oktellMembersScript"),
            describe("oktellMembers")
        ),
    }
}

/// `execsvcscriptplain` for the directory script.
pub fn directory_request(s: &Settings, script: &str) -> crate::http::HttpRequest {
    let timeout = s.timeout_sec.saturating_sub(1).max(1).to_string();
    api::command(
        s,
        "execsvcscriptplain",
        &[("name", script), ("async", "0"), ("timeout", &timeout)],
    )
}

/// The number of users the directory script returned, or why it failed.
fn directory_from_script(s: &Settings, input: &Input) -> Result<usize, VoipError> {
    let r = api::response(s, "execsvcscriptplain", input.response.as_ref())?;
    let script = describe("oktellMembersScript");
    if r.status != 200 {
        return Err(VoipError::provider(format!(
            "Oktell could not run the directory script set in {script}: HTTP {} «{}». Check that the service script exists and is published.",
            r.status,
            r.snippet(80)
        )));
    }
    if r.body.trim().is_empty() {
        return Err(VoipError::provider(format!(
            "The directory script set in {script} returned nothing. Check the script's name and that it sets «Возвращаемое значение 1» (see README)."
        )));
    }
    members::parse_directory(&r.body)
        .map(|m| m.len())
        .map_err(|e| {
            VoipError::provider(format!(
                "The directory script set in {script} returned an unusable answer: {e}."
            ))
        })
}

/// The licence serial from `getlicenseinfo?detail=regserial`, or a classified failure.
fn license_serial(s: &Settings, input: &Input) -> Result<String, VoipError> {
    let r = api::response(s, "getlicenseinfo", input.response.as_ref())?;
    let body = r.body.trim().trim_start_matches('\u{feff}');
    let serial_like = !body.is_empty()
        && body.len() <= 16
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if r.status == 200 && serial_like && !api::is_html(r) {
        return Ok(body.to_string());
    }
    Err(VoipError::NotPbx {
        target: api::target(s),
        setting: "oktellUrl",
        detail: format!(
            "getlicenseinfo?detail=regserial gave HTTP {} «{}» instead of a licence serial",
            r.status,
            r.snippet(60)
        ),
    })
}
