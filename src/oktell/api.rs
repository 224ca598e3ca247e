//! Oktell's server web API: authenticated command URLs and classified answers.

use crate::error::VoipError;
use crate::fields::field;
use crate::http::{url_with_query, HttpRequest, HttpResponse, Outcome};
use crate::i18n::{oktell as m, t, Text};
use crate::settings::{OktellAuth, Settings};

/// Who we talk to, for messages.
pub fn target(s: &Settings) -> Text {
    t!(m::TARGET, &s.oktell().url)
}

/// `GET <oktellUrl>/<command>?params` with the configured auth (Basic header or `password=`).
pub fn command(s: &Settings, command: &str, params: &[(&str, &str)]) -> HttpRequest {
    let ok = s.oktell();
    let mut params: Vec<(&str, &str)> = params.to_vec();
    if let OktellAuth::QueryPassword(p) = &ok.auth {
        params.push(("password", p));
    }
    let req = HttpRequest::get(
        url_with_query(&ok.url, command, &params),
        s.timeout_sec,
        "oktellUrl",
    );
    match &ok.auth {
        OktellAuth::Basic { login, password } => {
            let token = crate::b64::encode(format!("{login}:{password}").as_bytes());
            req.header("Authorization", format!("Basic {token}"))
        }
        _ => req,
    }
}

/// Which settings to check when Oktell refuses us, worded for the auth mode in force.
pub fn auth_hint(s: &Settings) -> Text {
    let (login, password) = (field("oktellLogin"), field("oktellPassword"));
    match &s.oktell().auth {
        OktellAuth::None => t!(m::AUTH_HINT_NONE, login, password),
        OktellAuth::QueryPassword(_) => t!(m::AUTH_HINT_PASSWORD, password, login),
        OktellAuth::Basic { .. } => t!(m::AUTH_HINT_BASIC, login, password),
    }
}

/// The HTTP response to `what`, with network failures, answers over
/// [`crate::http::MAX_ANSWER_BYTES`] and 401/403 classified.
pub fn response<'a>(
    s: &Settings,
    what: &str,
    outcome: &'a Outcome,
) -> Result<&'a HttpResponse, VoipError> {
    if let Outcome::Response(r) = outcome {
        VoipError::check_answer_size(r, &target(s), "oktellUrl", what)?;
    }
    match outcome {
        Outcome::Response(r) if r.status == 401 || r.status == 403 => {
            Err(crate::error::Kind::AuthRejected {
                target: target(s),
                settings: auth_hint(s),
                detail: t!(m::AUTH_DETAIL, r.status, what),
            }
            .into())
        }
        Outcome::Response(r) => Ok(r),
        Outcome::Failure(f) => Err(VoipError::from_failure(
            f,
            &target(s),
            "oktellUrl",
            s.timeout_sec,
        )),
    }
}

/// Whether a response looks like an HTML page rather than an API answer.
pub fn is_html(r: &HttpResponse) -> bool {
    r.header("content-type").is_some_and(|c| c.contains("html"))
        || r.body.trim_start().starts_with('<') && r.body.to_ascii_lowercase().contains("<html")
}
