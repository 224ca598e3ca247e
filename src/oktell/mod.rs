//! Oktell: the contract functions as async functions over the server's HTTP web API.
//!
//! - `VoipTestConnection`: `getlicenseinfo?detail=regserial`, then the directory (below).
//! - `VoipGetMembers`: the directory from `oktellMembersScript` via `execsvcscriptplain` (falling
//!   back to `execsvcscript`'s XML when the plain answer is empty or the command is unknown, which
//!   also tells "no such script" from "the script returned nothing"), else from `oktellMembers`.
//! - `VoipGenerateCall`: `wp_autocallstart?user=<src>&number=<dst>&sequence=back`; never retried.
//! - `VoipParseWebhookRequest`: see [`webhook`].
//! - `VoipGetCallLink`: see [`link`].

pub mod api;
pub mod chain;
pub mod inbound;
pub mod link;
pub mod members;
pub mod webhook;
pub mod xml;

use crate::contract::{null, value, Json, Op};
use crate::contract::{Member, TestResult};
use crate::error::VoipError;
use crate::fields::field;
use crate::host::{self, Host};
use crate::http::{snippet, HttpRequest, HttpResponse, Outcome};
use crate::i18n::{oktell as m, t, Text};
use crate::phone::{self, Number};
use crate::settings::Settings;

/// Runs a contract call.
pub async fn run<H: Host>(op: Op, s: &Settings, host: &H) -> Result<Json, VoipError> {
    match op {
        Op::TestConnection => {
            let req = api::command(s, "getlicenseinfo", &[("detail", "regserial")]);
            let serial = license_serial(s, &host::fetch(host, &req).await?)?;
            let summary = t!(m::TEST_CONNECTED, api::target(s), serial);
            directory(s, host, Some(summary)).await
        }
        Op::GetMembers => directory(s, host, None).await,
        Op::GenerateCall { src, dst } => {
            let (req, user, number) = call_request(s, &src, &dst)?;
            // Sent once and never retried: a repeat would ring the operator twice.
            call_result(s, &host::fetch(host, &req).await?, &user, &number)
        }
        Op::ParseWebhook { request } => Ok(value(webhook::run(s, &request, host).await)),
        Op::GetCallLink { call_data } => link::call_link(s, &call_data).map(value),
        Op::OnWebhookUpdated { .. } => Ok(null()),
    }
}

fn success(s: &Settings, summary: Text, directory: Text) -> TestResult {
    // An empty webhookSecret fails the test after this (engine.rs, with the webhook's health).
    let message = t!(m::TEST_OK, summary, directory).render(s.lang);
    TestResult {
        success: true,
        fail_reason: None,
        message: Some(message),
    }
}

/// Reads the directory: the script if set (plain, then XML), else the static list, else a clear
/// error. `test` is the connection summary when `VoipTestConnection` asks.
async fn directory<H: Host>(s: &Settings, host: &H, test: Option<Text>) -> Result<Json, VoipError> {
    if s.oktell().members_script.is_none() {
        return static_directory(s, test);
    }
    let members = parse_members(&script_directory(s, host).await?)?;
    Ok(directory_done(s, test, members))
}

/// The directory script's answer text: `execsvcscriptplain`, else `execsvcscript` (XML).
async fn script_directory<H: Host>(s: &Settings, host: &H) -> Result<String, VoipError> {
    let script = s.oktell().members_script.as_deref().unwrap_or_default();
    let mut req = directory_request(s, script);
    match plain_directory(s, &host::fetch(host, &req).await?)? {
        Some(text) => Ok(text),
        None => {
            req.url = req
                .url
                .replacen("/execsvcscriptplain?", "/execsvcscript?", 1);
            xml_directory(s, &host::fetch(host, &req).await?)
        }
    }
}

/// Oktell's users for the caller lookup: the directory's logins and numbers.
pub struct Users<'a, H: Host> {
    /// The settings.
    pub s: &'a Settings,
    /// The host.
    pub host: &'a H,
}

impl<H: Host> crate::crm::Directory for Users<'_, H> {
    fn staff(&self) -> crate::crm::Boxed<'_, Result<Vec<crate::crm::Staff>, VoipError>> {
        Box::pin(self.staff_unboxed())
    }
}

impl<H: Host> Users<'_, H> {
    async fn staff_unboxed(&self) -> Result<Vec<crate::crm::Staff>, VoipError> {
        // An unusable directory is blamed on where it came from, as VoipGetMembers does.
        let entries = match &self.s.oktell().members_script {
            Some(_) => members::parse_entries(&script_directory(self.s, self.host).await?)
                .map_err(|e| script_error(t!(m::SCRIPT_UNUSABLE, e)))?,
            None => members::parse_entries(self.s.oktell().members.as_deref().unwrap_or_default())
                .map_err(|e| VoipError::setting("oktellMembers", t!(m::MEMBERS_UNUSABLE, e)))?,
        };
        Ok(entries
            .into_iter()
            .map(|(member, number)| crate::crm::Staff {
                id: member.id,
                email: String::new(),
                number,
            })
            .collect())
    }
}

/// The directory from `oktellMembers`, or the error (a note on success when testing).
pub(crate) fn static_directory(s: &Settings, test: Option<Text>) -> Result<Json, VoipError> {
    let ok = s.oktell();
    let members = match &ok.members {
        Some(text) => members::parse_directory(text)
            .map_err(|e| VoipError::setting("oktellMembers", t!(m::MEMBERS_UNUSABLE, e))),
        None => Err(VoipError::setting(
            "oktellMembersScript",
            t!(m::MEMBERS_NONE, field("oktellMembers")),
        )),
    };
    match (test, members) {
        (None, list) => list.map(value),
        (Some(summary), Ok(list)) => Ok(value(success(
            s,
            summary,
            t!(m::TEST_STATIC, field("oktellMembers"), list.len()),
        ))),
        (Some(summary), Err(e)) => {
            let note = match &s.oktell().members {
                Some(_) => e.text(),
                None => t!(
                    m::TEST_NO_DIRECTORY,
                    field("oktellMembersScript"),
                    field("oktellMembers")
                ),
            };
            Ok(value(success(s, summary, note)))
        }
    }
}

fn directory_done(s: &Settings, test: Option<Text>, members: Vec<Member>) -> Json {
    match test {
        None => value(members),
        Some(summary) => value(success(
            s,
            summary,
            t!(m::TEST_SCRIPT, field("oktellMembersScript"), members.len()),
        )),
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

/// A failure of the directory script: `what` says what it did.
fn script_error(what: Text) -> VoipError {
    VoipError::provider(t!(m::SCRIPT, field("oktellMembersScript"), what))
}

fn parse_members(text: &str) -> Result<Vec<Member>, VoipError> {
    members::parse_directory(text).map_err(|e| script_error(t!(m::SCRIPT_UNUSABLE, e)))
}

/// The directory text from `execsvcscriptplain`, or `None` when the XML variant should be asked.
fn plain_directory(s: &Settings, outcome: &Outcome) -> Result<Option<String>, VoipError> {
    let r = api::response(s, "execsvcscriptplain", outcome)?;
    match r.status {
        200 if api::is_html(r) => Err(not_oktell(s, "execsvcscriptplain", r)),
        200 if r.body.trim().is_empty() => Ok(None),
        200 => Ok(Some(r.body.clone())),
        404 | 405 | 501 => Ok(None),
        // A host whose fetch gives no status code: an error may be this build's missing command.
        _ if r.no_status => Ok(None),
        _ => Err(script_error(t!(
            m::SCRIPT_FAILED,
            r.status_text(),
            r.snippet(80)
        ))),
    }
}

/// The directory text from `execsvcscript`'s `oktellxmlmapper` answer, or why there is none.
pub(crate) fn xml_directory(s: &Settings, outcome: &Outcome) -> Result<String, VoipError> {
    let r = api::response(s, "execsvcscript", outcome)?;
    if r.status != 200 || api::is_html(r) {
        return Err(if r.status == 404 {
            not_oktell(s, "execsvcscript", r)
        } else {
            script_error(t!(m::SCRIPT_EMPTY_EXEC, r.status_text(), r.snippet(80)))
        });
    }
    let props = xml::parse_mapper(&xml::body_text(r))
        .map_err(|e| VoipError::provider(t!(m::XML_UNREADABLE, e)))?;
    let started = xml::prop(&props, "started").is_some_and(|p| p.value.trim() == "1");
    if !started {
        return Err(script_error(t!(m::SCRIPT_NOT_STARTED)));
    }
    let value = xml::prop(&props, "returnvalue").map(|p| {
        if p.value.trim().is_empty() {
            p.name.as_str()
        } else {
            p.value.as_str()
        }
    });
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Ok(v.to_string()),
        None => Err(script_error(t!(m::SCRIPT_NO_VALUE))),
    }
}

fn not_oktell(s: &Settings, what: &str, r: &HttpResponse) -> VoipError {
    crate::error::Kind::NotPbx {
        target: api::target(s),
        setting: "oktellUrl",
        detail: t!(m::NOT_OKTELL, what, r.status_text(), r.snippet(60)),
    }
    .into()
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
        return Err(VoipError::bad_input(t!(m::CALL_NO_USER)));
    }
    let number = phone::normalize(dst, &s.country_code)
        .ok_or_else(|| VoipError::bad_input(t!(m::CALL_BAD_NUMBER, snippet(dst, 40))))?;
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
fn call_result(
    s: &Settings,
    outcome: &Outcome,
    user: &str,
    number: &str,
) -> Result<Json, VoipError> {
    let r = api::response(s, "wp_autocallstart", outcome)?;
    match r.status {
        200 if !api::is_html(r) => Ok(null()),
        500 => {
            let said = r.snippet(160);
            // What Oktell said, quoted after a colon (the same punctuation in both languages).
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(": «{said}»")
            };
            Err(VoipError::provider(t!(
                m::CALL_REFUSED,
                snippet(user, 60),
                number,
                said
            )))
        }
        _ => Err(not_oktell(s, "wp_autocallstart", r)),
    }
}

/// The licence serial from `getlicenseinfo?detail=regserial`, or a classified failure.
fn license_serial(s: &Settings, outcome: &Outcome) -> Result<String, VoipError> {
    let r = api::response(s, "getlicenseinfo", outcome)?;
    let body = r.body.trim().trim_start_matches('\u{feff}');
    let serial_like = !body.is_empty()
        && body.len() <= 16
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if r.status == 200 && serial_like && !api::is_html(r) {
        return Ok(body.to_string());
    }
    Err(crate::error::Kind::NotPbx {
        target: api::target(s),
        setting: "oktellUrl",
        detail: t!(m::NOT_SERIAL, r.status_text(), r.snippet(60)),
    }
    .into())
}
