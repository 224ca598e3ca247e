//! Oktell behaviour through the engine, with in-memory storage: decoding, mapping, XML, links.

use crate::contract::Op;
use crate::http::{HttpRequest, HttpResponse, Outcome, WebhookRequest};
use crate::oktell::webhook::MISSED_AFTER_MS;
use crate::oktell::xml;
use crate::testing::run_native;
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SAMPLE: &str = include_str!("../../tests/fixtures/oktell/phoneevent_ringstarted.json");
const CHAIN: &str = "c6ed99c1-c53a-4224-b4e5-cd58682c8b87";

fn settings(extra: Value) -> String {
    let mut s = json!({"provider": "oktell", "oktellUrl": "http://okt:4055"});
    s.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    s.to_string()
}

/// A webhook endpoint with its own storage and clock.
struct Hook {
    settings: String,
    storage: BTreeMap<String, String>,
    now: f64,
}

impl Hook {
    fn new(extra: Value) -> Hook {
        Hook {
            settings: settings(extra),
            storage: BTreeMap::new(),
            now: 1_000_000.0,
        }
    }

    fn send(&mut self, request: WebhookRequest) -> Value {
        let op = Op::ParseWebhook { request };
        run_native(&self.settings, &op, &mut self.storage, self.now, |_| {
            unreachable!("webhooks fetch nothing")
        })
        .unwrap()
    }

    /// Native push: form `data=<base64(json)>`.
    fn push(&mut self, payload: &Value) -> Value {
        let b64 = base64::engine::general_purpose::STANDARD.encode(payload.to_string());
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("data", &b64)
            .finish();
        self.send(form(&body))
    }

    fn scenario(&mut self, query: &[(&str, &str)]) -> Value {
        self.send(WebhookRequest {
            method: "GET".into(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        })
    }

    fn later(&mut self, ms: f64) {
        self.now += ms;
    }
}

fn form(body: &str) -> WebhookRequest {
    WebhookRequest {
        method: "POST".into(),
        headers: vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: Some(body.into()),
        ..Default::default()
    }
}

/// A native call message with the fields the emulator sends.
fn msg(method: &str, qid: &str, login: &str, ext: bool, callerid: &str) -> Value {
    json!([method, {
        "qid": qid, "chainid": "chain-1", "userlogin": login, "userid": "u",
        "isextline": ext, "callerid": callerid,
        "callerdirection": if ext { "city" } else { "internal" },
        "callerinfo": "", "connectionindex": 2,
    }])
}

/// A message for operator `ivanov` about the external client 89161234567 (most scenarios here).
fn ivanov(method: &str, qid: &str) -> Value {
    msg(method, qid, "ivanov", true, "89161234567")
}

fn event(r: &Value) -> (&str, &str, &str, &str, &str) {
    let e = &r["event"];
    (
        e["event"].as_str().unwrap_or("-"),
        e["direction"].as_str().unwrap_or("-"),
        e["srcPhone"].as_str().unwrap_or("-"),
        e["dstPhone"].as_str().unwrap_or("-"),
        e["callId"].as_str().unwrap_or("-"),
    )
}

fn no_event(r: &Value) -> bool {
    r.get("event").is_none()
}

fn no_record(r: &Value) -> bool {
    r.get("callRecord").is_none()
}

// ---- decoding and protocol replies ----

#[test]
fn base64_tolerates_plus_as_space_missing_padding_and_line_breaks() {
    let text = r#"["ping",{"qid":"a>?"}]"#;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    assert!(b64.contains('+') || b64.contains('/') || b64.ends_with('='));
    let mangled = b64.replace('+', " ").trim_end_matches('=').to_string();
    let mangled = format!("{}\r\n{}", &mangled[..8], &mangled[8..]);
    assert_eq!(
        crate::oktell::inbound::lenient_base64(&mangled).unwrap(),
        text.as_bytes()
    );
    let (list, batch) = crate::oktell::inbound::decode_data(&mangled).unwrap();
    assert_eq!((list.len(), batch), (1, false));
}

#[test]
fn a_batch_of_messages_is_answered_with_a_batch_in_plain_json() {
    let mut h = Hook::new(json!({}));
    let r = h.push(&json!([
        ["whoareyou", {"qid": "q1"}],
        ["ping", {"qid": 7}],
        ["getavailablemethods", {"qid": "q3"}],
        ["somethingelse", {"qid": "q4"}]
    ]));
    assert_eq!(r["response"]["status"], 200);
    assert!(r["response"]["contentType"]
        .as_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = serde_json::from_str(r["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!([
            ["iam", {"qid": "q1", "type": "crm", "name": "ELMA365"}],
            ["pong", {"qid": 7}],
            ["getavailablemethods", {"qid": "q3", "methods": []}],
            ["somethingelse", {"qid": "q4"}]
        ])
    );
    assert!(no_event(&r) && no_record(&r));
}

#[test]
fn a_single_message_gets_a_single_reply() {
    let mut h = Hook::new(json!({}));
    let r = h.push(&json!(["ping", {"qid": "x"}]));
    let body: Value = serde_json::from_str(r["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!(["pong", {"qid": "x"}]));
}

#[test]
fn malformed_base64_json_and_shapes_get_400_and_no_event() {
    let mut h = Hook::new(json!({}));
    let not_json = base64::engine::general_purpose::STANDARD.encode("not json");
    let no_method = base64::engine::general_purpose::STANDARD.encode("[1,2]");
    for (body, why) in [
        ("data=%%%%", "not base64"),
        ("data=!!!!", "not base64"),
        (&*format!("data={not_json}"), "not JSON"),
        (&*format!("data={no_method}"), "expected"),
        ("data=", "empty"),
    ] {
        let r = h.send(form(body));
        assert_eq!(r["response"]["status"], 400, "{body}");
        let text = r["response"]["body"].as_str().unwrap();
        assert!(text.contains(why), "{body}: {text}");
        assert!(no_event(&r) && no_record(&r));
    }
    assert!(
        crate::health::only_traces(&h.storage),
        "nothing but the health trace stored for garbage"
    );
    assert!(h.storage[crate::health::REFUSED_KEY].contains(" req bad 400 "));
}

#[test]
fn the_captured_sample_is_the_callback_leg_of_an_outgoing_call() {
    let mut h = Hook::new(json!({}));
    let sample: Value = serde_json::from_str(SAMPLE).unwrap();
    let r = h.push(&sample);
    assert_eq!(
        event(&r),
        ("NotifyOutStart", "Out", "airato", "+79274513158", CHAIN)
    );
    assert_eq!(r["event"]["disposition"], "Unknown");
    assert!(no_record(&r));
    let body: Value = serde_json::from_str(r["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!(["phoneevent_ringstarted", {"qid": "e2382a55-53c1-45bc-be80-13910f31082e"}])
    );
    // The same message again (same qid) changes nothing.
    let again = h.push(&sample);
    assert!(no_event(&again) && no_record(&again));
}

// ---- native mapping ----

#[test]
fn incoming_call_answered_then_ended_produces_one_record() {
    let mut h = Hook::new(json!({}));
    let r = h.push(&ivanov("phoneevent_ringstarted", "1"));
    assert_eq!(
        event(&r),
        ("NotifyStart", "In", "+79161234567", "ivanov", "chain-1")
    );
    let r = h.push(&ivanov("phoneevent_ringstopped", "2"));
    assert!(no_event(&r) && no_record(&r), "ringing stops on answer too");
    let r = h.push(&ivanov("phoneevent_commstarted", "3"));
    assert_eq!(event(&r).0, "NotifyAnswer");
    assert_eq!(r["event"]["disposition"], "Answered");
    h.later(42_400.0);
    let r = h.push(&ivanov("phoneevent_commstopped", "4"));
    assert_eq!(
        event(&r),
        ("NotifyEnd", "In", "+79161234567", "ivanov", "chain-1")
    );
    let rec = &r["callRecord"];
    assert_eq!(rec["disposition"], "Answered");
    assert_eq!(rec["duration"], 42);
    assert_eq!(rec["direction"], "In");
    assert_eq!(rec["srcPhone"], "+79161234567");
    assert_eq!(rec["dstPhone"], "ivanov");
    assert_eq!(rec["callId"], "chain-1");
    assert_eq!(rec["call"], Value::Null);
    // Repeats and late deliveries after the end: nothing, ever again.
    h.later(MISSED_AFTER_MS * 2.0);
    for m in [
        ivanov("phoneevent_commstopped", "4"),
        ivanov("phoneevent_commstopped", "5"),
        ivanov("phoneevent_ringstopped", "6"),
        ivanov("phoneevent_ringstarted", "7"),
    ] {
        let r = h.push(&m);
        assert!(no_event(&r) && no_record(&r), "{m}");
    }
    assert!(h.storage["ok:c:chain-1"].contains(r#""d":1"#));
}

#[test]
fn ringstopped_just_before_commstarted_never_makes_a_missed_record() {
    let mut h = Hook::new(json!({}));
    h.push(&ivanov("phoneevent_ringstarted", "1"));
    h.push(&ivanov("phoneevent_ringstopped", "2"));
    assert!(
        h.storage["ok:c:chain-1"].contains(r#""pending":true"#),
        "missed is pending"
    );
    h.later(500.0);
    h.push(&ivanov("phoneevent_commstarted", "3"));
    assert!(
        !h.storage["ok:c:chain-1"].contains("pending"),
        "the pending missed record is cancelled"
    );
    h.later(MISSED_AFTER_MS * 3.0);
    let ping = h.push(&json!(["ping", {"qid": "p"}]));
    assert!(no_record(&ping));
    let r = h.push(&ivanov("phoneevent_commstopped", "4"));
    assert_eq!(r["callRecord"]["disposition"], "Answered");
}

#[test]
fn a_batch_with_the_whole_call_gives_the_last_event_and_one_record() {
    let mut h = Hook::new(json!({}));
    let r = h.push(&json!([
        ivanov("phoneevent_ringstarted", "1"),
        ivanov("phoneevent_ringstopped", "2"),
        ivanov("phoneevent_commstarted", "3"),
        ivanov("phoneevent_commstopped", "4"),
    ]));
    assert_eq!(event(&r).0, "NotifyEnd");
    assert_eq!(r["callRecord"]["disposition"], "Answered");
    assert_eq!(r["callRecord"]["duration"], 0);
    h.later(MISSED_AFTER_MS * 2.0);
    assert!(no_record(&h.push(&json!(["ping", {"qid": "p"}]))));
}

#[test]
fn incoming_missed_call_is_recorded_once_after_the_grace_time() {
    let mut h = Hook::new(json!({}));
    h.push(&ivanov("phoneevent_ringstarted", "1"));
    let r = h.push(&ivanov("phoneevent_ringstopped", "2"));
    assert!(no_record(&r));
    h.later(MISSED_AFTER_MS - 1.0);
    assert!(
        no_record(&h.push(&json!(["ping", {"qid": "p1"}]))),
        "too early"
    );
    h.later(2.0);
    let r = h.push(&json!(["ping", {"qid": "p2"}]));
    let rec = &r["callRecord"];
    assert_eq!(rec["disposition"], "NoAnswer");
    assert_eq!(rec["duration"], 0);
    assert_eq!(rec["srcPhone"], "+79161234567");
    assert_eq!(rec["dstPhone"], "ivanov");
    assert_eq!(
        event(&r),
        ("NotifyEnd", "In", "+79161234567", "ivanov", "chain-1")
    );
    assert_eq!(r["event"]["disposition"], "NoAnswer");
    assert!(no_record(&h.push(&json!(["ping", {"qid": "p3"}]))));
    // A late answer for the settled chain is ignored: never a second record.
    let r = h.push(&ivanov("phoneevent_commstarted", "3"));
    assert!(no_event(&r) && no_record(&r));
}

#[test]
fn a_queue_rolling_over_to_another_operator_is_one_call() {
    let mut h = Hook::new(json!({}));
    h.push(&ivanov("phoneevent_ringstarted", "1"));
    h.push(&ivanov("phoneevent_ringstopped", "2"));
    h.later(20_000.0);
    let r = h.push(&msg(
        "phoneevent_ringstarted",
        "3",
        "petrova",
        true,
        "89161234567",
    ));
    assert_eq!(
        event(&r),
        ("NotifyStart", "In", "+79161234567", "petrova", "chain-1")
    );
    h.push(&msg(
        "phoneevent_ringstopped",
        "4",
        "petrova",
        true,
        "89161234567",
    ));
    h.push(&msg(
        "phoneevent_commstarted",
        "5",
        "petrova",
        true,
        "89161234567",
    ));
    h.later(MISSED_AFTER_MS * 2.0);
    let r = h.push(&msg(
        "phoneevent_commstopped",
        "6",
        "petrova",
        true,
        "89161234567",
    ));
    assert_eq!(r["callRecord"]["dstPhone"], "petrova");
    assert_eq!(r["callRecord"]["disposition"], "Answered");
    assert!(no_record(&h.push(&json!(["ping", {"qid": "p"}]))));
}

#[test]
fn outgoing_callback_operator_leg_first_then_client_is_one_outgoing_call() {
    let mut h = Hook::new(json!({}));
    let own = |m: &str, q: &str| {
        json!([m, {"qid": q, "chainid": "cb", "userlogin": "airato", "isextline": false,
            "callerdirection": "oktell_pbx", "callerid": "",
            "callerinfo": "Автодозвон. Обратный вызов.\nАбонент: 89274513158"}])
    };
    let ext = |m: &str, q: &str| {
        json!([m, {"qid": q, "chainid": "cb", "userlogin": "airato", "isextline": true,
            "callerdirection": "city", "callerid": "89274513158", "callerinfo": ""}])
    };
    let r = h.push(&own("phoneevent_acmcallstarted", "1"));
    assert_eq!(
        event(&r),
        ("NotifyOutStart", "Out", "airato", "+79274513158", "cb")
    );
    let r = h.push(&own("phoneevent_ringstarted", "2"));
    assert!(no_event(&r), "the start was already shown");
    let r = h.push(&own("phoneevent_ringstopped", "3"));
    assert!(no_event(&r) && no_record(&r));
    let r = h.push(&ext("phoneevent_commstarted", "4"));
    assert_eq!(event(&r).0, "NotifyAnswer");
    h.later(12_000.0);
    let r = h.push(&ext("phoneevent_commstopped", "5"));
    assert_eq!(
        event(&r),
        ("NotifyOutEnd", "Out", "airato", "+79274513158", "cb")
    );
    assert_eq!(r["callRecord"]["duration"], 12);
    assert_eq!(r["callRecord"]["disposition"], "Answered");
    let r = h.push(&own("phoneevent_acmcallstopped", "6"));
    assert!(no_event(&r) && no_record(&r));
    h.later(MISSED_AFTER_MS * 2.0);
    assert!(no_record(&h.push(&json!(["ping", {"qid": "p"}]))));
}

#[test]
fn an_unanswered_callback_is_recorded_when_the_autocall_stops() {
    let mut h = Hook::new(json!({}));
    let own = |m: &str, q: &str| {
        json!([m, {"qid": q, "chainid": "cb2", "userlogin": "airato", "isextline": false,
            "callerdirection": "oktell_pbx", "callerinfo": "Автодозвон. Обратный вызов.\nАбонент: 84951234567"}])
    };
    h.push(&own("phoneevent_acmcallstarted", "1"));
    h.push(&own("phoneevent_ringstarted", "2"));
    h.push(&own("phoneevent_ringstopped", "3"));
    let r = h.push(&own("phoneevent_acmcallstopped", "4"));
    assert_eq!(event(&r).0, "NotifyOutEnd");
    assert_eq!(r["callRecord"]["disposition"], "NoAnswer");
    assert_eq!(r["callRecord"]["dstPhone"], "+74951234567");
    h.later(MISSED_AFTER_MS * 2.0);
    assert!(no_record(&h.push(&json!(["ping", {"qid": "p"}]))));
}

#[test]
fn internal_call_with_events_for_both_operators_is_one_call() {
    let mut h = Hook::new(json!({}));
    let leg = |m: &str, q: &str, login: &str, other_num: &str| {
        json!([m, {"qid": q, "chainid": "int", "userlogin": login, "isextline": false,
            "callerdirection": "internal", "callerid": other_num}])
    };
    let r = h.push(&leg("phoneevent_ringstarted", "1", "ivanov", "102"));
    assert_eq!(
        event(&r),
        ("NotifyInternal", "Internal", "102", "ivanov", "int")
    );
    h.push(&leg("phoneevent_ringstopped", "2", "ivanov", "102"));
    let r = h.push(&leg("phoneevent_commstarted", "3", "ivanov", "102"));
    assert_eq!(event(&r).0, "NotifyAnswer");
    let r = h.push(&leg("phoneevent_commstarted", "4", "airato", "101"));
    assert!(no_event(&r), "the second leg is the same call");
    h.later(5_000.0);
    let r = h.push(&leg("phoneevent_commstopped", "5", "ivanov", "102"));
    assert!(no_record(&r), "the other operator still talks");
    let r = h.push(&leg("phoneevent_commstopped", "6", "airato", "101"));
    let rec = &r["callRecord"];
    assert_eq!(rec["direction"], "Internal");
    assert_eq!(rec["srcPhone"], "airato");
    assert_eq!(rec["dstPhone"], "ivanov");
    assert_eq!(rec["duration"], 5);
    h.later(MISSED_AFTER_MS * 2.0);
    assert!(no_record(&h.push(&json!(["ping", {"qid": "p"}]))));
}

#[test]
fn messages_for_a_chain_never_seen_make_no_call() {
    let mut h = Hook::new(json!({}));
    for m in [
        "phoneevent_ringstopped",
        "phoneevent_commstopped",
        "phoneevent_acmcallstopped",
    ] {
        let r = h.push(&msg(m, m, "ivanov", true, "89161234567"));
        assert!(no_event(&r) && no_record(&r), "{m}");
    }
    assert!(!h.storage.contains_key("ok:c:chain-1"));
}

#[test]
fn a_chain_first_seen_answered_on_an_external_line_is_an_operator_dialled_outgoing_call() {
    let mut h = Hook::new(json!({}));
    let r = h.push(&msg(
        "phoneevent_commstarted",
        "1",
        "ivanov",
        true,
        "84951234567",
    ));
    assert_eq!(
        event(&r),
        ("NotifyOutStart", "Out", "ivanov", "+74951234567", "chain-1")
    );
    assert_eq!(r["event"]["disposition"], "Answered");
    h.later(3_000.0);
    let r = h.push(&msg(
        "phoneevent_commstopped",
        "2",
        "ivanov",
        true,
        "84951234567",
    ));
    assert_eq!(r["callRecord"]["direction"], "Out");
    assert_eq!(r["callRecord"]["duration"], 3);
}

#[test]
fn out_of_order_hangup_before_answer_does_not_end_the_call() {
    let mut h = Hook::new(json!({}));
    h.push(&ivanov("phoneevent_ringstarted", "1"));
    let r = h.push(&ivanov("phoneevent_commstopped", "2"));
    assert!(no_event(&r) && no_record(&r));
    let r = h.push(&ivanov("phoneevent_commstarted", "3"));
    assert_eq!(event(&r).0, "NotifyAnswer");
    let r = h.push(&ivanov("phoneevent_ringstopped", "4"));
    assert!(
        no_event(&r) && no_record(&r),
        "a late ringstopped after the answer"
    );
    assert!(!h.storage["ok:c:chain-1"].contains("NoAnswer"));
}

#[test]
fn two_calls_ending_in_one_batch_give_two_records_over_two_requests() {
    let mut h = Hook::new(json!({}));
    let m = |meth: &str, q: &str, chain: &str| json!([meth, {"qid": q, "chainid": chain, "userlogin": "ivanov", "isextline": true, "callerid": "89161234567"}]);
    let r = h.push(&json!([
        m("phoneevent_ringstarted", "1", "a"),
        m("phoneevent_commstarted", "2", "a"),
        m("phoneevent_ringstarted", "3", "b"),
        m("phoneevent_commstarted", "4", "b"),
        m("phoneevent_commstopped", "5", "a"),
        m("phoneevent_commstopped", "6", "b"),
    ]));
    assert_eq!(r["callRecord"]["callId"], "a");
    let r = h.push(&json!(["ping", {"qid": "p"}]));
    assert_eq!(r["callRecord"]["callId"], "b");
    assert!(no_record(&h.push(&json!(["ping", {"qid": "p2"}]))));
}

// ---- the secret ----

#[test]
fn with_a_secret_requests_without_it_get_403_and_no_event() {
    let mut h = Hook::new(json!({"webhookSecret": "s3cret"}));
    let ring = ivanov("phoneevent_ringstarted", "1");
    let r = h.push(&ring);
    assert_eq!(r["response"]["status"], 403);
    assert!(no_event(&r));
    assert!(!r["response"]["body"].as_str().unwrap().contains("s3cret"));
    let r = h.scenario(&[("event", "ring"), ("callid", "x"), ("token", "wrong")]);
    assert_eq!(r["response"]["status"], 403);
    let r = h.scenario(&[("event", "ring"), ("callid", "x"), ("token", "s3cret")]);
    assert_eq!(r["response"]["status"], 200);
    assert_eq!(event(&r).0, "NotifyStart");
    // Basic auth with the secret as the password, as Oktell's CRM connection sends it.
    let b64 = base64::engine::general_purpose::STANDARD.encode(ring.to_string());
    let mut req = form(&format!("data={}", b64.replace('+', "%2B")));
    req.headers.push((
        "authorization".into(),
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("oktell:s3cret")
        ),
    ));
    let r = h.send(req.clone());
    assert_eq!(event(&r).0, "NotifyStart");
    req.headers[1].1 = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("oktell:s3cre")
    );
    assert_eq!(h.send(req)["response"]["status"], 403);
}

#[test]
fn the_token_may_ride_in_the_query_of_a_native_push() {
    let mut h = Hook::new(json!({"webhookSecret": "s3cret"}));
    let b64 = base64::engine::general_purpose::STANDARD.encode(r#"["ping",{"qid":"1"}]"#);
    let mut req = form(&format!("data={b64}"));
    req.query = vec![("token".into(), "s3cret".into())];
    assert_eq!(h.send(req)["response"]["status"], 200);
}

// ---- scenario webhook ----

#[test]
fn scenario_webhook_full_call_with_recording() {
    let mut h = Hook::new(json!({}));
    let base = [
        ("callid", "sc-1"),
        ("direction", "in"),
        ("client", "8 (916) 123-45-67"),
        ("user", "ivanov"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v: Vec<(&str, &str)> = base.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let r = h.scenario(&with(&[("event", "ring")]));
    assert_eq!(
        event(&r),
        ("NotifyStart", "In", "+79161234567", "ivanov", "sc-1")
    );
    assert_eq!(r["response"]["status"], 200);
    assert!(no_event(&h.scenario(&with(&[("event", "ring")]))), "repeat");
    assert_eq!(
        event(&h.scenario(&with(&[("event", "answer")]))).0,
        "NotifyAnswer"
    );
    let r = h.scenario(&with(&[
        ("event", "hangup"),
        ("duration", "37"),
        ("answered", "1"),
        ("record", "/download/rec/abc"),
    ]));
    assert_eq!(event(&r).0, "NotifyEnd");
    let rec = &r["callRecord"];
    assert_eq!(rec["duration"], 37);
    assert_eq!(rec["disposition"], "Answered");
    assert_eq!(rec["call"], json!({"record": "/download/rec/abc"}));
    let r = h.scenario(&with(&[("event", "hangup"), ("duration", "37")]));
    assert!(no_event(&r) && no_record(&r), "a repeated hangup");
}

#[test]
fn scenario_fields_come_from_form_and_json_bodies_too() {
    let mut h = Hook::new(json!({}));
    let r = h.send(form(
        "event=hangup&callid=f1&direction=out&client=84951234567&user=petrova&duration=0",
    ));
    let rec = &r["callRecord"];
    assert_eq!(rec["direction"], "Out");
    assert_eq!(rec["srcPhone"], "petrova");
    assert_eq!(rec["dstPhone"], "+74951234567");
    assert_eq!(rec["disposition"], "NoAnswer");
    assert_eq!(event(&r).0, "NotifyOutEnd");
    let r = h.send(WebhookRequest {
        method: "POST".into(),
        body: Some(r#"{"event":"ring","callid":"j1","direction":"internal","client":"102","user":"ivanov"}"#.into()),
        ..Default::default()
    });
    assert_eq!(
        event(&r),
        ("NotifyInternal", "Internal", "102", "ivanov", "j1")
    );
}

#[test]
fn scenario_webhook_rejects_missing_callid_and_unknown_event_with_400() {
    let mut h = Hook::new(json!({}));
    for (q, why) in [
        (vec![("event", "ring")], "Missing callid"),
        (
            vec![("event", "dance"), ("callid", "1")],
            "Unknown event «dance»",
        ),
        (vec![("callid", "1")], "Unknown event"),
        (
            vec![
                ("event", "ring"),
                ("callid", "1"),
                ("direction", "sideways"),
            ],
            "Unknown direction",
        ),
        (
            vec![("event", "hangup"), ("callid", "1"), ("duration", "long")],
            "duration",
        ),
    ] {
        let r = h.scenario(&q);
        assert_eq!(r["response"]["status"], 400, "{q:?}");
        assert!(
            r["response"]["body"].as_str().unwrap().contains(why),
            "{q:?}: {}",
            r["response"]["body"]
        );
        assert!(no_event(&r) && no_record(&r));
    }
    assert!(crate::health::only_traces(&h.storage));
}

#[test]
fn a_body_the_host_parsed_into_an_object_gets_a_clear_400() {
    let mut h = Hook::new(json!({}));
    let r = h.send(WebhookRequest {
        method: "POST".into(),
        body_parsed: Some("object".into()),
        ..Default::default()
    });
    assert_eq!(r["response"]["status"], 400);
    assert!(r["response"]["body"]
        .as_str()
        .unwrap()
        .contains("as an already parsed object, not as text"));
}

#[test]
fn a_body_the_host_parsed_into_an_object_is_read_as_its_fields() {
    // The shim hands a parsed body on as its JSON, naming what it was.
    let mut h = Hook::new(json!({}));
    let r = h.send(WebhookRequest {
        method: "POST".into(),
        body: Some(r#"{"event":"hangup","callid":"o1","direction":"in","client":"89161234567","user":"ivanov","duration":"12","answered":"1"}"#.into()),
        body_parsed: Some("object".into()),
        ..Default::default()
    });
    assert_eq!(r["response"]["status"], 200);
    assert_eq!(r["callRecord"]["callId"], "o1");
    assert_eq!(r["callRecord"]["duration"], 12);
}

#[test]
fn a_status_less_error_on_the_plain_directory_falls_back_to_the_xml_one() {
    // A host whose fetch gives only `ok`: the plain variant's 404 reads as a status-less error.
    let settings = settings(json!({"oktellMembersScript": "ELMA365_Users"}));
    let mut storage = BTreeMap::new();
    let mut asked = Vec::new();
    let r = run_native(&settings, &Op::GetMembers, &mut storage, 0.0, |req| {
        asked.push(req.url.clone());
        if req.url.contains("execsvcscriptplain") {
            Outcome::Response(HttpResponse {
                status: 500,
                body: "Not found".into(),
                no_status: true,
                ..Default::default()
            })
        } else {
            Outcome::Response(HttpResponse {
                status: 500,
                body: "broken".into(),
                no_status: true,
                ..Default::default()
            })
        }
    });
    assert_eq!(asked.len(), 2, "{asked:?}");
    let e = r.unwrap_err();
    assert!(e.contains("an error without a status code"), "{e}");
}

// ---- click-to-call ----

fn run_call(
    settings: &str,
    src: &str,
    dst: &str,
    status: u16,
    body: &str,
) -> (Result<Value, String>, Vec<HttpRequest>) {
    let mut sent = Vec::new();
    let mut storage = BTreeMap::new();
    let op = Op::GenerateCall {
        src: src.into(),
        dst: dst.into(),
    };
    let r = run_native(settings, &op, &mut storage, 0.0, |req| {
        sent.push(req.clone());
        Outcome::Response(HttpResponse {
            status,
            body: body.into(),
            ..Default::default()
        })
    });
    (r, sent)
}

#[test]
fn generate_call_sends_wp_autocallstart_with_sequence_back_once() {
    let s = settings(json!({"oktellPassword": "pw"}));
    let (r, sent) = run_call(&s, " ivanov ", "+7 (916) 123-45-67", 200, "");
    assert_eq!(r.unwrap(), Value::Null);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].url,
        "http://okt:4055/wp_autocallstart?user=ivanov&number=79161234567&sequence=back&password=pw"
    );
    let (_, sent) = run_call(&s, "ivanov", "102", 200, "");
    assert!(sent[0]
        .url
        .contains("number=102&sequence=back&direction=pbx"));
}

#[test]
fn generate_call_failures_are_clear_and_never_retried() {
    let s = settings(json!({"oktellLogin": "elma", "oktellPassword": "pw"}));
    let (r, sent) = run_call(&s, "nobody", "89161234567", 500, "Line not found");
    let e = r.unwrap_err();
    assert!(
        e.contains("Oktell could not start the call for user «nobody»")
            && e.contains("Line not found"),
        "{e}"
    );
    assert_eq!(sent.len(), 1, "never retried");
    let (r, _) = run_call(&s, "ivanov", "89161234567", 403, "Forbidden");
    let e = r.unwrap_err();
    assert!(
        e.contains("oktellLogin") && e.contains("oktellPassword") && !e.contains("pw"),
        "{e}"
    );
    let (r, sent) = run_call(&s, "ivanov", "не номер", 200, "");
    assert!(r.unwrap_err().contains("not a phone number"));
    assert!(sent.is_empty());
    let (r, _) = run_call(&s, "", "89161234567", 200, "");
    assert!(r.unwrap_err().contains("srcPhone is empty"));
}

// ---- recordings ----

fn link(extra: Value, call: Value) -> Result<Value, String> {
    let mut storage = BTreeMap::new();
    run_native(
        &settings(extra),
        &Op::GetCallLink { call_data: call },
        &mut storage,
        0.0,
        |_| unreachable!(),
    )
}

#[test]
fn call_links_are_absolute_and_never_carry_credentials() {
    let creds = json!({"oktellLogin": "elma", "oktellPassword": "pw-123"});
    assert_eq!(
        link(creds.clone(), json!({"record": "/download/rec/abc"})).unwrap(),
        "http://okt:4055/download/rec/abc"
    );
    assert_eq!(
        link(creds.clone(), json!({"record": "A1B2C3"})).unwrap(),
        "http://okt:4055/downloadrecordbylink?recordlink=A1B2C3"
    );
    assert_eq!(
        link(
            creds.clone(),
            json!({"record": "https://rec.example/p/abc.mp3"})
        )
        .unwrap(),
        "https://rec.example/p/abc.mp3"
    );
    for bad in [
        "http://elma:pw-123@okt:4055/download/rec/abc",
        "/downloadrecordbylink?recordlink=x&password=pw-123",
        "https://rec.example/p?x=pw-123",
        "https://rec.example/p?pass=zz",
    ] {
        let e = link(creds.clone(), json!({ "record": bad })).unwrap_err();
        assert!(
            e.contains("carries credentials") && !e.contains("pw-123"),
            "{bad}: {e}"
        );
    }
    let e = link(creds.clone(), Value::Null).unwrap_err();
    assert!(e.contains("no recording to play"), "{e}");
    let e = link(creds, json!({"record": " "})).unwrap_err();
    assert!(e.contains("no recording to play"), "{e}");
}

// ---- XML ----

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

const EXEC_XML: &str = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<oktellxmlmapper version=\"80710\">\r\n  <data name=\"result\" count=\"1\">\r\n    <property_set name=\"execsvcscript\">\r\n      <property_simple key=\"started\" value=\"1\" name=\"success\" />\r\n      <property_cdata key=\"returnvalue\"><![CDATA[ivanov;Иванов Иван;101]]></property_cdata>\r\n    </property_set>\r\n  </data>\r\n</oktellxmlmapper>\r\n";

#[test]
fn utf16_xml_with_bom_and_utf16_declaration_parses() {
    let bytes = utf16le(EXEC_XML);
    let text = xml::decode(&bytes);
    let props = xml::parse_mapper(&text).unwrap();
    assert_eq!(xml::prop(&props, "started").unwrap().value, "1");
    assert_eq!(
        xml::prop(&props, "returnvalue").unwrap().value,
        "ivanov;Иванов Иван;101"
    );
    let mut be = vec![0xfe, 0xff];
    for u in EXEC_XML.encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    assert_eq!(xml::decode(&be), EXEC_XML);
    assert_eq!(xml::decode(EXEC_XML.as_bytes()), EXEC_XML);
}

#[test]
fn user_state_xml_gives_the_state_and_its_name() {
    let x = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<oktellxmlmapper version=\"80710\">\r\n  <data name=\"userstate\" count=\"1\">\r\n    <property_set name=\"user\" id=\"d8af50ea\">\r\n      <property_simple key=\"id\" value=\"d8af50ea\" />\r\n      <property_simple key=\"state\" value=\"1\" name=\"usReady\" />\r\n    </property_set>\r\n  </data>\r\n</oktellxmlmapper>\r\n";
    let props = xml::parse_mapper(x).unwrap();
    let state = xml::prop(&props, "state").unwrap();
    assert_eq!(
        (state.value.as_str(), state.name.as_str()),
        ("1", "usReady")
    );
}

#[test]
fn malformed_xml_is_an_error_not_a_guess() {
    for bad in [
        "<oktellxmlmapper><data><property_simple key=\"a\" value=\"1\"/></oops></oktellxmlmapper>",
        "<oktellxmlmapper><data>",
        "<html><body>hi</body></html>",
        "",
        "<oktellxmlmapper><property_simple key=\"a\" value=\"&bogus;\"/></oktellxmlmapper>",
    ] {
        assert!(xml::parse_mapper(bad).is_err(), "{bad}");
    }
}

#[test]
fn raw_bodies_from_the_shim_are_decoded_as_bytes() {
    let bytes = utf16le(EXEC_XML);
    let r = HttpResponse {
        status: 200,
        headers: vec![(crate::http::RAW_BODY_HEADER.into(), "latin1".into())],
        body: bytes.iter().map(|b| char::from(*b)).collect(),
        ..Default::default()
    };
    assert_eq!(xml::body_text(&r), EXEC_XML);
}

// ---- directory ----

fn members(
    extra: Value,
    answers: Vec<(u16, String, bool)>,
) -> (Result<Value, String>, Vec<String>) {
    let mut urls = Vec::new();
    let mut storage = BTreeMap::new();
    let mut answers = answers.into_iter();
    let r = run_native(
        &settings(extra),
        &Op::GetMembers,
        &mut storage,
        0.0,
        |req| {
            urls.push(req.url.clone());
            let (status, body, raw) = answers.next().expect("an answer for every request");
            let headers = if raw {
                vec![(crate::http::RAW_BODY_HEADER.into(), "latin1".into())]
            } else {
                Vec::new()
            };
            Outcome::Response(HttpResponse {
                status,
                headers,
                body,
                ..Default::default()
            })
        },
    );
    (r, urls)
}

#[test]
fn members_come_from_the_script_in_either_shape() {
    let script = json!({"oktellMembersScript": "ELMA365_Users"});
    let (r, urls) = members(
        script.clone(),
        vec![(200, r#"[{"login":"ivanov","name":"Иванов Иван","number":"101"},{"login":"sidorov","name":""}]"#.into(), false)],
    );
    assert_eq!(
        r.unwrap(),
        json!([{"id": "ivanov", "name": "Иванов Иван"}, {"id": "sidorov", "name": "sidorov"}])
    );
    assert!(urls[0].contains("/execsvcscriptplain?name=ELMA365_Users&async=0"));
    let (r, _) = members(
        script,
        vec![(
            200,
            "ivanov;Иванов Иван;101\r\n\r\npetrova;Петрова\r\n".into(),
            false,
        )],
    );
    assert_eq!(r.unwrap().as_array().unwrap().len(), 2);
}

#[test]
fn an_empty_plain_answer_falls_back_to_the_xml_variant() {
    let script = json!({"oktellMembersScript": "ELMA365_Users"});
    let xml_bytes: String = utf16le(EXEC_XML).iter().map(|b| char::from(*b)).collect();
    let (r, urls) = members(
        script.clone(),
        vec![(200, String::new(), false), (200, xml_bytes, true)],
    );
    assert_eq!(r.unwrap(), json!([{"id": "ivanov", "name": "Иванов Иван"}]));
    assert!(urls[1].contains("/execsvcscript?name=ELMA365_Users"));
    let not_started = "<?xml version=\"1.0\"?><oktellxmlmapper><data><property_set><property_simple key=\"started\" value=\"0\" name=\"fail\"/></property_set></data></oktellxmlmapper>";
    let (r, _) = members(
        script.clone(),
        vec![
            (200, String::new(), false),
            (200, not_started.into(), false),
        ],
    );
    let e = r.unwrap_err();
    assert!(
        e.contains("oktellMembersScript") && e.contains("did not start"),
        "{e}"
    );
    let (r, _) = members(
        script,
        vec![
            (200, String::new(), false),
            (200, "<oktellxmlmapper><data>".into(), false),
        ],
    );
    assert!(r.unwrap_err().contains("unreadable XML"));
}

#[test]
fn members_fall_back_to_the_static_list_and_explain_when_there_is_none() {
    let (r, urls) = members(json!({"oktellMembers": "ivanov;Иван\npetrova"}), vec![]);
    assert_eq!(r.unwrap().as_array().unwrap().len(), 2);
    assert!(urls.is_empty());
    let (r, _) = members(json!({"oktellMembers": "ivanov;Иван\n;no login\n"}), vec![]);
    let e = r.unwrap_err();
    assert!(e.contains("oktellMembers") && e.contains("line 2"), "{e}");
    let (r, _) = members(json!({}), vec![]);
    let e = r.unwrap_err();
    assert!(
        e.contains("oktellMembersScript") && e.contains("oktellMembers («"),
        "{e}"
    );
}

// ---- bounded work ----

#[test]
fn answers_over_a_megabyte_are_refused_for_every_oktell_request() {
    let big = "1".repeat(crate::http::MAX_ANSWER_BYTES + 1);
    let script = json!({"oktellMembersScript": "ELMA365_Users"});
    let (r, urls) = members(script.clone(), vec![(200, big.clone(), false)]);
    let e = r.unwrap_err();
    assert_eq!(urls.len(), 1, "not asked again");
    for part in [
        "The Oktell server at http://okt:4055 answered, but not like the PBX would",
        "its answer to execsvcscriptplain is too large: 1048577 bytes, over the limit of 1048576 bytes (1 MB)",
        "Check that oktellUrl («Адрес сервера Oktell») points at the right service and port.",
    ] {
        assert!(e.contains(part), "{e} lacks {part}");
    }
    // The XML variant, passed as raw bytes (one Latin-1 character per byte).
    let raw = "\u{ff}".repeat(crate::http::MAX_ANSWER_BYTES + 1);
    let (r, _) = members(script, vec![(200, String::new(), false), (200, raw, true)]);
    let e = r.unwrap_err();
    assert!(
        e.contains("its answer to execsvcscript is too large"),
        "{e}"
    );
    let (r, _) = run_call(&settings(json!({})), "ivanov", "102", 200, &big);
    assert!(r
        .unwrap_err()
        .contains("answer to wp_autocallstart is too large"));
    let mut storage = BTreeMap::new();
    let r = run_native(
        &settings(json!({})),
        &Op::TestConnection,
        &mut storage,
        0.0,
        |_| {
            Outcome::Response(HttpResponse {
                status: 403,
                body: big.clone(),
                ..Default::default()
            })
        },
    )
    .unwrap();
    assert_eq!(r["success"], false);
    let why = r["failReason"].as_str().unwrap();
    assert!(
        why.contains("answer to getlicenseinfo is too large"),
        "{why}"
    );
}

#[test]
fn a_huge_directory_with_repeated_logins_is_read_in_linear_time() {
    // 80,000 lines, each login repeated: deduplicating by scanning the list would take minutes.
    let mut text = String::new();
    for i in 0..40_000 {
        text.push_str(&format!("u{i}\nu{i};again\n"));
    }
    let (r, _) = members(
        json!({"oktellMembersScript": "ELMA365_Users"}),
        vec![(200, text, false)],
    );
    let m = r.unwrap();
    assert_eq!(m.as_array().unwrap().len(), 40_000);
    assert_eq!(m[5], json!({"id": "u5", "name": "u5"}));
}

#[test]
fn xml_with_a_huge_number_of_attributes_is_read_in_linear_time() {
    let mut attrs = String::new();
    for i in 0..100_000 {
        attrs.push_str(&format!(" a{i}=\"\""));
    }
    let doc = format!(
        "<oktellxmlmapper><property_simple key=\"started\" value=\"0\"{attrs} value=\"1\"/></oktellxmlmapper>"
    );
    let props = xml::parse_mapper(&doc).unwrap();
    assert_eq!(
        props[0].value, "1",
        "a repeated attribute's last value wins"
    );
}

#[test]
fn long_foreign_text_in_click_to_call_errors_is_cut() {
    let long_user = "u".repeat(10_000);
    let said = "Ошибка ".repeat(10_000);
    let (r, _) = run_call(&settings(json!({})), &long_user, "102", 500, &said);
    let e = r.unwrap_err();
    assert!(e.chars().count() < 700, "{}", e.chars().count());
    let (r, _) = run_call(&settings(json!({})), "ivanov", "102", 404, &said);
    assert!(r.unwrap_err().chars().count() < 500);
}

// ---- messages in Russian ----

fn oktell_settings(extra: Value) -> crate::settings::Settings {
    crate::settings::Settings::from_json(&settings(extra)).unwrap()
}

#[test]
fn a_missing_directory_is_explained_in_russian_with_the_fields_named_the_russian_way() {
    use crate::i18n::Lang;
    let e = crate::oktell::static_directory(&oktell_settings(json!({})), None).unwrap_err();
    let ru = e.render(Lang::Ru);
    for part in [
        "«Сценарий справочника сотрудников» (oktellMembersScript): не заполнено, как и «Справочник сотрудников» (oktellMembers)",
        "строками вида логин;имя[;номер]",
    ] {
        assert!(ru.contains(part), "{ru} lacks {part}");
    }
    assert!(e
        .render(Lang::En)
        .contains("oktellMembers («Справочник сотрудников»)"));
    let s = oktell_settings(json!({"oktellMembers": "ivanov;Иван\n;no login\n"}));
    let ru = crate::oktell::static_directory(&s, None)
        .unwrap_err()
        .render(Lang::Ru);
    assert!(
        ru.contains("(oktellMembers): содержит ошибку: строка 2 «;no login» не в формате логин;имя[;номер] — исправьте её"),
        "{ru}"
    );
}

#[test]
fn a_directory_script_that_did_not_start_is_explained_in_russian() {
    use crate::i18n::Lang;
    let s = oktell_settings(json!({"oktellMembersScript": "ELMA365_Users"}));
    let not_started =
        "<oktellxmlmapper><property_simple key=\"started\" value=\"0\"/></oktellxmlmapper>";
    let outcome = Outcome::Response(HttpResponse {
        status: 200,
        body: not_started.into(),
        ..Default::default()
    });
    let ru = crate::oktell::xml_directory(&s, &outcome)
        .unwrap_err()
        .render(Lang::Ru);
    assert!(
        ru.starts_with("«Сценарий справочника сотрудников» (oktellMembersScript): сценарий ничего не вернул: Oktell его не запустил"),
        "{ru}"
    );
    let outcome = Outcome::Response(HttpResponse {
        status: 200,
        body: "<oktellxmlmapper><data>".into(),
        ..Default::default()
    });
    let ru = crate::oktell::xml_directory(&s, &outcome)
        .unwrap_err()
        .render(Lang::Ru);
    assert!(
        ru.contains("нечитаемым XML (документ обрывается внутри элемента)"),
        "{ru}"
    );
}

#[test]
fn test_connection_reports_success_in_the_language_setting() {
    let licence = |_: &HttpRequest| {
        Outcome::Response(HttpResponse {
            status: 200,
            body: "7654321".into(),
            ..Default::default()
        })
    };
    let mut storage = BTreeMap::new();
    let s = settings(
        json!({"language": "ru", "webhookSecret": "hook-secret", "oktellMembers": "ivanov;Иван\npetrova"}),
    );
    let r = run_native(&s, &Op::TestConnection, &mut storage, 0.0, licence).unwrap();
    assert_eq!(r["success"], true, "{r}");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "Соединение установлено: сервер Oktell http://okt:4055, рег. номер лицензии 7654321; \
             справочник из поля «Справочник сотрудников» (oktellMembers), сотрудников: 2. Вебхук: "
        ),
        "{message}"
    );
    // Without a webhook secret the webhook takes events from anyone: the test fails and says so.
    let s = settings(json!({"language": "ru", "oktellMembers": "ivanov;Иван"}));
    let r = run_native(&s, &Op::TestConnection, &mut storage, 0.0, licence).unwrap();
    assert_eq!(r["success"], false, "{r}");
    let why = r["failReason"].as_str().unwrap();
    assert!(
        why.contains("«Секрет вебхука» (webhookSecret) не заполнен"),
        "{why}"
    );
    assert!(
        why.contains("Что удалось проверить: Соединение установлено"),
        "{why}"
    );
}

#[test]
fn a_refused_call_is_explained_in_russian() {
    let s = settings(json!({"language": "ru"}));
    let (r, _) = run_call(&s, "nobody", "89161234567", 500, "Line not found");
    let e = r.unwrap_err();
    assert!(
        e.starts_with("Oktell не смог начать звонок пользователя «nobody» на +79161234567: «Line not found». Проверьте, что «nobody» — логин Oktell"),
        "{e}"
    );
    let (r, _) = run_call(&s, "ivanov", "89161234567", 404, "<html>nope</html>");
    let e = r.unwrap_err();
    assert!(
        e.starts_with("Ответ не похож на ответ АТС: сервер Oktell http://okt:4055 (ответ на wp_autocallstart: HTTP 404 «<html>nope</html>»)"),
        "{e}"
    );
}

// ---- found by fuzzing ----

#[test]
fn an_authorization_header_with_a_multibyte_character_near_the_start_is_refused_not_a_panic() {
    // fuzz/artifacts/oktell_webhook/crash-a10dfa3f…: byte 6 fell inside a character.
    let mut hook = Hook::new(json!({"webhookSecret": "s3cr3t"}));
    for header in [
        "P\u{fffd}\u{fffd}P",
        "Basic",
        "Basi\u{e9}",
        "basic\u{e9}xx",
        "\u{e9}",
    ] {
        let r = hook.send(WebhookRequest {
            method: "GET".into(),
            headers: vec![("Authorization".into(), header.into())],
            query: vec![
                ("event".into(), "ring".into()),
                ("callid".into(), "c1".into()),
            ],
            ..Default::default()
        });
        assert_eq!(r["response"]["status"], 403, "{header}");
    }
}

#[test]
fn a_refusal_never_quotes_the_webhook_secret_back() {
    let mut h = Hook::new(json!({"webhookSecret": "hook-s3cret"}));
    let r = h.scenario(&[
        ("token", "hook-s3cret"),
        ("event", "hangup"),
        ("callid", "c1"),
        ("duration", "12hook-s3cret"),
    ]);
    let body = r["response"]["body"].as_str().unwrap_or_default();
    assert!(body.contains("not a number of seconds"), "{r}");
    assert!(!body.contains("hook-s3cret"), "{body}");
}

/// `lenient_base64` as it was with the base64 crate: the hand decoder must answer exactly this,
/// `Ok` bytes and error texts alike (the texts reach the webhook's 400 answers).
fn lenient_base64_by_the_crate(text: &str) -> Result<Vec<u8>, String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    // The same cleaning (what is compared is the decoding after it).
    let clean = crate::oktell::inbound::base64_cleaned(text);
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    engine
        .decode(clean.as_bytes())
        .map_err(|e| format!("the data field is not base64 ({e})"))
}

#[test]
fn lenient_base64_answers_as_the_crate_did_for_every_short_string() {
    use crate::oktell::inbound::lenient_base64;
    // Symbols (with 0 and 63, and ones whose low bits are dropped at the end), the characters the
    // cleaning rewrites or drops, a byte that is no symbol, and a two-byte UTF-8 character.
    let alphabet = [
        'A', 'Q', 'w', '9', '+', '/', '=', '-', '_', ' ', '\n', '\r', '\t', '!', 'é',
    ];
    let (mut checked, mut errors) = (0usize, 0usize);
    let mut text = String::new();
    for len in 0..=5u32 {
        for mut n in 0..alphabet.len().pow(len) {
            text.clear();
            for _ in 0..len {
                text.push(alphabet[n % alphabet.len()]);
                n /= alphabet.len();
            }
            let want = lenient_base64_by_the_crate(&text);
            assert_eq!(lenient_base64(&text), want, "{text:?}");
            checked += 1;
            errors += usize::from(want.is_err());
        }
    }
    assert_eq!(checked, (0..=5).map(|l| 15usize.pow(l)).sum::<usize>());
    assert!(
        errors > checked / 10 && errors < checked,
        "{errors} of {checked}"
    );
}

#[test]
fn lenient_base64_answers_as_the_crate_did_for_random_strings() {
    use crate::oktell::inbound::lenient_base64;
    let symbols: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        .chars()
        .collect();
    let odd = [
        '=', '-', '_', ' ', '\n', '\r', '\t', '!', '%', '.', '\0', 'é', 'ж', '€', '😀', '\u{feff}',
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d) as usize
    };
    let (mut oks, mut errors) = (0, 0);
    for round in 0..20_000 {
        let len = next() % 160;
        let odd_one_in = 2 + next() % 60;
        let text: String = (0..len)
            .map(|_| match next() % odd_one_in {
                0 => odd[next() % odd.len()],
                _ => symbols[next() % 64],
            })
            .collect();
        let want = lenient_base64_by_the_crate(&text);
        assert_eq!(lenient_base64(&text), want, "round {round}: {text:?}");
        if want.is_ok() {
            oks += 1;
        } else {
            errors += 1;
        }
    }
    assert!(oks > 2_000 && errors > 2_000, "{oks} ok, {errors} errors");
}
