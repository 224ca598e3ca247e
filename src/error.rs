//! Errors an admin can act on: what failed, which setting is involved, and what to check.

use crate::http::{snippet, Failure, HttpResponse};
use crate::settings::describe;
use serde::Serialize;
use std::fmt;

/// The largest PBX answer the module reads: 1 MB (1,048,576 bytes) of body. No answer to the
/// module's requests comes near it; anything larger is refused before it is parsed.
pub const MAX_ANSWER_BYTES: usize = 1_048_576;

/// The longest piece of foreign text (a PBX's words, a network or storage error) a message quotes.
pub const MAX_QUOTE_CHARS: usize = 300;

/// Every failure the module reports. `Display` gives the full admin-facing sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoipError {
    /// A settings field is missing or malformed.
    Setting {
        /// The field code.
        code: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// DNS failed or the connection was refused.
    Unreachable {
        /// What we tried to reach, e.g. "the Oktell server at http://h:4055".
        target: String,
        /// The settings field holding the address.
        setting: &'static str,
        /// The network error's own text.
        detail: String,
    },
    /// No answer within `requestTimeoutSec`.
    Timeout {
        /// What we tried to reach.
        target: String,
        /// The timeout in seconds.
        secs: u32,
    },
    /// The TLS handshake or certificate check failed.
    Tls {
        /// What we tried to reach.
        target: String,
        /// The settings field holding the address.
        setting: &'static str,
        /// The TLS error's own text.
        detail: String,
    },
    /// The PBX rejected our credentials.
    AuthRejected {
        /// What rejected us.
        target: String,
        /// The settings fields to check, already described.
        settings: String,
        /// What the PBX said.
        detail: String,
    },
    /// The server answered, but not the way this PBX would.
    NotPbx {
        /// What answered.
        target: String,
        /// The settings field holding the address.
        setting: &'static str,
        /// What it answered.
        detail: String,
    },
    /// The PBX answered with an error of its own.
    Provider {
        /// The whole sentence, including the provider's text.
        message: String,
    },
    /// ELMA365's storage (`Namespace.storage`) failed under the module.
    Storage {
        /// `read` or `write`.
        action: &'static str,
        /// The storage's own error text.
        detail: String,
    },
    /// A fault inside the module itself (its shim or core), never a network problem.
    Module {
        /// What went wrong.
        detail: String,
    },
    /// The input handed to the module (by ELMA365 or a webhook) is unusable.
    BadInput {
        /// The whole sentence.
        message: String,
    },
}

impl VoipError {
    /// A settings problem: `code («label») <problem>`.
    pub fn setting(code: &'static str, problem: impl Into<String>) -> VoipError {
        VoipError::Setting {
            code,
            problem: problem.into(),
        }
    }

    /// A provider-side failure with a complete sentence.
    pub fn provider(message: impl Into<String>) -> VoipError {
        VoipError::Provider {
            message: message.into(),
        }
    }

    /// Unusable input with a complete sentence.
    pub fn bad_input(message: impl Into<String>) -> VoipError {
        VoipError::BadInput {
            message: message.into(),
        }
    }

    /// A failed storage `read` or `write`, with the storage's own text.
    pub fn storage(action: &'static str, detail: &str) -> VoipError {
        VoipError::Storage {
            action,
            detail: snippet(detail, 200),
        }
    }

    /// Refuses an answer with more than [`MAX_ANSWER_BYTES`] of body, as not the PBX's: `what`
    /// names the request, `target` and `setting` what answered and where its address is set.
    pub fn check_answer_size(
        r: &HttpResponse,
        target: &str,
        setting: &'static str,
        what: &str,
    ) -> Result<(), VoipError> {
        let size = r.body_bytes();
        if size <= MAX_ANSWER_BYTES {
            return Ok(());
        }
        Err(VoipError::NotPbx {
            target: target.to_string(),
            setting,
            detail: format!(
                "its answer to {what} is too large: {size} bytes, over the limit of {MAX_ANSWER_BYTES} bytes (1 MB)"
            ),
        })
    }

    /// Classifies a failed fetch (no HTTP response at all) into unreachable / timeout / TLS.
    pub fn from_failure(
        failure: &Failure,
        target: &str,
        setting: &'static str,
        timeout_secs: u32,
    ) -> VoipError {
        let detail = failure.detail();
        if failure.module {
            return VoipError::Module {
                detail: format!("while talking to {target}: {detail}"),
            };
        }
        let code = failure.code.to_ascii_uppercase();
        let text = failure.message.to_ascii_lowercase();
        if failure.timed_out
            || code == "ETIMEDOUT"
            || code == "UND_ERR_CONNECT_TIMEOUT"
            || text.contains("timeout")
            || text.contains("timed out")
        {
            return VoipError::Timeout {
                target: target.to_string(),
                secs: timeout_secs,
            };
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
            return VoipError::Tls {
                target: target.to_string(),
                setting,
                detail,
            };
        }
        VoipError::Unreachable {
            target: target.to_string(),
            setting,
            detail,
        }
    }

    /// A short stable name of the variant, for the JS side and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            VoipError::Setting { .. } => "setting",
            VoipError::Unreachable { .. } => "unreachable",
            VoipError::Timeout { .. } => "timeout",
            VoipError::Tls { .. } => "tls",
            VoipError::AuthRejected { .. } => "auth",
            VoipError::NotPbx { .. } => "not_pbx",
            VoipError::Provider { .. } => "provider",
            VoipError::Storage { .. } => "storage",
            VoipError::Module { .. } => "module",
            VoipError::BadInput { .. } => "bad_input",
        }
    }
}

impl fmt::Display for VoipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VoipError::Setting { code, problem } => write!(f, "{} {problem}", describe(code)),
            VoipError::Unreachable { target, setting, detail } => write!(
                f,
                "Cannot reach {target}: {detail}. Check {} (host name and port) and that this ELMA365 server can reach it through firewalls.",
                describe(setting)
            ),
            VoipError::Timeout { target, secs } => write!(
                f,
                "No answer from {target} within {secs} s. Check that the server is up and not overloaded, or raise {}.",
                describe("requestTimeoutSec")
            ),
            VoipError::Tls { target, setting, detail } => write!(
                f,
                "TLS failure talking to {target}: {detail}. Check the server's certificate (expired, self-signed, or issued by a CA this ELMA365 server does not trust, such as the Russian Trusted CA) or use the right scheme in {}.",
                describe(setting)
            ),
            VoipError::AuthRejected { target, settings, detail } => {
                write!(f, "{} rejected the credentials ({detail}). Check {settings}.", capitalise(target))
            }
            VoipError::NotPbx { target, setting, detail } => write!(
                f,
                "{} answered, but not like the PBX would ({detail}). Check that {} points at the right service and port.",
                capitalise(target),
                describe(setting)
            ),
            VoipError::Storage { action, detail } => write!(
                f,
                "The ELMA365 module storage (Namespace.storage) failed to {action}: {detail}. This is the ELMA365 server's side, not the PBX: check the server's storage and logs."
            ),
            VoipError::Module { detail } => write!(
                f,
                "Internal error in the elma365-voip module {} (not a network or PBX problem): {}. Please report it with this text.",
                crate::VERSION,
                snippet(detail, MAX_QUOTE_CHARS)
            ),
            VoipError::Provider { message } | VoipError::BadInput { message } => f.write_str(message),
        }
    }
}

/// `the Oktell server` → `The Oktell server`, for targets that start a sentence.
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
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
    /// Builds the JS-facing error, scrubbing the given secrets from the message.
    pub fn new(err: &VoipError, secrets: &[&str]) -> ErrorOut {
        ErrorOut {
            kind: err.kind(),
            message: scrub(&err.to_string(), secrets),
        }
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

    #[test]
    fn a_fault_of_the_fetch_adapter_is_the_module_s_never_the_network_s() {
        let f = Failure {
            message: "the host's fetch resolved to no response object".into(),
            module: true,
            ..failure("ECONNREFUSED", "")
        };
        let e = VoipError::from_failure(&f, "the Oktell server at http://h:1", "oktellUrl", 5);
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
            r.status_text(),
            "an error without a status code (the host's fetch gives only `ok`)"
        );
        let ok = HttpResponse {
            status: 404,
            ..Default::default()
        };
        assert_eq!(ok.status_text(), "HTTP 404");
    }

    #[test]
    fn network_failures_are_classified() {
        let t = "the Oktell server at http://h:1";
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
            VoipError::check_answer_size(r, "the PBX at http://h", "oktellUrl", "getlicenseinfo")
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
            headers: vec![(crate::oktell::xml::RAW_BODY_HEADER.into(), "latin1".into())],
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
        let e = VoipError::Module {
            detail: long.clone(),
        };
        assert!(e.to_string().chars().count() < 500);
        assert!(
            VoipError::storage("read", &long)
                .to_string()
                .chars()
                .count()
                < 500
        );
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
