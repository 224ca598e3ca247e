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

/// A host that logs every storage call and can fail reads: the trace must ride on the state's
/// write, never cost a storage call of its own, and still be written when nothing else is.
struct Logged<'a, H> {
    inner: H,
    log: &'a std::cell::RefCell<Vec<String>>,
    fail_reads: bool,
}

impl<H: crate::host::Host> crate::host::Host for Logged<'_, H> {
    async fn fetch(&self, request: &crate::http::HttpRequest) -> Result<Outcome, String> {
        self.inner.fetch(request).await
    }
    async fn read(&self, keys: &[String]) -> Result<crate::host::Stored, String> {
        self.log
            .borrow_mut()
            .push(format!("read {}", keys.join(" ")));
        if self.fail_reads {
            return Err("storage is down".into());
        }
        self.inner.read(keys).await
    }
    async fn write(&self, writes: &[(String, Option<String>)]) -> Result<(), String> {
        let keys: Vec<&str> = writes.iter().map(|(k, _)| k.as_str()).collect();
        self.log
            .borrow_mut()
            .push(format!("write {}", keys.join(" ")));
        self.inner.write(writes).await
    }
    fn now_ms(&self) -> f64 {
        self.inner.now_ms()
    }
    async fn sleep(&self, ms: u32) -> bool {
        self.inner.sleep(ms).await
    }
    async fn crm(&self, request: &str) -> Result<String, String> {
        self.inner.crm(request).await
    }
    fn nonce(&self) -> u64 {
        self.inner.nonce()
    }
}

/// Delivers `webhook(KEY)` on a logged host; returns the storage calls it made.
fn logged_delivery(storage: &mut BTreeMap<String, String>, fail_reads: bool) -> Vec<String> {
    let log = std::cell::RefCell::new(Vec::new());
    let host = Logged {
        inner: crate::host::Scripted::new(storage, T0, |_| unreachable!()),
        log: &log,
        fail_reads,
    };
    let read = crate::settings::Read::from_json(&settings("en"));
    let op = serde_json::to_string(&webhook(KEY)).unwrap();
    let out = pollster::block_on(crate::engine::call(&read, &op, None, &host)).unwrap();
    assert!(out.contains("NotifyStart"), "{out}");
    log.into_inner()
}

#[test]
fn a_call_events_trace_rides_on_its_state_write() {
    let mut storage = BTreeMap::new();
    let first = logged_delivery(&mut storage, false);
    assert_eq!(first.len(), 2, "one read and one write: {first:?}");
    assert!(first[0].starts_with("read rt:c:s1 rt:g:"), "{first:?}");
    assert!(first[1].starts_with("write rt:g:"), "{first:?}");
    assert!(
        first[1].ends_with(&format!(" rt:c:s1 {ACCEPTED_KEY}")),
        "{first:?}"
    );
    assert_eq!(storage[ACCEPTED_KEY], format!("{} call", T0 as u64));

    // A repeat writes no state: the trace is written alone, once.
    storage.remove(ACCEPTED_KEY);
    let log = std::cell::RefCell::new(Vec::new());
    let host = Logged {
        inner: crate::host::Scripted::new(&mut storage, T0, |_| unreachable!()),
        log: &log,
        fail_reads: false,
    };
    let read = crate::settings::Read::from_json(&settings("en"));
    let op = serde_json::to_string(&webhook(KEY)).unwrap();
    let out = pollster::block_on(crate::engine::call(&read, &op, None, &host)).unwrap();
    assert!(out.contains("ignored: a repeated delivery"), "{out}");
    let repeat = log.into_inner();
    assert_eq!(repeat.len(), 2, "{repeat:?}");
    assert_eq!(repeat[1], format!("write {ACCEPTED_KEY}"));
    assert_eq!(storage[ACCEPTED_KEY], format!("{} call", T0 as u64));

    // A failed read: no state is written over what could not be read, the event is still handed
    // out, and the trace is written alone.
    let mut storage = BTreeMap::new();
    let failed = logged_delivery(&mut storage, true);
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[1], format!("write {ACCEPTED_KEY}"));
    assert_eq!(storage.keys().collect::<Vec<_>>(), [ACCEPTED_KEY]);
}
