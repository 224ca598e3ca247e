//! The webhook's health through the engine: traces written by webhooks, judged by the test.

use crate::contract::Op;
use crate::health::*;
use crate::http::{HttpResponse, Outcome, WebhookRequest};
use crate::rostelecom::api::sign;
use crate::testing::run_native;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ID: &str = "000003C405E6525C64C184258C44EC99";
const KEY: &str = "00000716ABDA6D4DFF10F82BCBBFC532";
const HOUR: f64 = 3_600_000.0;
const T0: f64 = 1_700_000_000_000.0;

fn settings(lang: &str) -> String {
    json!({"provider": "rostelecom", "rtClientId": ID, "rtSignKey": KEY, "rtApiUrl": "http://pbx", "language": lang})
        .to_string()
}

fn webhook(key: &str) -> Op {
    let body = r#"{"session_id":"s1","state":"new","type":"incoming","from_number":"74951234567","request_number":"74992222222","request_pin":"101","timestamp":"01.01.2024 10:00:00"}"#;
    Op::ParseWebhook {
        request: WebhookRequest {
            method: "POST".into(),
            headers: vec![
                ("X-Client-ID".into(), ID.into()),
                ("X-Client-Sign".into(), sign(ID, body, key)),
            ],
            body: Some(body.into()),
            ..Default::default()
        },
    }
}

fn users_info(_: &crate::http::HttpRequest) -> Outcome {
    Outcome::Response(HttpResponse {
        status: 200,
        body: r#"{"result":0,"users":[],"groups":[]}"#.into(),
        ..Default::default()
    })
}

fn test(storage: &mut BTreeMap<String, String>, lang: &str, at: f64) -> Value {
    run_native(
        &settings(lang),
        &Op::TestConnection,
        storage,
        at,
        users_info,
    )
    .unwrap()
}

fn deliver(storage: &mut BTreeMap<String, String>, key: &str, at: f64) -> Value {
    run_native(
        &settings("en"),
        &webhook(key),
        storage,
        at,
        |_| unreachable!(),
    )
    .unwrap()
}

#[test]
fn a_refused_webhook_fails_the_test_until_one_is_accepted() {
    let mut storage = BTreeMap::new();
    let url = "https://elma.example/api/extensions/voip/webhook";
    storage.insert(WEBHOOK_URL_KEY.into(), url.into());
    let r = test(&mut storage, "en", T0);
    assert_eq!(r["success"], true, "{r}");
    let note = r["message"].as_str().unwrap();
    assert!(
        note.contains("no request from the PBX has arrived yet"),
        "{note}"
    );
    assert!(note.contains(url), "{note}");

    let refused = deliver(&mut storage, "WRONG-KEY", T0);
    assert_eq!(refused["response"]["status"], 403);
    for (lang, parts) in [
        (
            "en",
            [
                "was refused",
                "X-Client-Sign",
                "Fix rtSignKey («Ключ подписи»)",
                "2 h ago",
                "What was reached: Connected to",
            ],
        ),
        (
            "ru",
            [
                "отклонён",
                "X-Client-Sign",
                "Исправьте «Ключ подписи» (rtSignKey)",
                "2 ч назад",
                "Что удалось проверить: ",
            ],
        ),
    ] {
        let r = test(&mut storage, lang, T0 + 2.0 * HOUR);
        assert_eq!(r["success"], false, "{r}");
        let why = r["failReason"].as_str().unwrap();
        for p in parts {
            assert!(why.contains(p), "{lang}: «{why}» lacks «{p}»");
        }
        assert!(!why.contains(KEY), "{why}");
    }

    let accepted = deliver(&mut storage, KEY, T0 + 3.0 * HOUR);
    assert_eq!(accepted["response"]["status"], 200);
    let r = test(&mut storage, "en", T0 + 3.0 * HOUR + 60_000.0);
    assert_eq!(r["success"], true, "{r}");
    let note = r["message"].as_str().unwrap();
    assert!(
        note.contains("Webhook: the last request (a call event) was accepted 60 s ago"),
        "{note}"
    );
    let r = test(&mut storage, "ru", T0 + 3.0 * HOUR + 60_000.0);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("Вебхук: последний запрос (событие звонка) принят 60 с назад"),
        "{r}"
    );
}

#[test]
fn a_refusal_older_than_a_day_is_only_a_note() {
    let mut storage = BTreeMap::new();
    deliver(&mut storage, "WRONG-KEY", T0);
    let r = test(&mut storage, "en", T0 + 25.0 * HOUR);
    assert_eq!(r["success"], true, "{r}");
    let note = r["message"].as_str().unwrap();
    assert!(note.contains("(a request, 25 h ago) was refused"), "{note}");
}

#[test]
fn a_refusal_after_an_older_acceptance_fails_and_one_before_it_does_not() {
    let mut storage = BTreeMap::new();
    deliver(&mut storage, KEY, T0);
    deliver(&mut storage, "WRONG-KEY", T0 + HOUR);
    assert_eq!(test(&mut storage, "en", T0 + 2.0 * HOUR)["success"], false);
    deliver(&mut storage, KEY, T0 + 3.0 * HOUR);
    let r = test(&mut storage, "en", T0 + 4.0 * HOUR);
    assert_eq!(r["success"], true, "{r}");
}

#[test]
fn without_a_webhook_url_the_test_says_so() {
    let mut storage = BTreeMap::new();
    let r = test(&mut storage, "ru", T0);
    assert_eq!(r["success"], true, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("VoipOnWebhookUpdated"),
        "{r}"
    );
}
