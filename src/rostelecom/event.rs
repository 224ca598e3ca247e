//! One Rostelecom `call_events` delivery read ([`CallEvent`]), the call's state between deliveries
//! ([`CallState`]), and the mapping of a delivery to an ELMA365 event ([`apply`]); see
//! [`super::webhook`] for the table and the flow.

use super::members::pin_of;
use crate::contract::{Direction, Disposition, Event, EventKind};
use crate::json::obj;
use crate::phone;
use serde_json::Value;

/// The longest number, PIN or reason kept from a delivery (real ones are short); longer ones are cut.
pub const MAX_FIELD_CHARS: usize = 64;
/// The longest `session_id` taken (real ones are short); a longer one is ignored, so that no
/// stored value can grow with it.
pub const MAX_SESSION_CHARS: usize = 128;

/// A call event's stage (`state`, trimmed, any case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// `new`: a new call.
    New,
    /// `calling`: dialling an employee's contact number.
    Calling,
    /// `connected`: talk starts.
    Connected,
    /// `disconnected`: talk ends (the call may go on after a transfer).
    Disconnected,
    /// `end`: the call is over.
    End,
}

impl Stage {
    /// The stage for a `state` value; `None` for states this module does not use.
    pub fn parse(state: &str) -> Option<Stage> {
        let s = state.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "new" => Stage::New,
            "calling" => Stage::Calling,
            "connected" => Stage::Connected,
            "disconnected" => Stage::Disconnected,
            "end" => Stage::End,
            _ => return None,
        })
    }
}

/// The direction for a `type` value; `None` for unknown types.
pub fn direction(kind: &str) -> Option<Direction> {
    Some(match kind.trim().to_ascii_lowercase().as_str() {
        "incoming" => Direction::In,
        "outbound" | "outgoing" => Direction::Out,
        "internal" => Direction::Internal,
        _ => return None,
    })
}

/// One `call_events` delivery, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallEvent {
    /// `session_id`: the callId of everything this call produces.
    pub session: String,
    /// `state`.
    pub stage: Stage,
    /// `type`.
    pub dir: Direction,
    /// `from_number` (raw).
    pub from_number: String,
    /// `from_pin`.
    pub from_pin: String,
    /// `request_number` (raw).
    pub request_number: String,
    /// `request_pin`.
    pub request_pin: String,
    /// `disconnect_reason`.
    pub reason: String,
    /// `is_record` is `"true"`.
    pub is_record: bool,
    /// `timestamp` (Moscow time).
    pub timestamp: String,
}

pub(super) fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

impl CallEvent {
    /// Reads a `call_events` body. `Err` carries why it is ignored (unknown state or type, no id).
    pub fn parse(v: &Value) -> Result<CallEvent, &'static str> {
        let stage = Stage::parse(&text(v, "state")).ok_or("a state this module does not use")?;
        let dir = direction(&text(v, "type")).ok_or("an unknown call type")?;
        let session = text(v, "session_id");
        if session.is_empty() {
            return Err("no session_id");
        }
        // What is kept in the call's state is cut, so that no stored value grows with the body.
        let cut = |t: String| crate::http::cut(t, MAX_FIELD_CHARS);
        Ok(CallEvent {
            session,
            stage,
            dir,
            from_number: cut(text(v, "from_number")),
            from_pin: cut(pin_of(v.get("from_pin")).unwrap_or_default()),
            request_number: cut(text(v, "request_number")),
            request_pin: cut(pin_of(v.get("request_pin")).unwrap_or_default()),
            reason: cut(text(v, "disconnect_reason")),
            is_record: text(v, "is_record").eq_ignore_ascii_case("true"),
            timestamp: text(v, "timestamp"),
        })
    }

    /// The employee this delivery names: `request_pin`, or `from_pin` on outbound calls.
    pub fn employee(&self) -> &str {
        match self.dir {
            Direction::Out => &self.from_pin,
            Direction::In | Direction::Internal => &self.request_pin,
        }
    }

    /// A short digest identifying this delivery, for de-duplication of PBX retries.
    pub(super) fn digest(&self) -> String {
        let key = format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.stage as u8,
            self.dir as u8,
            self.timestamp,
            self.from_pin,
            self.request_pin,
            self.request_number,
            self.reason
        );
        let d = crate::sha::sha256(&[key.as_bytes()]);
        d[..5]
            .iter()
            .flat_map(|b| [b >> 4, b & 15])
            .map(|n| char::from(b"0123456789abcdef"[n as usize]))
            .collect()
    }
}

/// What the module remembers about an active call, stored as one short JSON object. It is
/// converted by hand (no derived serde code: every derived field costs wasm size).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallState {
    /// First event time (ms since the epoch).
    pub f: u64,
    /// First `connected` time, 0 if never.
    pub c: u64,
    /// Last `disconnected` time, 0 if never.
    pub x: u64,
    /// The employee last rung or connected.
    pub p: String,
    /// The employee who last talked.
    pub w: String,
    /// Whether someone is talking right now.
    pub a: bool,
    /// The `dstPhone` of the last start notification.
    pub n: String,
    /// The last disconnect reason.
    pub r: String,
    /// Digests of the deliveries already handled.
    pub s: Vec<String>,
}

impl CallState {
    /// The state as stored.
    pub fn to_json(&self) -> Value {
        obj(vec![
            ("f", self.f.into()),
            ("c", self.c.into()),
            ("x", self.x.into()),
            ("p", self.p.as_str().into()),
            ("w", self.w.as_str().into()),
            ("a", self.a.into()),
            ("n", self.n.as_str().into()),
            ("r", self.r.as_str().into()),
            ("s", self.s.clone().into()),
        ])
    }

    /// Reads a stored state; missing or malformed fields take their defaults.
    pub fn from_json(v: &Value) -> CallState {
        let num = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        CallState {
            f: num("f"),
            c: num("c"),
            x: num("x"),
            p: s("p"),
            w: s("w"),
            a: v.get("a").and_then(Value::as_bool).unwrap_or(false),
            n: s("n"),
            r: s("r"),
            s: v.get("s")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The start-of-call kind for a direction.
pub fn start_kind(dir: Direction) -> EventKind {
    match dir {
        Direction::In => EventKind::NotifyStart,
        Direction::Out => EventKind::NotifyOutStart,
        Direction::Internal => EventKind::NotifyInternal,
    }
}

/// The end-of-call kind for a direction.
pub fn end_kind(dir: Direction) -> EventKind {
    match dir {
        Direction::Out => EventKind::NotifyOutEnd,
        Direction::In | Direction::Internal => EventKind::NotifyEnd,
    }
}

pub(super) fn first_of<'a>(options: &[&'a str]) -> &'a str {
    options
        .iter()
        .copied()
        .find(|s| !s.is_empty())
        .unwrap_or("")
}

/// `(srcPhone, dstPhone)` for a delivery, given the employee PIN known so far.
pub fn parties(ev: &CallEvent, employee: &str, cc: &str) -> (String, String) {
    let canon = |raw: &str| phone::canonical(raw, cc);
    match ev.dir {
        Direction::In => (
            canon(&ev.from_number),
            match employee {
                "" => canon(&ev.request_number),
                pin => pin.to_string(),
            },
        ),
        Direction::Out => (
            match employee {
                "" => canon(&ev.from_number),
                pin => pin.to_string(),
            },
            canon(&ev.request_number),
        ),
        Direction::Internal => (
            match ev.from_pin.as_str() {
                "" => canon(&ev.from_number),
                pin => pin.to_string(),
            },
            match employee {
                "" => canon(&ev.request_number),
                pin => pin.to_string(),
            },
        ),
    }
}

/// Applies one (new, not repeated) delivery to the call's state; returns the event to emit.
/// `end` returns no event here: [`end_result`] builds it once `call_info` has answered.
pub fn apply(ev: &CallEvent, mut st: CallState, t: u64, cc: &str) -> (Option<Event>, CallState) {
    if !ev.employee().is_empty() {
        st.p = ev.employee().to_string();
    }
    let (src, dst) = parties(ev, &st.p, cc);
    let event = |kind, disposition| Event {
        event: kind,
        direction: ev.dir,
        disposition,
        src_phone: src.clone(),
        dst_phone: dst.clone(),
        call_id: ev.session.clone(),
    };
    let out = match ev.stage {
        Stage::New | Stage::Calling if st.n != dst => {
            st.n = dst.clone();
            Some(event(start_kind(ev.dir), Disposition::Unknown))
        }
        Stage::New | Stage::Calling => None,
        Stage::Connected => {
            if st.c == 0 {
                st.c = t;
            }
            let who = first_of(&[&st.p, &dst]).to_string();
            let again = st.a && st.w == who;
            st.a = true;
            st.w = who;
            (!again).then(|| event(EventKind::NotifyAnswer, Disposition::Answered))
        }
        Stage::Disconnected => {
            st.a = false;
            st.x = t;
            st.r = ev.reason.clone();
            None
        }
        Stage::End => None,
    };
    (out, st)
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `"2018-04-23 15:01:27.214"` (Moscow time, UTC+3) → ms since the epoch; `None` if malformed.
pub fn timestamp_ms(ts: &str) -> Option<u64> {
    let ts = ts.trim();
    let (date, time) = ts.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, mo, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, sec) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    let ms_digits: String = frac
        .chars()
        .take_while(char::is_ascii_digit)
        .chain("000".chars())
        .take(3)
        .collect();
    let ms: i64 = ms_digits.parse().ok()?;
    let valid = (1970..=9999).contains(&y)
        && (1..=12).contains(&mo)
        && (1..=31).contains(&day)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..=60).contains(&sec);
    if !valid {
        return None;
    }
    let secs = days_from_civil(y, mo, day) * 86_400 + h * 3600 + mi * 60 + sec - 3 * 3600;
    u64::try_from(secs * 1000 + ms).ok()
}
