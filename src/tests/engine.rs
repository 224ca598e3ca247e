//! The engine's own rules: ops, settings and the connection test's bounds.

use crate::contract::Op;
use crate::engine::*;
use crate::health::WEBHOOK_URL_KEY;
use crate::host;
use crate::http::WebhookRequest;
use crate::http::{HttpResponse, Outcome};
use crate::json;
use crate::settings::Read;
use crate::testing::run_native;
use serde_json::Value;
use std::collections::BTreeMap;

#[test]
fn a_test_on_a_host_that_cannot_bound_requests_fails_and_names_the_timeout() {
    let settings = Read::from_json(
        r#"{"provider":"rostelecom","rtClientId":"a","rtSignKey":"the-key","language":"en"}"#,
    );
    let mut storage = BTreeMap::new();
    let host = host::Scripted::new(&mut storage, 0.0, |_| {
        Outcome::Response(HttpResponse {
            status: 200,
            body: r#"{"result":"0","users":[],"groups":[]}"#.into(),
            ..Default::default()
        })
    });
    let op = r#"{"op":"testConnection","unbounded":true}"#;
    let r: Value =
        serde_json::from_str(&pollster::block_on(call(&settings, op, None, &host)).unwrap())
            .unwrap();
    assert_eq!(r["success"], false);
    let why = r["failReason"].as_str().unwrap();
    assert!(why.contains("cannot be bounded in time"), "{why}");
    assert!(why.contains("requestTimeoutSec"), "{why}");
    assert!(why.contains("What was reached: Connected to"), "{why}");
    assert!(!why.contains("the-key"), "{why}");
}

#[test]
fn invalid_settings_make_test_connection_report_not_throw() {
    let mut storage = BTreeMap::new();
    let r = run_native(
        "{}",
        &Op::TestConnection,
        &mut storage,
        0.0,
        |_| unreachable!(),
    )
    .unwrap();
    assert_eq!(r["success"], false);
    assert!(r["failReason"]
        .as_str()
        .unwrap()
        .contains("provider («АТС») is empty"));
}

#[test]
fn invalid_settings_make_other_calls_fail_with_the_same_message() {
    let mut storage = BTreeMap::new();
    let e = run_native("{}", &Op::GetMembers, &mut storage, 0.0, |_| unreachable!()).unwrap_err();
    assert!(e.contains("provider («АТС») is empty"), "{e}");
}

#[test]
fn webhook_url_is_stored() {
    let mut storage = BTreeMap::new();
    let settings = r#"{"provider":"rostelecom","rtClientId":"a","rtSignKey":"b"}"#;
    let op = Op::OnWebhookUpdated {
        url: " https://elma.example/api/webhook/x ".into(),
    };
    run_native(settings, &op, &mut storage, 0.0, |_| unreachable!()).unwrap();
    assert_eq!(
        storage[WEBHOOK_URL_KEY],
        "https://elma.example/api/webhook/x"
    );
}

#[test]
fn webhook_url_is_stored_even_before_settings_are_filled() {
    let mut storage = BTreeMap::new();
    let op = Op::OnWebhookUpdated {
        url: "https://elma.example/api/webhook/x".into(),
    };
    assert_eq!(
        run_native("{}", &op, &mut storage, 0.0, |_| unreachable!()),
        Ok(Value::Null)
    );
    assert_eq!(
        storage[WEBHOOK_URL_KEY],
        "https://elma.example/api/webhook/x"
    );
}

#[test]
fn every_op_the_shim_sends_is_read_back() {
    let request = WebhookRequest {
        method: "POST".into(),
        headers: vec![("x-a".into(), "1".into())],
        body: Some("{}".into()),
        body_parsed: Some("object".into()),
        query: vec![("q".into(), "2".into())],
    };
    for op in [
        Op::TestConnection,
        Op::GetMembers,
        Op::GenerateCall {
            src: "101".into(),
            dst: "+74950000000".into(),
        },
        Op::ParseWebhook { request },
        Op::GetCallLink {
            call_data: serde_json::json!({"session": "s"}),
        },
        Op::OnWebhookUpdated { url: "u".into() },
    ] {
        let v = serde_json::to_value(&op).unwrap();
        assert_eq!(Op::from_value(&v), Ok(op));
    }
    let absent = serde_json::json!({"op": "getCallLink"});
    assert_eq!(
        Op::from_value(&absent),
        Ok(Op::GetCallLink {
            call_data: Value::Null
        })
    );
}

#[test]
fn the_shims_fetch_outcomes_are_read_back() {
    use crate::http::{Failure, HttpResponse, Outcome};
    for outcome in [
        Outcome::Response(HttpResponse {
            status: 404,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: "no".into(),
            ..Default::default()
        }),
        Outcome::Failure(Failure {
            code: "ECONNREFUSED".into(),
            message: "refused".into(),
            timed_out: true,
            ..Default::default()
        }),
    ] {
        let v = serde_json::to_value(&outcome).unwrap();
        assert_eq!(Outcome::from_value(&v), Ok(outcome));
    }
    for (text, says) in [
        (r#"{"response":{"status":"200"}}"#, "field `status`"),
        (r#"{"response":{"status":70000}}"#, "field `status`"),
        (r#"{"response":{"status":200,"body":1}}"#, "field `body`"),
        (r#"{"failure":{"timedOut":"yes"}}"#, "field `timedOut`"),
        (r#"{"other":{}}"#, "neither"),
        ("7", "neither"),
    ] {
        let e = Outcome::from_value(&json::parse(text).unwrap()).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
    }
}

#[test]
fn malformed_calls_are_clear_errors_not_panics() {
    let run = |op: &str| {
        let mut storage = BTreeMap::new();
        let host = crate::host::Scripted::new(
            &mut storage,
            0.0,
            |_: &crate::http::HttpRequest| unreachable!(),
        );
        pollster::block_on(call(
            &Read::from_json(r#"{"language":"en"}"#),
            op,
            None,
            &host,
        ))
        .unwrap_err()
        .message
    };
    let e = run(r#"{"op":"generateCall","src":5,"dst":"x"}"#);
    assert!(
        e.contains("unknown call") && e.contains("field `src` is not a string"),
        "{e}"
    );
    let e = run(r#"{"op":"parseWebhook","request":"x"}"#);
    assert!(e.contains("webhook request is not an object"), "{e}");
    let e = run("{\"op\":");
    assert!(e.contains("unknown call") && e.contains("EOF"), "{e}");
    let e = run(r#"{"op":"dance"}"#);
    assert!(e.contains("unknown call"), "{e}");
}
