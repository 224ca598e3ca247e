//! `VoipGetCallLink` for Oktell: a URL the user's browser can play, never carrying credentials.
//!
//! A call record's `call` is `{"record": "<what the scenario webhook's hangup sent>"}` (native CRM
//! events carry no recording, so their records have `call: null`). The `record` value may be:
//! - an absolute `http(s)://` URL (e.g. a reverse-proxy path or a public download script the
//!   admin's scenario builds): returned as it is;
//! - a path such as `/download/rec/<id>`: made absolute against `oktellUrl`;
//! - a bare recording code: `<oktellUrl>/downloadrecordbylink?recordlink=<code>`.
//!
//! The module never adds the Web-API login or password, and refuses a link that carries a password
//! (`user:password@`, a `password=` parameter, or the value of any secret setting).

use crate::error::VoipError;
use crate::http::url_with_query;
use crate::i18n::{oktell as m, t};
use crate::settings::Settings;
use serde_json::Value;

/// The playable URL for `call`, or a clear reason why there is none.
pub fn call_link(s: &Settings, call: &Value) -> Result<String, VoipError> {
    let record = call
        .as_str()
        .or_else(|| call.get("record").and_then(Value::as_str))
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| VoipError::bad_input(t!(m::LINK_NO_RECORD)))?;
    let base = &s.oktell().url;
    let lower = record.to_ascii_lowercase();
    let url = if lower.starts_with("http://") || lower.starts_with("https://") {
        record.to_string()
    } else if record.starts_with('/') {
        format!("{base}{record}")
    } else if record.contains(['/', '?']) {
        format!("{base}/{record}")
    } else {
        url_with_query(base, "downloadrecordbylink", &[("recordlink", record)])
    };
    if carries_credentials(s, &url) {
        return Err(VoipError::bad_input(t!(m::LINK_CREDENTIALS)));
    }
    Ok(url)
}

/// Whether `url` holds a password: `user:pass@host`, a `password=`/`pass=`/`pwd=` parameter, or
/// any configured secret.
pub fn carries_credentials(s: &Settings, url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let after_scheme = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    authority.contains('@')
        || ["password=", "pass=", "pwd=", "passwd="]
            .iter()
            .any(|k| lower.contains(&format!("?{k}")) || lower.contains(&format!("&{k}")))
        || s.secrets().iter().any(|secret| url.contains(secret))
}
