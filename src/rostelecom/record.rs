//! A finished Rostelecom call's record: what `call_info` says ([`Info`]) and the record made from it
//! and the call's own events ([`end_result`]).

use super::api::ok;
use super::event::{end_kind, first_of, parties, text, CallEvent, CallState};
use super::{calls, members::pin_of};
use crate::contract::{CallRecord, Disposition, Event, WebhookResult};
use serde_json::Value;

/// What `call_info` says about a finished call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// `state`: 1 answered, 2 not answered.
    pub answered: Option<bool>,
    /// `duration` in seconds.
    pub duration: Option<u32>,
    /// SIP status 486 (busy).
    pub busy: bool,
    /// `is_record`.
    pub record: bool,
    /// `answering_pin`.
    pub answering_pin: String,
}

fn whole(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().split('.').next()?.parse().ok(),
        _ => None,
    }
}

impl Info {
    /// Reads a checked `call_info` answer (`info` may also come as a one-element array).
    pub fn parse(answer: &Value) -> Info {
        let info = match answer.get("info") {
            Some(Value::Array(a)) => a.first().cloned().unwrap_or(Value::Null),
            Some(v) => v.clone(),
            None => Value::Null,
        };
        let truthy = |k: &str| match info.get(k) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true") || s.trim() == "1",
            Some(Value::Number(n)) => n.as_u64() == Some(1),
            _ => false,
        };
        Info {
            answered: match whole(info.get("state")) {
                Some(1) => Some(true),
                Some(2) => Some(false),
                _ => None,
            },
            duration: whole(info.get("duration")).map(|d| d.min(u64::from(u32::MAX)) as u32),
            busy: text(&info, "status_code") == "486",
            record: truthy("is_record"),
            answering_pin: pin_of(info.get("answering_pin")).unwrap_or_default(),
        }
    }
}

fn is_busy(reason: &str) -> bool {
    reason == "3"
        || reason.to_ascii_lowercase().contains("busy")
        || reason.contains("занят")
        || reason.contains("Занят")
}

/// The end event and the call record for `end`, from the call's state and `call_info` (if any).
pub fn end_result(
    ev: &CallEvent,
    st: &CallState,
    info: Option<&Info>,
    t: u64,
    cc: &str,
) -> WebhookResult {
    let from_info = info.map_or("", |i| i.answering_pin.as_str());
    let employee = first_of(&[&st.w, &st.p, ev.employee(), from_info]);
    let (src, dst) = parties(ev, employee, cc);
    let talked = st.c > 0;
    let answered = info.and_then(|i| i.answered).unwrap_or(talked);
    let disposition = if answered {
        Disposition::Answered
    } else if is_busy(&st.r) || is_busy(&ev.reason) || info.is_some_and(|i| i.busy) {
        Disposition::Busy
    } else {
        Disposition::NoAnswer
    };
    let fallback = if talked {
        let until = if st.x >= st.c { st.x } else { t };
        (until.saturating_sub(st.c) + 500) / 1000
    } else {
        0
    };
    let duration = match (answered, info.and_then(|i| i.duration)) {
        (false, _) => 0,
        (true, Some(d)) => d,
        (true, None) => fallback.min(u64::from(u32::MAX)) as u32,
    };
    let record = ev.is_record || info.is_some_and(|i| i.record);
    WebhookResult {
        event: Some(Event {
            event: end_kind(ev.dir),
            direction: ev.dir,
            disposition,
            src_phone: src.clone(),
            dst_phone: dst.clone(),
            call_id: ev.session.clone(),
        }),
        call_record: Some(CallRecord {
            call: if record {
                calls::record_call_data(&ev.session)
            } else {
                Value::Null
            },
            call_id: ev.session.clone(),
            direction: ev.dir,
            disposition,
            src_phone: src,
            dst_phone: dst,
            duration,
        }),
        response: ok(),
    }
}
