//! Errors an admin can act on: what failed, which setting is involved, and what to check.

use crate::fields::field;
use crate::http::{snippet, Failure, HttpResponse, MAX_ANSWER_BYTES};
use crate::i18n::{capitalised, common as m, t, Lang, Text};
use serde::Serialize;
use std::fmt;

/// The longest piece of foreign text (a PBX's words, a network or storage error) a message quotes.
pub const MAX_QUOTE_CHARS: usize = 300;

/// Every failure the module reports: a [`Kind`] on the heap, so that a `Result` carrying one is a
/// pointer wide, not the 60 bytes of the largest kind, where the async code moves it from state to
/// state (ARCHITECTURE.md, "Where the core's bytes are"). It reads as its kind (`Deref`);
/// [`Kind::render`] gives the full admin-facing sentence in the admin's language; `Display` gives it
/// in English (for logs and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoipError(Box<Kind>);

impl From<Kind> for VoipError {
    fn from(kind: Kind) -> VoipError {
        VoipError(Box::new(kind))
    }
}

impl std::ops::Deref for VoipError {
    type Target = Kind;

    fn deref(&self) -> &Kind {
        &self.0
    }
}

/// What failed, with what the admin needs to act on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A settings field is missing or malformed.
    Setting {
        /// The field code.
        code: &'static str,
        /// What is wrong with it.
        problem: Text,
    },
    /// DNS failed or the connection was refused.
    Unreachable {
        /// What we tried to reach, e.g. "the Oktell server at http://h:4055".
        target: Text,
        /// The settings field holding the address.
        setting: &'static str,
        /// The network error's own text.
        detail: String,
    },
    /// No answer within `requestTimeoutSec`.
    Timeout {
        /// What we tried to reach.
        target: Text,
        /// The timeout in seconds.
        secs: u32,
    },
    /// The TLS handshake or certificate check failed.
    Tls {
        /// What we tried to reach.
        target: Text,
        /// The settings field holding the address.
        setting: &'static str,
        /// The TLS error's own text.
        detail: String,
    },
    /// The PBX rejected our credentials.
    AuthRejected {
        /// What rejected us.
        target: Text,
        /// The settings fields to check.
        settings: Text,
        /// What the PBX said.
        detail: Text,
    },
    /// The server answered, but not the way this PBX would.
    NotPbx {
        /// What answered.
        target: Text,
        /// The settings field holding the address.
        setting: &'static str,
        /// What it answered.
        detail: Text,
    },
    /// The PBX answered with an error of its own.
    Provider {
        /// The whole sentence, including the provider's text.
        message: Text,
    },
    /// ELMA365's storage (`Namespace.storage`) failed under the module.
    Storage {
        /// Whether a write failed (else a read).
        write: bool,
        /// The storage's own error text.
        detail: String,
    },
    /// A fault inside the module itself (its shim or core), never a network problem.
    Module {
        /// What went wrong.
        detail: Text,
    },
    /// The input handed to the module (by ELMA365 or a webhook) is unusable.
    BadInput {
        /// The whole sentence.
        message: Text,
    },
}

impl VoipError {
    /// A settings problem: the field, then `problem`.
    pub fn setting(code: &'static str, problem: impl Into<Text>) -> VoipError {
        Kind::Setting {
            code,
            problem: problem.into(),
        }
        .into()
    }

    /// A provider-side failure with a complete sentence.
    pub fn provider(message: impl Into<Text>) -> VoipError {
        Kind::Provider {
            message: message.into(),
        }
        .into()
    }

    /// Unusable input with a complete sentence.
    pub fn bad_input(message: impl Into<Text>) -> VoipError {
        Kind::BadInput {
            message: message.into(),
        }
        .into()
    }

    /// A fault of the module itself.
    pub fn module(detail: impl Into<Text>) -> VoipError {
        Kind::Module {
            detail: detail.into(),
        }
        .into()
    }

    /// A failed storage read (`write` false) or write, with the storage's own text.
    pub fn storage(write: bool, detail: &str) -> VoipError {
        Kind::Storage {
            write,
            detail: snippet(detail, 200),
        }
        .into()
    }

    /// Refuses an answer with more than [`MAX_ANSWER_BYTES`] of body, as not the PBX's: `what`
    /// names the request, `target` and `setting` what answered and where its address is set.
    pub fn check_answer_size(
        r: &HttpResponse,
        target: &Text,
        setting: &'static str,
        what: &str,
    ) -> Result<(), VoipError> {
        let size = r.body_bytes();
        if size <= MAX_ANSWER_BYTES {
            return Ok(());
        }
        Err(Kind::NotPbx {
            target: target.clone(),
            setting,
            detail: t!(m::ANSWER_TOO_LARGE, what, size, MAX_ANSWER_BYTES),
        }
        .into())
    }

    /// Classifies a failed fetch (no HTTP response at all) into unreachable / timeout / TLS.
    pub fn from_failure(
        failure: &Failure,
        target: &Text,
        setting: &'static str,
        timeout_secs: u32,
    ) -> VoipError {
        let detail = failure.detail();
        if failure.module {
            return VoipError::module(t!(m::MODULE_WHILE, target.clone(), detail));
        }
        let code = failure.code.to_ascii_uppercase();
        let text = failure.message.to_ascii_lowercase();
        if failure.timed_out
            || code == "ETIMEDOUT"
            || code == "UND_ERR_CONNECT_TIMEOUT"
            || text.contains("timeout")
            || text.contains("timed out")
        {
            return Kind::Timeout {
                target: target.clone(),
                secs: timeout_secs,
            }
            .into();
        }
        let tls_codes = [
            "CERT",
            "SSL",
            "TLS",
            "SELF_SIGNED",
            "UNABLE_TO_VERIFY",
            "UNABLE_TO_GET_ISSUER",
            "EPROTO",
            "HOSTNAME_MISMATCH",
            "ALTNAME",
        ];
        if tls_codes.iter().any(|c| code.contains(c))
            || text.contains("certificate")
            || text.contains("ssl")
            || text.contains("tls")
        {
            return Kind::Tls {
                target: target.clone(),
                setting,
                detail,
            }
            .into();
        }
        Kind::Unreachable {
            target: target.clone(),
            setting,
            detail,
        }
        .into()
    }
}

impl Kind {
    /// A short stable name of the variant, for the JS side and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            Kind::Setting { .. } => "setting",
            Kind::Unreachable { .. } => "unreachable",
            Kind::Timeout { .. } => "timeout",
            Kind::Tls { .. } => "tls",
            Kind::AuthRejected { .. } => "auth",
            Kind::NotPbx { .. } => "not_pbx",
            Kind::Provider { .. } => "provider",
            Kind::Storage { .. } => "storage",
            Kind::Module { .. } => "module",
            Kind::BadInput { .. } => "bad_input",
        }
    }

    /// The whole message as a text of the catalogue.
    pub fn text(&self) -> Text {
        match self {
            Kind::Setting { code, problem } => {
                t!(m::ERR_SETTING, field(code), problem.clone())
            }
            Kind::Unreachable {
                target,
                setting,
                detail,
            } => {
                t!(m::ERR_UNREACHABLE, target.clone(), detail, field(setting))
            }
            Kind::Timeout { target, secs } => {
                t!(
                    m::ERR_TIMEOUT,
                    target.clone(),
                    *secs,
                    field("requestTimeoutSec")
                )
            }
            Kind::Tls {
                target,
                setting,
                detail,
            } => {
                t!(m::ERR_TLS, target.clone(), detail, field(setting))
            }
            Kind::AuthRejected {
                target,
                settings,
                detail,
            } => {
                t!(
                    m::ERR_AUTH,
                    target.clone(),
                    detail.clone(),
                    settings.clone()
                )
            }
            Kind::NotPbx {
                target,
                setting,
                detail,
            } => {
                t!(
                    m::ERR_NOT_PBX,
                    target.clone(),
                    detail.clone(),
                    field(setting)
                )
            }
            Kind::Storage { write, detail } => {
                let msg = if *write {
                    m::ERR_STORAGE_WRITE
                } else {
                    m::ERR_STORAGE_READ
                };
                Text::of(msg, [detail.into()])
            }
            Kind::Module { detail } => t!(
                m::ERR_MODULE,
                crate::VERSION,
                snippet(&detail.to_string(), MAX_QUOTE_CHARS)
            ),
            Kind::Provider { message } | Kind::BadInput { message } => message.clone(),
        }
    }

    /// The whole admin-facing sentence in `lang`. A sentence that starts with its target (`the
    /// Oktell server …`) starts with a capital letter.
    pub fn render(&self, lang: Lang) -> String {
        let text = self.text().render(lang);
        match self {
            Kind::AuthRejected { .. } | Kind::NotPbx { .. } => capitalised(text),
            _ => text,
        }
    }
}

impl fmt::Display for VoipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// The error as it crosses to JS: a kind and the message (already scrubbed of secrets).
#[derive(Serialize, Debug)]
pub struct ErrorOut {
    /// [`VoipError::kind`].
    pub kind: &'static str,
    /// The admin-facing message.
    pub message: String,
}

/// Replaces every secret in `text` with `***`, and masks the value after every `password=`,
/// `token=` and `sign=` (any case; the value ends at `&`, whitespace, `"` or `'`). Linear in the
/// length of `text`: one linear search per secret, then one pass for the parameters.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut masked = std::borrow::Cow::Borrowed(text);
    for s in secrets {
        if !s.is_empty() && masked.contains(s) {
            masked = masked.replace(s, "***").into();
        }
    }
    mask_parameters(&masked)
}

/// The one pass of [`scrub`] over `password=` / `token=` / `sign=` values.
fn mask_parameters(text: &str) -> String {
    const KEYS: [&[u8]; 3] = [b"password=", b"token=", b"sign="];
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // `text[..copied]` is in `out` already.
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        // The keys are ASCII, so a match starts at a character boundary.
        let Some(key) = KEYS.iter().find(|k| {
            bytes
                .get(i..i + k.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(k))
        }) else {
            i += 1;
            continue;
        };
        let start = i + key.len();
        let end = text[start..]
            .find(|c: char| c == '&' || c.is_whitespace() || c == '"' || c == '\'')
            .map_or(text.len(), |j| start + j);
        out.push_str(&text[copied..start]);
        out.push_str("***");
        copied = end;
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

impl ErrorOut {
    /// Builds the JS-facing error in `lang`, scrubbing the given secrets from the message.
    pub fn new(err: &VoipError, secrets: &[&str], lang: Lang) -> ErrorOut {
        ErrorOut {
            kind: err.kind(),
            message: scrub(&err.render(lang), secrets),
        }
    }
}

impl crate::json::ToJson for ErrorOut {
    fn write_json(&self, out: &mut String) {
        crate::json::Obj::new(out)
            .field("kind", self.kind)
            .field("message", &self.message)
            .end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str, message: &str) -> Failure {
        Failure {
            code: code.into(),
            message: message.into(),
            timed_out: false,
            ..Default::default()
        }
    }

    /// `capitalised` raises only an ASCII letter: every target that can start these two sentences,
    /// in both languages, must come out with a capital (or a letter that has no case).
    #[test]
    fn auth_and_not_pbx_sentences_start_with_a_capital_in_both_languages() {
        use crate::i18n::{crm, oktell, rostelecom};
        let targets = [
            t!(oktell::TARGET, "http://pbx:4055"),
            t!(rostelecom::TARGET, "https://api.example"),
            t!(crm::API_TARGET, "https://co.elma365.ru"),
        ];
        for target in targets {
            let errors: [VoipError; 2] = [
                Kind::AuthRejected {
                    target: target.clone(),
                    settings: Text::raw("oktellLogin"),
                    detail: Text::raw("401"),
                }
                .into(),
                Kind::NotPbx {
                    target: target.clone(),
                    setting: "oktellUrl",
                    detail: Text::raw("<html>"),
                }
                .into(),
            ];
            for e in errors {
                for lang in [Lang::Ru, Lang::En] {
                    let text = e.render(lang);
                    let first = text.chars().next().unwrap();
                    assert!(!first.is_lowercase(), "{text}");
                }
            }
        }
        assert_eq!(capitalised("the server".into()), "The server");
        assert_eq!(capitalised("Учётные".into()), "Учётные");
        assert_eq!(capitalised(String::new()), "");
    }

    #[test]
    fn a_fault_of_the_fetch_adapter_is_the_module_s_never_the_network_s() {
        let f = Failure {
            message: "the host's fetch resolved to no response object".into(),
            module: true,
            ..failure("ECONNREFUSED", "")
        };
        let e = VoipError::from_failure(
            &f,
            &Text::raw("the Oktell server at http://h:1"),
            "oktellUrl",
            5,
        );
        assert_eq!(e.kind(), "module");
        let text = e.to_string();
        assert!(
            text.starts_with("Internal error in the elma365-voip module"),
            "{text}"
        );
        assert!(text.contains("not a network or PBX problem"), "{text}");
        assert!(!text.contains("Cannot reach"), "{text}");
    }

    #[test]
    fn a_status_less_answer_says_so() {
        let r = HttpResponse {
            status: 500,
            no_status: true,
            ..Default::default()
        };
        assert_eq!(
            r.status_text().to_string(),
            "an error without a status code (the host's fetch gives only `ok`)"
        );
        let ok = HttpResponse {
            status: 404,
            ..Default::default()
        };
        assert_eq!(ok.status_text().to_string(), "HTTP 404");
    }

    #[test]
    fn network_failures_are_classified() {
        let t = &Text::raw("the Oktell server at http://h:1");
        assert_eq!(
            VoipError::from_failure(
                &failure("ECONNREFUSED", "connect ECONNREFUSED"),
                t,
                "oktellUrl",
                10
            )
            .kind(),
            "unreachable"
        );
        assert_eq!(
            VoipError::from_failure(
                &failure("ENOTFOUND", "getaddrinfo ENOTFOUND h"),
                t,
                "oktellUrl",
                10
            )
            .kind(),
            "unreachable"
        );
        assert_eq!(
            VoipError::from_failure(
                &failure("DEPTH_ZERO_SELF_SIGNED_CERT", "self signed certificate"),
                t,
                "oktellUrl",
                10
            )
            .kind(),
            "tls"
        );
        assert_eq!(
            VoipError::from_failure(&failure("", "request-timeout"), t, "oktellUrl", 10).kind(),
            "timeout"
        );
        let timed_out = Failure {
            timed_out: true,
            ..failure("", "")
        };
        let e = VoipError::from_failure(&timed_out, t, "oktellUrl", 7);
        assert!(e.to_string().contains("within 7 s"), "{e}");
    }

    /// The implementation `scrub` had before it was made linear: the reference for its outputs.
    fn quadratic_scrub(text: &str, secrets: &[&str]) -> String {
        let mut out = text.to_string();
        for s in secrets {
            if !s.is_empty() {
                out = out.replace(s, "***");
            }
        }
        for key in ["password=", "token=", "sign="] {
            let mut from = 0;
            while let Some(i) = out[from..].to_ascii_lowercase().find(key) {
                let start = from + i + key.len();
                let end = out[start..]
                    .find(|c: char| c == '&' || c.is_whitespace() || c == '"' || c == '\'')
                    .map_or(out.len(), |j| start + j);
                if &out[start..end] != "***" {
                    out.replace_range(start..end, "***");
                }
                from = start + 3;
            }
        }
        out
    }

    #[test]
    fn scrub_gives_what_the_quadratic_version_gave() {
        let pieces = [
            "password=",
            "PassWord=",
            "token=",
            "TOKEN=",
            "sign=",
            "SiGn=",
            "&",
            " ",
            "\"",
            "'",
            "***",
            "*",
            "hunter2",
            "hunt",
            "er2",
            "x",
            "=",
            "ё",
            "\u{3000}",
            "pass",
            "tok",
            "en=",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(12);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            let secrets: &[&str] = match next(4) {
                0 => &[],
                1 => &["hunter2"],
                2 => &["hunt", "er2"],
                _ => &["x", "", "hunter2"],
            };
            assert_eq!(
                scrub(&text, secrets),
                quadratic_scrub(&text, secrets),
                "{text:?} {secrets:?}"
            );
        }
    }

    #[test]
    fn scrub_of_a_megabyte_full_of_matches_finishes() {
        let unit = "GET /x?token=abc&password=hunter2 sign=ff Token=hunter2&";
        let text = unit.repeat(1_048_576 / unit.len() + 1);
        let s = scrub(&text, &["hunter2", "abc"]);
        assert!(!s.contains("hunter2") && !s.contains("abc") && !s.contains("ff "));
        assert!(
            s.starts_with("GET /x?token=***&password=*** sign=*** Token=***&GET"),
            "{}",
            &s[..80]
        );
    }

    #[test]
    fn answers_over_a_megabyte_are_refused_as_not_the_pbx() {
        let mut r = HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: "x".repeat(MAX_ANSWER_BYTES),
            ..Default::default()
        };
        let check = |r: &HttpResponse| {
            VoipError::check_answer_size(
                r,
                &Text::raw("the PBX at http://h"),
                "oktellUrl",
                "getlicenseinfo",
            )
        };
        assert_eq!(check(&r), Ok(()));
        r.body.push('y');
        let e = check(&r).unwrap_err();
        assert_eq!(e.kind(), "not_pbx");
        let m = e.to_string();
        for part in [
            "getlicenseinfo",
            "1048577 bytes",
            "1048576",
            "too large",
            "oktellUrl",
        ] {
            assert!(m.contains(part), "{m} lacks {part}");
        }
        // Raw bytes cross as one Latin-1 character each: counted as bytes, not as UTF-8.
        let raw = HttpResponse {
            status: 200,
            headers: vec![(crate::http::RAW_BODY_HEADER.into(), "latin1".into())],
            body: "\u{ff}".repeat(MAX_ANSWER_BYTES),
            ..Default::default()
        };
        assert_eq!(check(&raw), Ok(()));
    }

    #[test]
    fn foreign_text_in_messages_is_cut() {
        let long = "e".repeat(100_000);
        let f = failure(&long, &long);
        assert!(f.detail().chars().count() < 250, "{}", f.detail().len());
        let e: VoipError = Kind::Module {
            detail: Text::raw(long.clone()),
        }
        .into();
        assert!(e.to_string().chars().count() < 500);
        assert!(VoipError::storage(false, &long).to_string().chars().count() < 500);
    }

    #[test]
    fn scrub_masks_secrets_and_password_parameters() {
        let s = scrub(
            "request to http://h/getlicenseinfo?detail=regserial&password=hunter2 failed, hunter2",
            &["hunter2"],
        );
        assert!(!s.contains("hunter2"), "{s}");
        let s = scrub("GET /x?token=abc&y=1 and PASSWORD=zz", &[]);
        assert_eq!(s, "GET /x?token=***&y=1 and PASSWORD=***");
    }
}
