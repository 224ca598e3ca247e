//! [`crate::json::to_string`], the hand JSON writer, against `serde_json::to_string`, which it
//! replaces in the core: the same text, byte for byte, for every type the core writes (results for
//! ELMA365, requests for the shim, the settings table, errors, stored Oktell chains) with every
//! optional field present and absent, for strings with every character serde_json escapes, and
//! for floats of every form. `Value`s are compared on every value `src/tests/json.rs` reads
//! (edge cases, ~200,000 generated texts and the fuzz corpus).

use crate::contract::{
    CallRecord, Direction, Disposition, Event, EventKind, Member, TestResult, WebhookResult,
};
use crate::error::ErrorOut;
use crate::http::{HttpRequest, WebhookResponse};
use crate::json::{self, ToJson};
use crate::oktell::chain::{Chain, Held};
use crate::sha::tests::Rng;
use serde::Serialize;
use serde_json::Value;

/// Asserts that both writers give the same text for `v`, and returns it.
fn same<T: ToJson + Serialize + ?Sized>(v: &T) -> String {
    let want = serde_json::to_string(v).unwrap();
    assert_eq!(json::to_string(v), want);
    want
}

/// Strings with what serde_json escapes (every control character, `"`, `\`) and what it leaves
/// alone (`/`, DEL, non-ASCII, astral characters), at the start, the middle and the end.
fn strings() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        "plain",
        "a\"b",
        "\\",
        "/",
        "\u{7f}",
        "Жёлудь",
        "📞+7 495",
        "\"\\\"",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in (0u8..0x20).map(char::from) {
        out.push(format!("{c}"));
        out.push(format!("x{c}y{c}"));
    }
    let mut rng = Rng(0x005e_ed0f_7e57);
    for _ in 0..300 {
        let n = rng.next() % 12;
        let s: String = (0..n)
            .map(|_| match rng.next() % 6 {
                0 => char::from((rng.next() % 0x20) as u8),
                1 => ['"', '\\', '/', 'Ж', '📞', '\u{2028}'][rng.next() as usize % 6],
                _ => char::from(b' ' + (rng.next() % 95) as u8),
            })
            .collect();
        out.push(s);
    }
    out
}

#[test]
fn strings_are_escaped_as_serde_json_escapes_them() {
    for s in strings() {
        same(s.as_str());
        same(&s);
    }
    assert_eq!(
        same("\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}"),
        r#""\u0001\b\t\n\u000b\f\r\u001f""#
    );
}

#[test]
fn numbers_are_written_as_serde_json_writes_them() {
    let floats = [
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1e21,
        1e-7,
        123456789012345680.0,
        1.7e308,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1_765_000_000_123.0,
    ];
    for f in floats {
        same(&f);
        same(&Value::from(f));
    }
    let mut rng = Rng(0xf10a7);
    for _ in 0..20_000 {
        let f = f64::from_bits(rng.next());
        same(&f);
        same(&(rng.next() as f64 / 1000.0));
    }
    for n in [0, 1, u64::MAX, u64::from(u32::MAX) + 1] {
        same(&n);
        same(&Value::from(n));
    }
    for n in [i64::MIN, -1, 0, i64::MAX] {
        same(&n);
        same(&Value::from(n));
    }
    same(&u16::MAX);
    same(&u32::MAX);
    same(&[true, false][..]);
    same(&Value::Null);
}

fn event() -> Event {
    Event {
        event: EventKind::NotifyStart,
        direction: Direction::In,
        disposition: Disposition::Unknown,
        src_phone: "+74951234567".into(),
        dst_phone: "101".into(),
        call_id: "c\"1\n".into(),
    }
}

fn record(call: Value) -> CallRecord {
    CallRecord {
        call,
        call_id: "abc".into(),
        direction: Direction::Out,
        disposition: Disposition::NoAnswer,
        src_phone: "101".into(),
        dst_phone: "+7 (495) 123-45-67".into(),
        duration: 42,
    }
}

#[test]
fn contract_results_are_written_as_serde_json_writes_them() {
    for kind in [
        EventKind::NotifyStart,
        EventKind::NotifyAnswer,
        EventKind::NotifyEnd,
        EventKind::NotifyOutStart,
        EventKind::NotifyOutEnd,
        EventKind::NotifyInternal,
    ] {
        same(&Event {
            event: kind,
            ..event()
        });
    }
    for direction in [Direction::In, Direction::Out, Direction::Internal] {
        same(&Event {
            direction,
            ..event()
        });
    }
    for disposition in [
        Disposition::Answered,
        Disposition::Busy,
        Disposition::NoAnswer,
        Disposition::Cancel,
        Disposition::Failed,
        Disposition::Unknown,
    ] {
        same(&Event {
            disposition,
            ..event()
        });
    }
    let response = WebhookResponse::json_text(200, r#"{"result":0}"#.into());
    let calls = [
        Value::Null,
        crate::json::obj(vec![("record", "https://pbx/rec?x=1&sign=…".into())]),
        serde_json::json!(["a", 1, -2.5, {"z": null, "a": [true]}]),
    ];
    for call in calls {
        for (event, call_record) in [
            (None, None),
            (Some(event()), None),
            (None, Some(record(call.clone()))),
            (Some(event()), Some(record(call.clone()))),
        ] {
            same(&WebhookResult {
                event,
                call_record,
                response: response.clone(),
            });
        }
    }
    for (fail_reason, message) in [
        (None, None),
        (Some("нет".into()), None),
        (None, Some("ok".into())),
    ] {
        same(&TestResult {
            success: fail_reason.is_none(),
            fail_reason,
            message,
        });
    }
    let members = vec![
        Member {
            id: "101".into(),
            name: "Иван «Петров»".into(),
        },
        Member {
            id: "\u{1}".into(),
            name: String::new(),
        },
    ];
    same(&members);
    same(&Vec::<Member>::new());
}

#[test]
fn host_requests_and_errors_are_written_as_serde_json_writes_them() {
    for body in [
        None,
        Some(String::new()),
        Some("{\"a\":\"\\u00e9\"}\n".into()),
    ] {
        let mut req = HttpRequest::get("https://pbx.example/api?q=1".into(), 15, "rtApiUrl")
            .header("X-Client-ID", "id")
            .header("Content-Type", "application/json; charset=\"utf-8\"");
        req.body = body;
        same(&req);
    }
    same(&HttpRequest::get(String::new(), 0, ""));
    same(&ErrorOut {
        kind: "auth",
        message: "The PBX rejected «x»\t(401)".into(),
    });
    same(&WebhookResponse::text(403, "Forbidden"));
}

#[test]
fn the_settings_table_is_written_as_serde_json_writes_it() {
    let text = same(crate::fields::FIELDS);
    assert!(text.contains("\"helpRu\":"), "{text}");
}

#[test]
fn stored_oktell_chains_are_written_as_serde_json_writes_them() {
    let held = |call: Value| Held {
        id: "chain-1".into(),
        due: 1_765_000_000_123.5,
        pending: true,
        disp: Disposition::Cancel,
        secs: 0,
        call,
    };
    let base = Chain {
        d: Direction::Internal,
        op: "ivanov".into(),
        peer: String::new(),
        acm: false,
        shown: true,
        ans: None,
        ring: Vec::new(),
        talk: Vec::new(),
        q: Vec::new(),
        o: None,
    };
    let lists = [
        Vec::new(),
        vec!["a".to_string()],
        vec!["a".into(), "b\"".into()],
    ];
    for ring in &lists {
        for talk in &lists {
            for q in &lists {
                for ans in [None, Some(1_765_000_000_000.0), Some(0.5)] {
                    for o in [
                        None,
                        Some(held(Value::Null)),
                        Some(held(serde_json::json!({"record": "r"}))),
                    ] {
                        same(&Chain {
                            ring: ring.clone(),
                            talk: talk.clone(),
                            q: q.clone(),
                            ans,
                            o,
                            ..base.clone()
                        });
                    }
                }
            }
        }
    }
    same(&held(Value::Null));
}
