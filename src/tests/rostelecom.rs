//! The Rostelecom provider through the engine, with in-memory storage.

use crate::contract::Op;
use crate::http::Outcome;
use crate::http::{Failure, HttpRequest, HttpResponse, WebhookRequest};
use crate::rostelecom::*;
use crate::testing::run_native;
use serde_json::json;
use serde_json::Value;
use std::collections::BTreeMap;

const ID: &str = "000003C405E6525C64C184258C44EC99";
const KEY: &str = "00000716ABDA6D4DFF10F82BCBBFC532";

fn settings() -> String {
    json!({"provider": "rostelecom", "rtClientId": ID, "rtSignKey": KEY, "rtApiUrl": "http://pbx"})
        .to_string()
}

fn signed(body: &str) -> Op {
    Op::ParseWebhook {
        request: WebhookRequest {
            method: "POST".into(),
            headers: vec![
                ("x-client-id".into(), ID.into()),
                ("X-CLIENT-SIGN".into(), api::sign(ID, body, KEY)),
            ],
            body: Some(body.into()),
            ..Default::default()
        },
    }
}

fn ok_json(v: Value) -> Outcome {
    Outcome::Response(HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: v.to_string(),
        ..Default::default()
    })
}

fn delivery(state: &str, pin: &str, ts: &str, extra: Value) -> String {
    let mut v = json!({"session_id": "S1", "timestamp": ts, "type": "incoming", "state": state,
        "from_number": "sip:79161234567@188.254.33.73", "from_pin": "",
        "request_number": "sip:74992222222@188.254.33.73", "request_pin": pin,
        "disconnect_reason": "", "is_record": ""});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v.to_string()
}

#[test]
fn an_incoming_call_gives_its_events_then_one_record_and_repeats_give_nothing() {
    let mut storage = BTreeMap::new();
    let mut calls = 0;
    let mut respond = |r: &HttpRequest| {
        calls += 1;
        assert!(r.url.ends_with("/call_info"));
        assert_eq!(r.body.as_deref(), Some(r#"{"session_id":"S1"}"#));
        ok_json(json!({"result": "0", "info": {"state": 1, "duration": "14", "is_record": true}}))
    };
    let bodies = [
        delivery("new", "", "2018-04-23 15:01:27.214", json!({})),
        delivery("calling", "101", "2018-04-23 15:01:27.514", json!({})),
        delivery("connected", "101", "2018-04-23 15:01:32.514", json!({})),
        delivery(
            " disconnected ",
            "101",
            "2018-04-23 15:01:46.514",
            json!({"disconnect_reason": "5"}),
        ),
        delivery(
            "end",
            "101",
            "2018-04-23 15:01:46.714",
            json!({"is_record": "true"}),
        ),
    ];
    let mut results = Vec::new();
    for b in &bodies {
        results
            .push(run_native(&settings(), &signed(b), &mut storage, 1e12, &mut respond).unwrap());
    }
    let kinds: Vec<Value> = results
        .iter()
        .map(|r| r["event"]["event"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![
            json!("NotifyStart"),
            json!("NotifyStart"),
            json!("NotifyAnswer"),
            Value::Null,
            json!("NotifyEnd")
        ]
    );
    assert_eq!(results[1]["event"]["dstPhone"], "101");
    let rec = &results[4]["callRecord"];
    assert_eq!(rec["duration"], 14);
    assert_eq!(rec["disposition"], "Answered");
    assert_eq!(
        rec["call"],
        json!({"provider": "rostelecom", "sessionId": "S1"})
    );
    assert!(results.iter().all(|r| r["response"]["status"] == 200));
    assert!(
        storage["rt:c:S1"].contains(r#""d":1"#),
        "the state gives way to a tombstone"
    );
    for b in &bodies {
        let again = run_native(&settings(), &signed(b), &mut storage, 1e12, &mut respond).unwrap();
        assert_eq!(again["event"], Value::Null, "{b}");
        assert_eq!(again["callRecord"], Value::Null);
        assert_eq!(again["response"]["status"], 200);
    }
    assert_eq!(calls, 1, "call_info once, for the one end");
}

#[test]
fn a_late_retry_of_an_earlier_delivery_is_ignored() {
    let mut storage = BTreeMap::new();
    let connected = delivery("connected", "101", "2018-04-23 15:01:32.514", json!({}));
    let disconnected = delivery("disconnected", "101", "2018-04-23 15:01:46.914", json!({}));
    let mut run = |b: &str| {
        run_native(
            &settings(),
            &signed(b),
            &mut storage,
            1e12,
            |_| unreachable!(),
        )
        .unwrap()
    };
    assert_eq!(run(&connected)["event"]["event"], "NotifyAnswer");
    assert_eq!(run(&disconnected)["event"], Value::Null);
    let late = run(&connected);
    assert_eq!(
        late["event"],
        Value::Null,
        "no second answer for a retried delivery"
    );
    assert_eq!(late["response"]["status"], 200);
}

#[test]
fn end_falls_back_to_event_times_when_call_info_fails() {
    let mut storage = BTreeMap::new();
    let mut respond = |_: &HttpRequest| {
        Outcome::Failure(Failure {
            code: "ECONNREFUSED".into(),
            ..Default::default()
        })
    };
    for b in [
        delivery("connected", "101", "2018-04-23 15:01:32.514", json!({})),
        delivery("disconnected", "101", "2018-04-23 15:01:46.914", json!({})),
    ] {
        run_native(&settings(), &signed(&b), &mut storage, 1e12, &mut respond).unwrap();
    }
    let end = delivery("end", "", "2018-04-23 15:01:47.000", json!({}));
    let r = run_native(&settings(), &signed(&end), &mut storage, 1e12, &mut respond).unwrap();
    assert_eq!(r["callRecord"]["duration"], 14);
    assert_eq!(r["callRecord"]["dstPhone"], "101");
    assert_eq!(r["callRecord"]["call"], Value::Null);
}

#[test]
fn forged_or_unsigned_webhooks_are_refused_without_touching_storage() {
    let body = delivery("new", "", "", json!({}));
    let mut storage = BTreeMap::new();
    let mut forged = signed(&body);
    if let Op::ParseWebhook { request } = &mut forged {
        request.headers[1].1 = api::sign(ID, &body, "WRONG");
    }
    let mut unsigned = signed(&body);
    if let Op::ParseWebhook { request } = &mut unsigned {
        request.headers.truncate(1);
    }
    let respaced = signed(&body);
    let respaced = match respaced {
        Op::ParseWebhook { mut request } => {
            request.body = Some(body.replace(',', ", "));
            Op::ParseWebhook { request }
        }
        _ => unreachable!(),
    };
    for op in [forged, unsigned, respaced] {
        let r = run_native(&settings(), &op, &mut storage, 0.0, |_| unreachable!()).unwrap();
        assert_eq!(r["response"]["status"], 403);
        assert_eq!(r["event"], Value::Null);
        let trace = &storage[crate::health::REFUSED_KEY];
        assert!(
            trace.contains(" sign ") || trace.contains(" unsigned "),
            "{trace}"
        );
    }
    assert!(crate::health::only_traces(&storage));
}

#[test]
fn get_number_info_is_answered_at_once_without_a_pin() {
    let body =
        r#"{"domain": "...", "from_number": "74959561111", "request_number": "74992222222"}"#;
    let mut storage = BTreeMap::new();
    let r = run_native(
        &settings(),
        &signed(body),
        &mut storage,
        0.0,
        |_| unreachable!(),
    )
    .unwrap();
    let reply: Value = serde_json::from_str(r["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(reply["result"], 0);
    assert_eq!(reply["PIN"], "");
    assert!(crate::health::only_traces(&storage));
    assert!(storage[crate::health::ACCEPTED_KEY].ends_with(" info"));
}

#[test]
fn generate_call_is_sent_once_even_when_it_times_out() {
    let mut storage = BTreeMap::new();
    let mut sent = Vec::new();
    let op = Op::GenerateCall {
        src: "sip:ivanov@demo.cloudpbx.rt.ru".into(),
        dst: "8 (916) 123-45-67".into(),
    };
    let e = run_native(&settings(), &op, &mut storage, 0.0, |r| {
        sent.push(r.body.clone().unwrap_or_default());
        Outcome::Failure(Failure {
            timed_out: true,
            ..Default::default()
        })
    })
    .unwrap_err();
    assert_eq!(
        sent,
        vec![r#"{"from_sipuri":"ivanov@demo.cloudpbx.rt.ru","request_number":"+79161234567"}"#]
    );
    assert!(
        e.contains("not repeated") && e.contains("+79161234567"),
        "{e}"
    );
}

#[test]
fn call_back_refusal_names_both_numbers_and_the_pbx_message() {
    let mut storage = BTreeMap::new();
    let op = Op::GenerateCall {
        src: "101".into(),
        dst: "+79161234567".into(),
    };
    let e = run_native(&settings(), &op, &mut storage, 0.0, |_| {
        ok_json(json!({"result": -20, "resultMessage": "Ошибка при попытке выполнения обратного вызова"}))
    })
    .unwrap_err();
    for part in ["PIN 101", "+79161234567", "-20", "Ошибка при попытке"] {
        assert!(e.contains(part), "{e} lacks {part}");
    }
}

#[test]
fn answers_over_a_megabyte_are_refused_for_every_rostelecom_request() {
    let big = format!(
        r#"{{"result":0,"users":[],"pad":"{}"}}"#,
        "x".repeat(crate::http::MAX_ANSWER_BYTES)
    );
    let answer = |_: &HttpRequest| {
        Outcome::Response(HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: big.clone(),
            ..Default::default()
        })
    };
    let mut storage = BTreeMap::new();
    let r = run_native(&settings(), &Op::TestConnection, &mut storage, 0.0, answer).unwrap();
    let why = r["failReason"].as_str().unwrap();
    for part in [
        "The Rostelecom virtual PBX API at http://pbx answered, but not like the PBX would",
        "its answer to users_info is too large: 1048608 bytes, over the limit of 1048576 bytes (1 MB)",
        "Check that rtApiUrl («Адрес API ВАТС») points at the right service and port.",
    ] {
        assert!(why.contains(part), "{why} lacks {part}");
    }
    let e = run_native(&settings(), &Op::GetMembers, &mut storage, 0.0, answer).unwrap_err();
    assert!(e.contains("answer to users_info is too large"), "{e}");
    let op = Op::GenerateCall {
        src: "101".into(),
        dst: "+79161234567".into(),
    };
    let e = run_native(&settings(), &op, &mut storage, 0.0, answer).unwrap_err();
    assert!(e.contains("answer to call_back is too large"), "{e}");
    let op = Op::GetCallLink {
        call_data: json!({"provider": "rostelecom", "sessionId": "S1"}),
    };
    let e = run_native(&settings(), &op, &mut storage, 0.0, answer).unwrap_err();
    assert!(e.contains("answer to get_record is too large"), "{e}");
    // call_info on `end`: the oversized answer is not used; the event times are.
    let end = delivery("end", "101", "2018-04-23 15:01:46.714", json!({}));
    let r = run_native(&settings(), &signed(&end), &mut storage, 1e12, answer).unwrap();
    assert_eq!(r["callRecord"]["duration"], 0);
    assert_eq!(r["callRecord"]["disposition"], "NoAnswer");
}

#[test]
fn a_huge_user_list_with_repeated_pins_is_read_in_linear_time() {
    let users: Vec<Value> = (0..60_000)
        .map(|i| json!({"pin": (i / 2).to_string()}))
        .collect();
    let mut storage = BTreeMap::new();
    let r = run_native(&settings(), &Op::GetMembers, &mut storage, 0.0, |_| {
        ok_json(json!({"result": 0, "users": users}))
    })
    .unwrap();
    assert_eq!(r.as_array().unwrap().len(), 30_000);
}

#[test]
fn click_to_call_and_the_connection_check_speak_russian() {
    let ru = json!({"provider": "rostelecom", "rtClientId": ID, "rtSignKey": KEY,
        "rtApiUrl": "http://pbx", "language": "ru"})
    .to_string();
    let mut storage = BTreeMap::new();
    let op = Op::GenerateCall {
        src: "101".into(),
        dst: "+79161234567".into(),
    };
    let e = run_native(&ru, &op, &mut storage, 0.0, |_| {
        ok_json(json!({"result": -20, "resultMessage": "Ошибка вызова"}))
    })
    .unwrap_err();
    assert!(
        e.starts_with("Звонок из карточки не удался (PIN 101 → +79161234567): ВАТС Ростелеком отказала в call_back: result -20, «Ошибка вызова». Проверьте, что PIN 101 — сотрудник"),
        "{e}"
    );
    let e = run_native(&ru, &op, &mut storage, 0.0, |_| {
        Outcome::Failure(Failure {
            timed_out: true,
            ..Default::default()
        })
    })
    .unwrap_err();
    assert!(
        e.contains("Нет ответа за 10 с: API ВАТС Ростелеком http://pbx.")
            && e.contains("Запрос не повторялся"),
        "{e}"
    );
    let r = run_native(&ru, &Op::TestConnection, &mut storage, 0.0, |_| {
        ok_json(json!({"result": 0, "users": [{"pin": "101"}], "groups": []}))
    })
    .unwrap();
    let message = r["message"].as_str().unwrap();
    assert!(
        message.starts_with("Соединение установлено: API ВАТС Ростелеком http://pbx. Подпись принята; пользователей: 1, групп: 0. Вебхук: "),
        "{message}"
    );
}

#[test]
fn a_long_pbx_message_is_cut_in_the_error() {
    let mut storage = BTreeMap::new();
    let op = Op::GenerateCall {
        src: format!("sip:{}@h", "u".repeat(5_000)),
        dst: "+79161234567".into(),
    };
    let e = run_native(&settings(), &op, &mut storage, 0.0, |_| {
        ok_json(json!({"result": -20, "resultMessage": "Ошибка ".repeat(10_000)}))
    })
    .unwrap_err();
    assert!(e.contains("Ошибка Ошибка") && e.contains('…'), "{e}");
    assert!(e.chars().count() < 1_000, "{}", e.chars().count());
}
