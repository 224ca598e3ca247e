//! Webhook health: every webhook request leaves a compact trace in storage, and
//! «Проверить соединение» reads it to say whether the PBX reaches the module.
//!
//! Two fixed keys, each one short line that is overwritten, never appended to (so nothing grows
//! with the number of calls):
//! - [`ACCEPTED_KEY`]: `<ms> <kind>`, the last request that passed the checks;
//! - [`REFUSED_KEY`]: `<ms> <kind> <why> <status> <detail>`, the last one refused, with the reason
//!   as a code (rendered in the admin's language when the check reads it) and, for a malformed
//!   request, the module's answer to the PBX, masked and cut to [`MAX_DETAIL_CHARS`].
//!
//! An accepted request's trace rides on its first state write ([`accepting`]), so that it costs no
//! storage call of its own; written alone (when no state was), it is best effort. Either way it can
//! never cost the current request its event or record. The rule the check applies is [`verdict`].

use crate::error::scrub;
use crate::fields::field;
use crate::host::{self, Host, Notes};
use crate::http::snippet;
use crate::i18n::{common as m, t, Lang, Text};
use crate::settings::Settings;

/// Storage key under which `VoipOnWebhookUpdated` keeps the module's webhook URL.
pub const WEBHOOK_URL_KEY: &str = "voip:webhookUrl";

/// Storage key of the last accepted webhook request.
pub const ACCEPTED_KEY: &str = "voip:hook:ok";
/// Storage key of the last refused webhook request.
pub const REFUSED_KEY: &str = "voip:hook:no";
/// How long a refusal fails «Проверить соединение» when nothing was accepted after it: 24 h.
pub const WINDOW_MS: u64 = 24 * 3600 * 1000;
/// The longest piece of a refused request's answer the trace keeps.
pub const MAX_DETAIL_CHARS: usize = 160;

/// What kind of webhook request it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A Rostelecom `call_events` delivery.
    CallEvent,
    /// A Rostelecom `get_number_info` request.
    NumberInfo,
    /// An Oktell CRM-connection message (way A).
    Crm,
    /// An Oktell scenario request (way B).
    Scenario,
    /// Not known (refused before it was read).
    Unknown,
}

const KINDS: [(Kind, &str); 5] = [
    (Kind::CallEvent, "call"),
    (Kind::NumberInfo, "info"),
    (Kind::Crm, "crm"),
    (Kind::Scenario, "scn"),
    (Kind::Unknown, "req"),
];

impl Kind {
    fn code(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("req", |(_, c)| c)
    }

    fn from_code(code: &str) -> Kind {
        KINDS
            .iter()
            .find(|(_, c)| *c == code)
            .map_or(Kind::Unknown, |(k, _)| *k)
    }

    fn text(self) -> Text {
        let msg = match self {
            Kind::CallEvent => m::KIND_CALL_EVENT,
            Kind::NumberInfo => m::KIND_NUMBER_INFO,
            Kind::Crm => m::KIND_CRM,
            Kind::Scenario => m::KIND_SCENARIO,
            Kind::Unknown => m::KIND_UNKNOWN,
        };
        Text::of(msg, [])
    }
}

/// Why a webhook request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// Rostelecom: `X-Client-Sign` does not match (the signing key differs).
    Signature,
    /// Rostelecom: no `X-Client-ID` or `X-Client-Sign` at all.
    Unsigned,
    /// Rostelecom: `X-Client-ID` is another account's.
    ClientId,
    /// Oktell: `webhookSecret` is set, and the request offered none.
    SecretMissing,
    /// Oktell: the request offered a secret, and it is not `webhookSecret`.
    SecretWrong,
    /// The request could not be used: the module answered `status` with `detail`.
    Malformed {
        /// The HTTP status of the module's answer.
        status: u16,
        /// The answer's text, as the PBX got it.
        detail: String,
    },
}

impl Why {
    fn code(&self) -> &'static str {
        match self {
            Why::Signature => "sign",
            Why::Unsigned => "unsigned",
            Why::ClientId => "client",
            Why::SecretMissing => "nosecret",
            Why::SecretWrong => "secret",
            Why::Malformed { .. } => "bad",
        }
    }

    /// The reason, and what to fix.
    fn explain(&self) -> (Text, Text) {
        match self {
            Why::Signature => (t!(m::WHY_SIGNATURE, field("rtSignKey")), fix("rtSignKey")),
            Why::Unsigned => (t!(m::WHY_NO_SIGNATURE), t!(m::FIX_PBX)),
            Why::ClientId => (t!(m::WHY_CLIENT_ID, field("rtClientId")), fix("rtClientId")),
            Why::SecretMissing => (
                t!(m::WHY_SECRET_MISSING, field("webhookSecret")),
                fix("webhookSecret"),
            ),
            Why::SecretWrong => (
                t!(m::WHY_SECRET_WRONG, field("webhookSecret")),
                fix("webhookSecret"),
            ),
            Why::Malformed { status, detail } => {
                (t!(m::WHY_MALFORMED, *status, detail), t!(m::FIX_PBX))
            }
        }
    }
}

fn fix(code: &'static str) -> Text {
    t!(m::RAW, field(code))
}

/// Records an accepted request (best effort).
pub async fn accepted<H: Host>(host: &H, kind: Kind) {
    accepting(host, kind).flush(host).await;
}

/// Storage notes for an accepted request that carry its trace on the request's first write (see
/// [`Notes::carrying`]); the handler flushes them at its end, writing the trace if nothing did.
pub fn accepting<H: Host>(host: &H, kind: Kind) -> Notes {
    Notes::carrying(ACCEPTED_KEY, format!("{} {}", now(host), kind.code()))
}

/// Records a refused request (best effort), masking the settings' secrets in what it keeps.
pub async fn refused<H: Host>(host: &H, s: &Settings, kind: Kind, why: &Why) {
    let (status, detail) = match why {
        Why::Malformed { status, detail } => (*status, scrub(detail, &s.secrets())),
        _ => (403, String::new()),
    };
    let line = format!(
        "{} {} {} {status} {}",
        now(host),
        kind.code(),
        why.code(),
        snippet(&detail, MAX_DETAIL_CHARS)
    );
    let _ = crate::host::write(host, &[(REFUSED_KEY.to_string(), Some(line))]).await;
}

fn now<H: Host>(host: &H) -> u64 {
    let t = host.now_ms();
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

/// One trace read back: when, and what kind of request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    at: u64,
    kind: Kind,
}

/// Reads `<ms> <kind>` (the start of either trace) and returns the rest of the line.
fn parse_seen(line: &str) -> Option<(Seen, &str)> {
    let mut parts = line.splitn(3, ' ');
    let at = parts.next()?.parse().ok()?;
    let kind = Kind::from_code(parts.next()?);
    Some((Seen { at, kind }, parts.next().unwrap_or("")))
}

/// Reads a refusal's trace: `<ms> <kind> <why> <status> <detail>`.
fn parse_refused(line: &str) -> Option<(Seen, Why)> {
    let (seen, rest) = parse_seen(line)?;
    let mut parts = rest.splitn(3, ' ');
    let code = parts.next().filter(|c| !c.is_empty())?;
    let status = parts.next()?.parse().unwrap_or(400);
    let detail = parts.next().unwrap_or("").to_string();
    let why = match code {
        "sign" => Why::Signature,
        "unsigned" => Why::Unsigned,
        "client" => Why::ClientId,
        "nosecret" => Why::SecretMissing,
        "secret" => Why::SecretWrong,
        _ => Why::Malformed { status, detail },
    };
    Some((seen, why))
}

/// What the webhook's health adds to a connection test that reached the PBX.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The test fails: the last request in the window was refused, none accepted after it.
    Fail(Text),
    /// The test passes; the note is added to its message.
    Note(Text),
}

/// Reads the traces and the webhook URL, and applies the rule: a refusal within [`WINDOW_MS`]
/// with no acceptance after it fails the test, naming the reason and the setting to fix; else
/// the note says what the webhook last saw (or that ELMA365 never gave the module its URL, or that
/// no request ever arrived). `reached` is the test's own text of what it reached.
pub async fn verdict<H: Host>(host: &H, reached: &Text) -> Verdict {
    let keys = [
        ACCEPTED_KEY.to_string(),
        REFUSED_KEY.to_string(),
        WEBHOOK_URL_KEY.to_string(),
    ];
    let stored = match host::read(host, &keys).await {
        Ok(stored) => stored,
        Err(e) => {
            return Verdict::Note(t!(
                m::HEALTH_UNREADABLE,
                crate::http::snippet(&e.to_string(), 200)
            ))
        }
    };
    let get = |k: &str| stored.get(k).filter(|v| !v.trim().is_empty());
    let ok = get(ACCEPTED_KEY).and_then(parse_seen).map(|(seen, _)| seen);
    let no = get(REFUSED_KEY).and_then(parse_refused);
    let url = get(WEBHOOK_URL_KEY);
    let now = now(host);
    let ago = |at: u64| duration(now.saturating_sub(at));
    match (&ok, &no) {
        (_, Some((no, why)))
            if ok.as_ref().is_none_or(|ok| ok.at < no.at)
                && now.saturating_sub(no.at) < WINDOW_MS =>
        {
            let (why, fix) = why.explain();
            Verdict::Fail(t!(
                m::HEALTH_REJECTED,
                no.kind.text(),
                ago(no.at),
                why,
                fix,
                reached.clone()
            ))
        }
        (Some(ok), Some((no, why))) if no.at > ok.at => Verdict::Note(t!(
            m::HEALTH_ACCEPTED_OLD,
            ok.kind.text(),
            ago(ok.at),
            no.kind.text(),
            ago(no.at),
            why.explain().0
        )),
        (Some(ok), _) => Verdict::Note(t!(m::HEALTH_ACCEPTED, ok.kind.text(), ago(ok.at))),
        (None, Some((no, why))) => Verdict::Note(t!(
            m::HEALTH_STALE_REJECT,
            no.kind.text(),
            ago(no.at),
            why.explain().0
        )),
        (None, None) => match url {
            None => Verdict::Note(t!(m::HEALTH_NO_URL)),
            Some(url) => Verdict::Note(t!(m::HEALTH_NEVER, url)),
        },
    }
}

/// `42 s`, `5 min`, `3 h`, `2 d`.
fn duration(ms: u64) -> Text {
    let s = ms / 1000;
    match s {
        0..=119 => t!(m::AGO_SECONDS, s),
        120..=7199 => t!(m::AGO_MINUTES, s / 60),
        7200..=172_799 => t!(m::AGO_HOURS, s / 3600),
        _ => t!(m::AGO_DAYS, s / 86_400),
    }
}

/// Renders a verdict's text in `lang`.
pub fn render(v: &Verdict, lang: Lang) -> String {
    match v {
        Verdict::Fail(t) | Verdict::Note(t) => t.render(lang),
    }
}

/// Whether `storage` holds nothing but the webhook's traces (for tests of requests that must
/// leave nothing else behind).
#[cfg(not(target_arch = "wasm32"))]
pub fn only_traces(storage: &std::collections::BTreeMap<String, String>) -> bool {
    storage
        .keys()
        .all(|k| k == ACCEPTED_KEY || k == REFUSED_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_are_bounded_and_parse_back() {
        let long = "x".repeat(10_000);
        let line = format!("5 scn bad 400 {}", snippet(&long, MAX_DETAIL_CHARS));
        let (seen, why) = parse_refused(&line).unwrap();
        assert_eq!(seen.kind, Kind::Scenario);
        assert!(matches!(why, Why::Malformed { status: 400, .. }));
        assert!(line.len() < 200);
        assert_eq!(parse_refused("junk"), None);
        assert_eq!(parse_refused("12 crm"), None);
        assert_eq!(parse_seen("12 crm").map(|(s, _)| s.kind), Some(Kind::Crm));
        for (ms, en) in [
            (5_000, "5 s"),
            (600_000, "10 min"),
            (3 * 3_600_000, "3 h"),
            (3 * 86_400_000, "3 d"),
        ] {
            assert_eq!(duration(ms).render(Lang::En), en);
        }
    }
}
