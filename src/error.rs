//! Errors an admin can act on: what failed, which setting is involved, and what to check.

use crate::http::Failure;
use crate::settings::describe;
use serde::Serialize;
use std::fmt;

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
            detail: crate::http::snippet(detail, 200),
        }
    }

    /// Classifies a failed fetch (no HTTP response at all) into unreachable / timeout / TLS.
    pub fn from_failure(
        failure: &Failure,
        target: &str,
        setting: &'static str,
        timeout_secs: u32,
    ) -> VoipError {
        let code = failure.code.to_ascii_uppercase();
        let text = failure.message.to_ascii_lowercase();
        let detail = failure.detail();
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
                "Internal error in the elma365-voip module {} (not a network or PBX problem): {detail}. Please report it with this text.",
                crate::VERSION
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

/// Replaces every secret in `text` with `***`, and masks `password=`/`token=` query values.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
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
        }
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
