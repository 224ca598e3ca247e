//! Webhooks from the Rostelecom PBX: verification, recognition, and `call_events` → ELMA365.
//!
//! ## Verification (before anything else)
//! | request | answer | event / record |
//! |---|---|---|
//! | body not a string | 400 | none |
//! | body over [`MAX_BODY_BYTES`] | 413 | none |
//! | `X-Client-ID` or `X-Client-Sign` missing or wrong (names in any case) | 403 | none |
//! | signed, but not a JSON object | 400 | none |
//!
//! The signature is recomputed over the raw body string and compared in constant time.
//!
//! ## Recognition (by the body: ELMA365 passes no path)
//! - `session_id` and `state` → `call_events`;
//! - `from_number` and `request_number`, no `session_id`/`state` → `get_number_info`, answered
//!   with the caller's name and the manager's PIN from the caller lookup ([`lookup_caller`],
//!   [`crate::crm`]: a cached answer, or a CRM search within `crmLookupMs`), else empty ones (the
//!   PBX routes by its own rules); no call state is read or written;
//! - any other signed JSON object → 200, ignored (a genuine PBX request of a kind we do not use).
//!
//! ## `call_events` → ELMA365
//! The employee of a call is `request_pin` on `incoming` and `internal` calls, `from_pin` on
//! `outbound` ones. Phones are canonical ([`crate::phone`]); PINs stay as they are, so they equal
//! the member ids from `users_info`.
//!
//! | state | incoming | outbound | internal |
//! |---|---|---|---|
//! | `new` | NotifyStart, src = client, dst = the line (or the employee's PIN once known) | NotifyOutStart, src = employee PIN, dst = client | NotifyInternal, src = caller PIN, dst = callee PIN (or login) |
//! | `calling` | NotifyStart again when a new employee rings: dst = that PIN | no event (NotifyOutStart if `new` was missed) | NotifyInternal again when the callee PIN becomes known |
//! | `connected` | NotifyAnswer (Answered), dst = the answering PIN | NotifyAnswer (Answered) | NotifyAnswer (Answered) |
//! | `disconnected` | no event; the reason is remembered (`3` = busy) | same | same |
//! | `end` | NotifyEnd + callRecord | NotifyOutEnd + callRecord | NotifyEnd (direction Internal) + callRecord |
//! | anything else (`analytics`, …) | 200, nothing | same | same |
//!
//! - Every event and record has `callId` = `session_id`.
//! - A repeated `connected` (transfer, conference) emits NotifyAnswer only when another employee
//!   answers, with the same callId; it never starts a second call or record. `disconnected`
//!   emits nothing, so its repeats are harmless.
//! - A delivery seen before (same state, type, timestamp, PINs, number and reason), and anything
//!   after `end`, is answered 200 and ignored.
//! - On `end`, a signed `call_info` gives `duration` and answered/not answered (busy when the
//!   disconnect reason was `3` or the SIP status 486). If it fails, the talk time between the first
//!   `connected` and the last `disconnected` (0 when never answered) and the events' own
//!   answered/busy evidence are used instead. `callRecord.call` is
//!   `{"provider":"rostelecom","sessionId":…}` when the call was recorded (`is_record`), else null.
use super::api;
use super::api::{ok, reply};
use super::event::{apply, text, timestamp_ms, CallEvent, CallState, Stage, MAX_SESSION_CHARS};
use super::record::{end_result, Info};
use crate::callstore::{CallStore, Confirmed, Loaded, CLAIM_SETTLE_MS};
use crate::contract::WebhookResult;
use crate::error::VoipError;
use crate::health::{self, Kind, Why};
use crate::host::{self, Host, Notes};
use crate::http::{Outcome, WebhookRequest, WebhookResponse};
use crate::json::obj;
use crate::lock;
use crate::phone;
use crate::settings::Settings;
use serde_json::Value;
use subtle::ConstantTimeEq;
/// The largest webhook body accepted, in bytes (real ones are well under 1 KB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long `call_info` may take while the PBX waits for the answer to `end`.
pub const CALL_INFO_TIMEOUT_SEC: u32 = 5;
/// How many handled deliveries one call remembers for de-duplication.
const SEEN_KEEP: usize = 48;

/// Per-call state under `rt:c:<session_id>` (see [`crate::callstore`]).
const STORE: CallStore = CallStore::new("rt");

/// Caller information a lookup can give for `get_number_info`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerInfo {
    /// The name the PBX shows the employee.
    pub display_name: String,
    /// The PIN to route to; empty leaves routing to the PBX.
    pub pin: String,
}

/// The most characters of a name the PBX is given to show on a handset.
pub const DISPLAY_NAME_CHARS: usize = 32;

/// `get_number_info`'s answer for the caller's canonical number `from`: the client's name and,
/// when the manager is a user of this PBX, their PIN, found by the caller lookup ([`crate::crm`])
/// within its budget; `None` leaves naming and routing to the PBX.
pub async fn lookup_caller<H: Host>(from: &str, s: &Settings, host: &H) -> Option<CallerInfo> {
    let users = super::Users { s, host };
    let found = crate::crm::caller(from, s, host, &users).await?;
    Some(CallerInfo {
        display_name: crate::crm::display_name(&found.name, DISPLAY_NAME_CHARS),
        pin: found.member,
    })
}

/// The `get_number_info` reply: `result` 0, the display name and PIN (empty = PBX routing).
pub fn number_info_response(info: Option<CallerInfo>) -> WebhookResponse {
    let (name, pin) = info.map_or((String::new(), String::new()), |i| (i.display_name, i.pin));
    let v = obj(vec![
        ("result", 0.into()),
        ("resultMessage", "".into()),
        ("displayName", name.into()),
        ("PIN", pin.into()),
    ]);
    WebhookResponse::json(200, &v)
}

fn ignored(why: &str) -> WebhookResult {
    WebhookResult::reply(reply(200, 0, &format!("ignored: {why}")))
}

/// Checks size, headers and signature; returns the body, or the answer refusing it and why.
pub fn verify<'a>(
    req: &'a WebhookRequest,
    s: &Settings,
) -> Result<&'a str, (WebhookResponse, Why)> {
    let rt = s.rostelecom();
    if let Some(kind) = &req.body_parsed {
        return Err(malformed(
            400,
            &format!(
                "the body must reach the module as its raw text or bytes; it arrived as {}, so its signature cannot be checked",
                crate::http::body_kind(kind)
            ),
        ));
    }
    let body = req.body.as_deref().unwrap_or("");
    if body.len() > MAX_BODY_BYTES {
        return Err(malformed(413, "the body is too large for a call event"));
    }
    let header = |name| req.header(name).map(str::trim).filter(|v| !v.is_empty());
    let Some(id) = header("X-Client-ID") else {
        return Err((
            reply(403, 2, "X-Client-ID header is missing"),
            Why::Unsigned,
        ));
    };
    if !bool::from(id.as_bytes().ct_eq(rt.client_id.as_bytes())) {
        return Err((
            reply(403, 2, "X-Client-ID is not this domain's"),
            Why::ClientId,
        ));
    }
    let Some(sig) = header("X-Client-Sign") else {
        return Err((
            reply(403, 3, "X-Client-Sign header is missing"),
            Why::Unsigned,
        ));
    };
    if !api::verify(&rt.client_id, body, &rt.sign_key, sig) {
        return Err((
            reply(403, 3, "X-Client-Sign does not match the body"),
            Why::Signature,
        ));
    }
    Ok(body)
}

/// Refuses an unusable request: the answer, and the same words for the webhook's health trace.
fn malformed(status: u16, message: &str) -> (WebhookResponse, Why) {
    let why = Why::Malformed {
        status,
        detail: message.to_string(),
    };
    (reply(status, 4, message), why)
}

/// Handles one webhook request: verify, recognise, and for `call_events` read the call's state,
/// map the delivery, write the state back, and on `end` ask `call_info` and finish the call.
pub async fn handle<H: Host>(
    req: &WebhookRequest,
    s: &Settings,
    host: &H,
) -> Result<WebhookResult, VoipError> {
    let parsed = verify(req, s).and_then(|body| {
        match crate::json::parse(body.trim_start_matches('\u{feff}')) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(malformed(400, "the body is not a JSON object")),
        }
    });
    let v = match parsed {
        Ok(v) => v,
        Err((resp, why)) => {
            health::refused(host, s, Kind::Unknown, &why).await;
            return Ok(WebhookResult::reply(resp));
        }
    };
    let has = |k: &str| v.get(k).is_some();
    let (result, kind) = if has("session_id") && has("state") {
        let mut notes = health::accepting(host, Kind::CallEvent);
        let result = match CallEvent::parse(&v) {
            Ok(ev) => on_event(ev, s, host, &mut notes).await,
            Err(why) => Ok(ignored(why)),
        };
        notes.flush(host).await;
        return result;
    } else if has("from_number") && has("request_number") && !has("session_id") && !has("state") {
        let cc = &s.country_code;
        let from = phone::canonical(&text(&v, "from_number"), cc);
        let info = lookup_caller(&from, s, host).await;
        let result = Ok(WebhookResult::reply(number_info_response(info)));
        (result, Kind::NumberInfo)
    } else {
        (
            Ok(ignored("not a request this module handles")),
            Kind::Unknown,
        )
    };
    health::accepted(host, kind).await;
    result
}

/// The event's own time: its `timestamp` (Moscow time), else `now`.
fn event_time(ev: &CallEvent, now: u64) -> u64 {
    timestamp_ms(&ev.timestamp).unwrap_or(now)
}

/// One `call_events` delivery. In order:
/// 1. under the call's lock (one instance): read its keys, drop a repeat or anything after `end`,
///    map the delivery, and write the state back with the delivery's digest; an `end` also writes
///    this request's claim on the call's end;
/// 2. on `end`: ask `call_info` (outside the lock), then [`CallStore::confirm`] the claim (after
///    [`CLAIM_SETTLE_MS`] in all) and hand out the record only if it is still ours.
///
/// A storage failure never loses the delivery: it is mapped as if nothing was stored, its event and
/// record are handed out, and the answer says what failed.
async fn on_event<H: Host>(
    ev: CallEvent,
    s: &Settings,
    host: &H,
    notes: &mut Notes,
) -> Result<WebhookResult, VoipError> {
    if ev.session.chars().count() > MAX_SESSION_CHARS {
        return Ok(ignored("the session_id is too long"));
    }
    let keys = STORE.keys(&ev.session);
    let guard = lock::lock(&keys).await;
    let now_ms = host.now_ms();
    let now = if now_ms > 0.0 { now_ms as u64 } else { 0 };
    let stored = notes.read_or_empty(host, &keys).await;
    let mut loaded: Loaded<Value> = STORE.load(&ev.session, &stored, now_ms);
    if loaded.is_finished(&ev.session) {
        return Ok(ignored("the call is already over"));
    }
    let mut st = loaded
        .get(&ev.session)
        .map(CallState::from_json)
        .unwrap_or_default();
    if loaded.is_ending(&ev.session, now_ms) {
        return Ok(ignored("the call is ending"));
    }
    let digest = ev.digest();
    // A repeat is dropped, but for an `end` whose claim went stale: its request never handed the
    // record out, so the PBX's retry does.
    let retry = ev.stage == Stage::End && loaded.claim_of(&ev.session).is_some();
    if st.s.contains(&digest) && !retry {
        return Ok(ignored("a repeated delivery"));
    }
    st.s.retain(|d| *d != digest);
    st.s.push(digest);
    if st.s.len() > SEEN_KEEP {
        st.s.remove(0);
    }
    let t = event_time(&ev, now);
    if st.f == 0 {
        st.f = t;
    }
    let (event, st) = apply(&ev, st, t, &s.country_code);
    let nonce = host.nonce();
    loaded.save(&ev.session, st.to_json());
    if ev.stage == Stage::End {
        loaded.claim(&ev.session, nonce);
    }
    notes.write(host, loaded.writes(now_ms)).await;
    drop(guard);
    if ev.stage != Stage::End {
        return Ok(with_notes(
            WebhookResult {
                event,
                call_record: None,
                response: ok(),
            },
            notes,
            s,
        ));
    }
    let mut req = api::request(
        s,
        "call_info",
        crate::json::to_string(&obj(vec![("session_id", ev.session.as_str().into())])),
    );
    req.timeout_ms = req.timeout_ms.min(CALL_INFO_TIMEOUT_SEC * 1000);
    let asked = host.now_ms();
    // Whatever `call_info` does (a failure, even the adapter's own), the record is handed out.
    let info = match host::fetch(host, &req).await {
        Ok(Outcome::Response(resp)) => api::check(s, "call_info", &resp).ok(),
        _ => None,
    };
    let took = (host.now_ms() - asked).max(0.0) as u32;
    let wait = CLAIM_SETTLE_MS.saturating_sub(took);
    if STORE.confirm(&ev.session, nonce, wait, host, notes).await == Confirmed::Taken {
        return Ok(ignored("another delivery of this end finished the call"));
    }
    let info = info.map(|i| Info::parse(&i));
    let result = end_result(&ev, &st, info.as_ref(), t, &s.country_code);
    Ok(with_notes(result, notes, s))
}

/// Adds what failed in storage, if anything did, to the PBX's answer.
fn with_notes(mut result: WebhookResult, notes: &Notes, s: &Settings) -> WebhookResult {
    if let Some(w) = notes.warning(s) {
        result.response.warn(&w);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Direction, Disposition, EventKind};
    use crate::rostelecom::calls;
    use crate::rostelecom::event::*;
    use crate::rostelecom::record::*;
    use serde_json::json;

    #[test]
    fn a_parsed_body_is_refused_saying_what_arrived() {
        let s =
            Settings::from_json(r#"{"provider":"rostelecom","rtClientId":"a","rtSignKey":"b"}"#)
                .unwrap();
        for (kind, said) in [
            ("object", "an already parsed object"),
            ("array", "an already parsed array"),
            ("number", "a number"),
        ] {
            let req = WebhookRequest {
                body: Some("{}".into()),
                body_parsed: Some(kind.into()),
                ..Default::default()
            };
            let r = verify(&req, &s).unwrap_err().0;
            assert_eq!(r.status, 400);
            assert!(
                r.body.contains(&format!(
                    "it arrived as {said}, so its signature cannot be checked"
                )),
                "{}",
                r.body
            );
        }
    }

    fn ev(stage: Stage, dir: Direction) -> CallEvent {
        CallEvent {
            session: "S1".into(),
            stage,
            dir,
            from_number: "sip:79161234567@188.254.33.73".into(),
            from_pin: String::new(),
            request_number: "sip:74992222222@188.254.33.73".into(),
            request_pin: String::new(),
            reason: String::new(),
            is_record: false,
            timestamp: String::new(),
        }
    }

    fn incoming(stage: Stage, pin: &str) -> CallEvent {
        CallEvent {
            request_pin: pin.into(),
            ..ev(stage, Direction::In)
        }
    }

    fn outbound(stage: Stage) -> CallEvent {
        CallEvent {
            from_number: "sip:ivanov@demo.cloudpbx.rt.ru".into(),
            from_pin: "101".into(),
            request_number: "sip:+79031112233@188.254.33.73".into(),
            ..ev(stage, Direction::Out)
        }
    }

    fn internal(stage: Stage, callee_pin: &str) -> CallEvent {
        CallEvent {
            from_number: "sip:ivanov@demo.cloudpbx.rt.ru".into(),
            from_pin: "101".into(),
            request_number: "sip:petrova@demo.cloudpbx.rt.ru".into(),
            request_pin: callee_pin.into(),
            ..ev(stage, Direction::Internal)
        }
    }

    type Seen = Option<(EventKind, Disposition, String, String)>;

    /// Runs deliveries through `apply`, returning each one's event as (kind, disposition, src, dst).
    fn run(events: &[CallEvent]) -> (Vec<Seen>, CallState) {
        let mut st = CallState::default();
        let mut out = Vec::new();
        for (i, e) in events.iter().enumerate() {
            let (event, next) = apply(e, st, 1000 * i as u64, "7");
            st = next;
            out.push(event.map(|e| {
                assert_eq!(e.call_id, "S1");
                (e.event, e.disposition, e.src_phone, e.dst_phone)
            }));
        }
        (out, st)
    }

    fn some(kind: EventKind, disp: Disposition, src: &str, dst: &str) -> Seen {
        Some((kind, disp, src.into(), dst.into()))
    }

    #[test]
    fn incoming_new_rings_the_line_then_calling_and_connected_name_the_employee() {
        let (out, st) = run(&[
            incoming(Stage::New, ""),
            incoming(Stage::Calling, "101"),
            incoming(Stage::Connected, "101"),
            CallEvent {
                reason: "5".into(),
                ..incoming(Stage::Disconnected, "101")
            },
        ]);
        use Disposition::*;
        use EventKind::*;
        assert_eq!(
            out,
            vec![
                some(NotifyStart, Unknown, "+79161234567", "+74992222222"),
                some(NotifyStart, Unknown, "+79161234567", "101"),
                some(NotifyAnswer, Answered, "+79161234567", "101"),
                None,
            ]
        );
        assert_eq!(
            (st.c, st.x, st.r.as_str(), st.w.as_str()),
            (2000, 3000, "5", "101")
        );
    }

    #[test]
    fn transfer_answers_again_for_the_new_employee_only() {
        let (out, _) = run(&[
            incoming(Stage::Connected, "101"),
            CallEvent {
                reason: "0".into(),
                ..incoming(Stage::Disconnected, "101")
            },
            incoming(Stage::Calling, "102"),
            incoming(Stage::Connected, "102"),
            CallEvent {
                timestamp: "other".into(),
                ..incoming(Stage::Connected, "102")
            },
        ]);
        let kinds: Vec<_> = out
            .iter()
            .map(|e| e.as_ref().map(|e| (e.0, e.3.clone())))
            .collect();
        assert_eq!(
            kinds,
            vec![
                Some((EventKind::NotifyAnswer, "101".into())),
                None,
                Some((EventKind::NotifyStart, "102".into())),
                Some((EventKind::NotifyAnswer, "102".into())),
                None,
            ]
        );
    }

    #[test]
    fn outbound_maps_the_employee_to_src_and_the_client_to_dst() {
        let (out, _) = run(&[
            outbound(Stage::New),
            outbound(Stage::Calling),
            outbound(Stage::Connected),
            outbound(Stage::Disconnected),
        ]);
        use Disposition::*;
        use EventKind::*;
        assert_eq!(
            out,
            vec![
                some(NotifyOutStart, Unknown, "101", "+79031112233"),
                None,
                some(NotifyAnswer, Answered, "101", "+79031112233"),
                None,
            ]
        );
    }

    #[test]
    fn internal_calls_name_both_employees_by_pin_once_known() {
        let (out, _) = run(&[
            internal(Stage::New, ""),
            internal(Stage::Calling, "102"),
            internal(Stage::Connected, "102"),
        ]);
        use Disposition::*;
        use EventKind::*;
        assert_eq!(
            out,
            vec![
                some(NotifyInternal, Unknown, "101", "petrova"),
                some(NotifyInternal, Unknown, "101", "102"),
                some(NotifyAnswer, Answered, "101", "102"),
            ]
        );
    }

    #[test]
    fn end_uses_call_info_for_duration_disposition_and_recording() {
        let (_, st) = run(&[
            incoming(Stage::New, ""),
            incoming(Stage::Calling, "101"),
            incoming(Stage::Connected, "101"),
            incoming(Stage::Disconnected, "101"),
        ]);
        let info = Info {
            answered: Some(true),
            duration: Some(14),
            busy: false,
            record: true,
            answering_pin: "101".into(),
        };
        let r = end_result(&incoming(Stage::End, ""), &st, Some(&info), 9000, "7");
        let e = r.event.unwrap();
        assert_eq!(
            (e.event, e.disposition),
            (EventKind::NotifyEnd, Disposition::Answered)
        );
        let rec = r.call_record.unwrap();
        assert_eq!(rec.duration, 14);
        assert_eq!(
            (rec.src_phone.as_str(), rec.dst_phone.as_str()),
            ("+79161234567", "101")
        );
        assert_eq!(rec.call, calls::record_call_data("S1"));
        assert_eq!(rec.call_id, "S1");
    }

    #[test]
    fn end_without_call_info_falls_back_to_the_talk_time_between_events() {
        let (_, st) = run(&[
            incoming(Stage::New, ""),
            incoming(Stage::Calling, "101"),
            incoming(Stage::Connected, "101"),
            incoming(Stage::Disconnected, "101"),
        ]);
        let r = end_result(&incoming(Stage::End, ""), &st, None, 9000, "7");
        let rec = r.call_record.unwrap();
        assert_eq!((rec.disposition, rec.duration), (Disposition::Answered, 1));
        assert_eq!(rec.call, Value::Null, "nothing to play without is_record");
    }

    #[test]
    fn busy_and_missed_calls_have_no_duration() {
        let (_, st) = run(&[
            incoming(Stage::New, ""),
            incoming(Stage::Calling, "101"),
            CallEvent {
                reason: "3".into(),
                ..incoming(Stage::Disconnected, "101")
            },
        ]);
        let r = end_result(&incoming(Stage::End, ""), &st, None, 9000, "7");
        let rec = r.call_record.unwrap();
        assert_eq!((rec.disposition, rec.duration), (Disposition::Busy, 0));
        assert_eq!(rec.dst_phone, "101", "the employee who was rung");
        let missed = Info {
            answered: Some(false),
            ..Info::default()
        };
        let (_, st) = run(&[incoming(Stage::New, ""), incoming(Stage::Calling, "101")]);
        let r = end_result(&incoming(Stage::End, ""), &st, Some(&missed), 9000, "7");
        assert_eq!(r.call_record.unwrap().disposition, Disposition::NoAnswer);
        let sip_busy = Info {
            busy: true,
            ..missed
        };
        let r = end_result(&incoming(Stage::End, ""), &st, Some(&sip_busy), 9000, "7");
        assert_eq!(r.event.unwrap().disposition, Disposition::Busy);
    }

    #[test]
    fn end_kinds_follow_the_direction() {
        let st = CallState::default();
        let kind = |e: CallEvent| end_result(&e, &st, None, 0, "7").event.unwrap().event;
        assert_eq!(kind(incoming(Stage::End, "")), EventKind::NotifyEnd);
        assert_eq!(kind(outbound(Stage::End)), EventKind::NotifyOutEnd);
        assert_eq!(kind(internal(Stage::End, "102")), EventKind::NotifyEnd);
        let out = end_result(&outbound(Stage::End), &st, None, 0, "7");
        let rec = out.call_record.unwrap();
        assert_eq!(
            (
                rec.direction,
                rec.src_phone.as_str(),
                rec.dst_phone.as_str()
            ),
            (Direction::Out, "101", "+79031112233")
        );
    }

    #[test]
    fn states_and_types_are_trimmed_and_case_insensitive() {
        assert_eq!(Stage::parse(" disconnected "), Some(Stage::Disconnected));
        assert_eq!(Stage::parse("END"), Some(Stage::End));
        assert_eq!(Stage::parse("analytics"), None);
        assert_eq!(direction(" Outbound"), Some(Direction::Out));
        assert_eq!(direction("transit"), None);
    }

    #[test]
    fn call_events_bodies_are_parsed_with_absent_fields_tolerated() {
        let v = json!({"session_id": "S1", "state": " disconnected ", "type": "incoming",
            "request_pin": 101, "disconnect_reason": 3});
        let e = CallEvent::parse(&v).unwrap();
        assert_eq!(
            (e.stage, e.request_pin.as_str(), e.reason.as_str()),
            (Stage::Disconnected, "101", "3")
        );
        assert_eq!(
            CallEvent::parse(
                &json!({"session_id": "S1", "state": "analytics", "type": "incoming"})
            ),
            Err("a state this module does not use")
        );
        assert_eq!(
            CallEvent::parse(&json!({"session_id": "", "state": "new", "type": "incoming"})),
            Err("no session_id")
        );
    }

    #[test]
    fn long_fields_are_cut_so_the_stored_state_stays_small() {
        let long = "7".repeat(5_000);
        let v = serde_json::json!({"session_id": "S", "state": "new", "type": "incoming",
            "request_pin": long, "from_number": long, "disconnect_reason": long});
        let ev = CallEvent::parse(&v).unwrap();
        assert_eq!(ev.request_pin.len(), MAX_FIELD_CHARS);
        let (_, st) = apply(&ev, CallState::default(), 1, "7");
        assert!(st.to_json().to_string().len() < 1_000, "{}", st.to_json());
    }

    #[test]
    fn the_same_delivery_has_the_same_digest_and_a_transfer_does_not() {
        let a = incoming(Stage::Connected, "101");
        assert_eq!(a.digest(), a.clone().digest());
        assert_ne!(a.digest(), incoming(Stage::Connected, "102").digest());
        assert_eq!(a.digest().len(), 10);
    }

    #[test]
    fn moscow_timestamps_become_epoch_milliseconds() {
        // 2018-04-23 15:01:27.214 MSK = 12:01:27.214 UTC = 1524484887214.
        assert_eq!(
            timestamp_ms("2018-04-23 15:01:27.214"),
            Some(1_524_484_887_214)
        );
        assert_eq!(timestamp_ms("2018-04-23T15:01:27"), Some(1_524_484_887_000));
        assert_eq!(
            timestamp_ms("2018-04-23 15:01:27.5"),
            Some(1_524_484_887_500)
        );
        for bad in [
            "",
            "yesterday",
            "2018-13-01 00:00:00",
            "2018-04-23",
            "1969-12-31 23:00:00",
        ] {
            assert_eq!(timestamp_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn call_state_survives_the_trip_through_storage() {
        let st = CallState {
            f: 1,
            c: 2,
            x: 3,
            p: "101".into(),
            w: "102".into(),
            a: true,
            n: "+7".into(),
            r: "0".into(),
            s: vec!["ab".into()],
        };
        assert_eq!(CallState::from_json(&st.to_json()), st);
        assert_eq!(CallState::from_json(&json!("junk")), CallState::default());
    }

    #[test]
    fn number_info_reply_leaves_routing_to_the_pbx() {
        let r = number_info_response(None);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            v,
            json!({"result": 0, "resultMessage": "", "displayName": "", "PIN": ""})
        );
        let named = number_info_response(Some(CallerInfo {
            display_name: "ООО Ромашка".into(),
            pin: String::new(),
        }));
        assert!(named.body.contains("ООО Ромашка"));
    }
}
