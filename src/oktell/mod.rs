//! Oktell: the contract functions as state machines over the server's HTTP web API.
//!
//! - `VoipTestConnection`: `getlicenseinfo?detail=regserial`, then the directory (below).
//! - `VoipGetMembers`: the directory from `oktellMembersScript` via `execsvcscriptplain` (falling
//!   back to `execsvcscript`'s XML when the plain answer is empty or the command is unknown, which
//!   also tells "no such script" from "the script returned nothing"), else from `oktellMembers`.
//! - `VoipGenerateCall`: `wp_autocallstart?user=<src>&number=<dst>&sequence=back`; never retried.
//! - `VoipParseWebhookRequest`: see [`webhook`].
//! - `VoipGetCallLink`: see [`link`].

pub mod api;
pub mod link;
pub mod members;
pub mod webhook;
pub mod xml;

use crate::contract::{Member, TestResult, WebhookResult};
use crate::engine::{Input, Op, Step};
use crate::error::VoipError;
use crate::http::{snippet, HttpRequest, HttpResponse, WebhookRequest};
use crate::phone::{self, Number};
use crate::settings::{describe, Settings};
use serde::Serialize;
use serde_json::Value;

/// Where an Oktell call is between steps.
#[derive(Debug, Serialize)]
pub enum Task {
    /// `VoipTestConnection`: waiting for `getlicenseinfo?detail=regserial`.
    TestLicense,
    /// The directory script through `execsvcscriptplain`; holds the connection summary when
    /// `VoipTestConnection` runs it.
    Directory(Option<String>),
    /// The same script through `execsvcscript` (XML): the fallback and the diagnosis.
    DirectoryXml(Option<String>),
    /// `VoipGenerateCall`: waiting for `wp_autocallstart` (operator login, number as sent).
    Call(String, String),
    /// `VoipParseWebhookRequest`: waiting for the stored call state. The request is decoded again
    /// on resume, so that only the request itself crosses the step boundary.
    Webhook(Box<WebhookRequest>),
}

impl Task {
    /// Reads back a task as serde wrote it (see [`crate::json::variant`]).
    pub fn from_value(v: &Value) -> Option<Task> {
        let (name, data) = crate::json::variant(v)?;
        let text = |d: &Value| d.as_str().map(String::from);
        Some(match name {
            "TestLicense" => Task::TestLicense,
            "Directory" => Task::Directory(text(data)),
            "DirectoryXml" => Task::DirectoryXml(text(data)),
            "Call" => Task::Call(text(data.get(0)?)?, text(data.get(1)?)?),
            "Webhook" => Task::Webhook(Box::new(WebhookRequest::from_value(data).ok()?)),
            _ => return None,
        })
    }
}

/// Starts a contract call.
pub fn start(op: Op, s: &Settings, _now_ms: f64) -> Step<Task> {
    match op {
        Op::TestConnection => Step::fetch(
            Task::TestLicense,
            api::command(s, "getlicenseinfo", &[("detail", "regserial")]),
        ),
        Op::GetMembers => directory(s, None),
        Op::GenerateCall { src, dst } => match call_request(s, &src, &dst) {
            Ok((req, user, number)) => Step::fetch(Task::Call(user, number), req),
            Err(e) => Step::fail(e),
        },
        Op::ParseWebhook { request } => match webhook::start(s, &request) {
            webhook::Start::Reply(r) => Step::done(WebhookResult::reply(r)),
            webhook::Start::Read(_, keys) => Step::read(Task::Webhook(Box::new(request)), keys),
        },
        Op::GetCallLink { call_data } => Step::finish(link::call_link(s, &call_data)),
        Op::OnWebhookUpdated { .. } => Step::done(Value::Null),
    }
}

/// Advances a contract call.
pub fn resume(task: Task, input: Input, s: &Settings, now_ms: f64) -> Step<Task> {
    match task {
        Task::TestLicense => match license_serial(s, &input) {
            Err(e) => Step::fail(e),
            Ok(serial) => directory(
                s,
                Some(format!(
                    "Connected to {}: licence reg. serial {serial}",
                    api::target(s)
                )),
            ),
        },
        Task::Directory(test) => match plain_directory(s, &input) {
            Err(e) => Step::fail(e),
            Ok(Some(members)) => directory_done(s, test, members),
            Ok(None) => {
                let script = s.oktell().members_script.as_deref().unwrap_or("");
                let mut req = directory_request(s, script);
                req.url = req
                    .url
                    .replacen("/execsvcscriptplain?", "/execsvcscript?", 1);
                Step::fetch(Task::DirectoryXml(test), req)
            }
        },
        Task::DirectoryXml(test) => match xml_directory(s, &input) {
            Err(e) => Step::fail(e),
            Ok(members) => directory_done(s, test, members),
        },
        Task::Call(user, number) => Step::finish(call_result(s, &input, &user, &number)),
        Task::Webhook(request) => match webhook::start(s, &request) {
            webhook::Start::Reply(r) => Step::done(WebhookResult::reply(r)),
            webhook::Start::Read(p, _) => {
                let (result, writes) = webhook::finish(p, &input, now_ms);
                let mut step = Step::done(result);
                step.set = writes;
                step
            }
        },
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

/// Starts reading the directory: the script if set, else the static list, else a clear error.
/// `test` is the connection summary when `VoipTestConnection` asks.
fn directory(s: &Settings, test: Option<String>) -> Step<Task> {
    let ok = s.oktell();
    if let Some(script) = &ok.members_script {
        return Step::fetch(Task::Directory(test), directory_request(s, script));
    }
    let members = match &ok.members {
        Some(text) => members::parse_directory(text).map_err(|e| {
            VoipError::setting("oktellMembers", format!("has an unusable {e}: fix that line"))
        }),
        None => Err(VoipError::setting(
            "oktellMembersScript",
            format!(
                "is empty, and so is {}: set the name of an Oktell service script that returns the user directory \
                 (see README, «Oktell: the user directory»), or type the users into {}, one login;name[;number] per line",
                describe("oktellMembers"),
                describe("oktellMembers")
            ),
        )),
    };
    match (test, members) {
        (None, m) => Step::finish(m),
        (Some(summary), Ok(m)) => Step::finish(Ok(success(
            s,
            summary,
            format!(
                "static directory in {}: {} users",
                describe("oktellMembers"),
                m.len()
            ),
        ))),
        (Some(summary), Err(e)) => {
            let note = match &s.oktell().members {
                Some(_) => e.to_string(),
                None => format!(
                    "no user directory yet: set {} or {}",
                    describe("oktellMembersScript"),
                    describe("oktellMembers")
                ),
            };
            Step::finish(Ok(success(s, summary, note)))
        }
    }
}

fn directory_done(s: &Settings, test: Option<String>, members: Vec<Member>) -> Step<Task> {
    match test {
        None => Step::done(members),
        Some(summary) => Step::finish(Ok(success(
            s,
            summary,
            format!(
                "directory script {}: {} users",
                describe("oktellMembersScript"),
                members.len()
            ),
        ))),
    }
}

/// `execsvcscriptplain` for the directory script.
pub fn directory_request(s: &Settings, script: &str) -> HttpRequest {
    let timeout = s.timeout_sec.saturating_sub(1).max(1).to_string();
    api::command(
        s,
        "execsvcscriptplain",
        &[("name", script), ("async", "0"), ("timeout", &timeout)],
    )
}

fn script_error(what: String) -> VoipError {
    VoipError::provider(format!(
        "The directory script set in {} {what}",
        describe("oktellMembersScript")
    ))
}

fn parse_members(text: &str) -> Result<Vec<Member>, VoipError> {
    members::parse_directory(text)
        .map_err(|e| script_error(format!("returned an unusable answer: {e}.")))
}

/// The members from `execsvcscriptplain`, or `None` when the XML variant should be asked.
fn plain_directory(s: &Settings, input: &Input) -> Result<Option<Vec<Member>>, VoipError> {
    let r = api::response(s, "execsvcscriptplain", input.response.as_ref())?;
    match r.status {
        200 if api::is_html(r) => Err(not_oktell(s, "execsvcscriptplain", r)),
        200 if r.body.trim().is_empty() => Ok(None),
        200 => parse_members(&r.body).map(Some),
        404 | 405 | 501 => Ok(None),
        status => Err(script_error(format!(
            "failed in Oktell: HTTP {status} «{}». Check that the service script exists, is published and runs without errors.",
            r.snippet(80)
        ))),
    }
}

/// The members from `execsvcscript`'s `oktellxmlmapper` answer, or why there are none.
fn xml_directory(s: &Settings, input: &Input) -> Result<Vec<Member>, VoipError> {
    let r = api::response(s, "execsvcscript", input.response.as_ref())?;
    if r.status != 200 || api::is_html(r) {
        return Err(if r.status == 404 {
            not_oktell(s, "execsvcscript", r)
        } else {
            script_error(format!(
                "returned nothing, and execsvcscript gave HTTP {} «{}».",
                r.status,
                r.snippet(80)
            ))
        });
    }
    let props = xml::parse_mapper(&xml::body_text(r)).map_err(|e| {
        VoipError::provider(format!(
            "Oktell answered execsvcscript with unreadable XML ({e})."
        ))
    })?;
    let started = xml::prop(&props, "started").is_some_and(|p| p.value.trim() == "1");
    if !started {
        return Err(script_error(
            "returned nothing: Oktell did not start it (execsvcscript says started=0). Check the script's name and that it is published as a service script.".into(),
        ));
    }
    let value = xml::prop(&props, "returnvalue").map(|p| {
        if p.value.trim().is_empty() {
            p.name.as_str()
        } else {
            p.value.as_str()
        }
    });
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => parse_members(v),
        None => Err(script_error(
            "returned nothing: it ran, but set no «Возвращаемое значение 1». See README, «Oktell: the user directory».".into(),
        )),
    }
}

fn not_oktell(s: &Settings, what: &str, r: &HttpResponse) -> VoipError {
    VoipError::NotPbx {
        target: api::target(s),
        setting: "oktellUrl",
        detail: format!("{what} gave HTTP {} «{}»", r.status, r.snippet(60)),
    }
}

/// `wp_autocallstart?user=<src>&number=<dst>&sequence=back` (+ `direction=pbx` for an internal
/// number), with the operator login and the number as sent.
pub fn call_request(
    s: &Settings,
    src: &str,
    dst: &str,
) -> Result<(HttpRequest, String, String), VoipError> {
    let user = src.trim();
    if user.is_empty() {
        return Err(VoipError::bad_input(
            "VoipGenerateCall got no employee (srcPhone is empty): map the ELMA365 user to an Oktell login in «Настроить».",
        ));
    }
    let number = phone::normalize(dst, &s.country_code).ok_or_else(|| {
        VoipError::bad_input(format!(
            "VoipGenerateCall got «{}» as the number to call, which is not a phone number.",
            snippet(dst, 40)
        ))
    })?;
    let digits = number.bare().to_string();
    let mut params = vec![
        ("user", user),
        ("number", digits.as_str()),
        ("sequence", "back"),
    ];
    if let Number::Internal(_) = number {
        params.push(("direction", "pbx"));
    }
    Ok((
        api::command(s, "wp_autocallstart", &params),
        user.to_string(),
        number.as_str().to_string(),
    ))
}

/// `wp_autocallstart`'s answer: 200 = started; 500 = Oktell refused; 401/403 = credentials.
fn call_result(s: &Settings, input: &Input, user: &str, number: &str) -> Result<Value, VoipError> {
    let r = api::response(s, "wp_autocallstart", input.response.as_ref())?;
    match r.status {
        200 if !api::is_html(r) => Ok(Value::Null),
        500 => {
            let said = r.snippet(160);
            Err(VoipError::provider(format!(
                "Oktell could not start the call for user «{user}» to {number}{}. Check that «{user}» is an Oktell login (the member id from «Настроить») and that the user's phone line is registered and free.",
                if said.is_empty() { String::new() } else { format!(": «{said}»") }
            )))
        }
        _ => Err(not_oktell(s, "wp_autocallstart", r)),
    }
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

#[cfg(test)]
mod tests;
