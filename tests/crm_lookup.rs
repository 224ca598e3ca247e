//! The caller lookup (src/crm.rs) end to end on the scripted host: Rostelecom's `get_number_info`,
//! Oktell's scenario lookup and «Проверить соединение», against a CRM that matches phones exactly
//! as typed (as ELMA365 does: it does not normalise them).

use elma365_voip::engine::call;
use elma365_voip::host::Scripted;
use elma365_voip::http::{HttpRequest, HttpResponse, Outcome};
use elma365_voip::rostelecom::api::sign;
use elma365_voip::settings::Read;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

const ID: &str = "000003C405E6525C64C184258C44EC99";
const KEY: &str = "00000716ABDA6D4DFF10F82BCBBFC532";
const HOOK: &str =
    "https://acme.elma365.ru/api/extensions/2f1c0d0e-5b7a-4c43-9a64-0a6f3c1d2e77/script/voip";

/// One CRM item: `(app, id, name, phones, user, deleted)`.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Vec<&'static str>,
    &'static str,
    bool,
);
/// The searches asked, as `(app, values)`.
type Log = Rc<RefCell<Vec<(String, Vec<String>)>>>;

/// A CRM of contacts and companies, and users.
#[derive(Clone, Default)]
struct Crm {
    items: Vec<Row>,
    users: Vec<Value>,
    /// Every search asked, as `(app, values)`.
    searches: Log,
    /// Searches never answer.
    hang: bool,
    /// What a search answers instead (an error shape).
    answer: Option<Value>,
    /// The apps have no responsible-user field: a search that names one fails.
    no_user_field: bool,
}

impl Crm {
    fn answer(&self, q: &Value) -> Option<Value> {
        if q["op"] == "user" {
            let i: usize = q["ref"].as_str()?[1..].parse().ok()?;
            return Some(json!({"user": self.users.get(i).cloned()?}));
        }
        let app = q["app"].as_str().unwrap_or("").to_string();
        let values: Vec<String> = q["values"]
            .as_array()?
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect();
        self.searches
            .borrow_mut()
            .push((app.clone(), values.clone()));
        if self.hang {
            return None;
        }
        if let Some(a) = &self.answer {
            return Some(a.clone());
        }
        if self.no_user_field && q.get("user").is_some() {
            return Some(json!({"error": "noField", "field": q["user"]}));
        }
        let items: Vec<Value> = self
            .items
            .iter()
            .filter(|i| i.0 == app && i.3.iter().any(|p| values.iter().any(|v| v == p)))
            .map(|i| {
                let user = self
                    .users
                    .iter()
                    .position(|u| u["id"] == i.4)
                    .filter(|_| q.get("user").is_some())
                    .map(|n| format!("u{n}"));
                json!({"id": i.1, "name": i.2, "phones": i.3, "deleted": i.5, "user": user})
            })
            .collect();
        Some(json!({ "items": items }))
    }
}

fn users_info() -> Outcome {
    ok(json!({"result": "0", "users": [
        {"pin": "101", "name": "Петрова", "email": "petrova@acme.ru"},
        {"pin": "102", "name": "Сидоров", "email": "sidorov@acme.ru"},
    ], "groups": []}))
}

fn ok(v: Value) -> Outcome {
    Outcome::Response(HttpResponse {
        status: 200,
        body: v.to_string(),
        ..Default::default()
    })
}

fn rt_settings(extra: Value) -> Read {
    let mut s = json!({"provider": "rostelecom", "rtClientId": ID, "rtSignKey": KEY,
        "rtApiUrl": "http://pbx", "language": "en"});
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    Read::from_json(&s.to_string())
}

fn signed_op(body: &str) -> (String, String) {
    let op = json!({"op": "parseWebhook", "request": {"method": "POST", "headers": [
        ["x-client-id", ID], ["x-client-sign", sign(ID, body, KEY)]], "query": []}});
    (op.to_string(), body.to_string())
}

/// Sends Rostelecom's `get_number_info` for `from`; the answer's JSON and the fetched URLs.
fn number_info(
    settings: &Read,
    storage: &mut BTreeMap<String, String>,
    crm: &Crm,
    from: &str,
    api: impl Fn(&HttpRequest) -> Outcome,
) -> (Value, Vec<String>) {
    let fetched = RefCell::new(Vec::new());
    let c = crm.clone();
    let host = Scripted::new(storage, 1_000_000.0, |r: &HttpRequest| {
        fetched.borrow_mut().push(r.url.clone());
        api(r)
    })
    .with_crm(move |q| c.answer(q));
    let body = json!({"domain": "d", "from_number": from, "request_number": "74992222222"});
    let (op, body) = signed_op(&body.to_string());
    let out = pollster::block_on(call(settings, &op, Some(body), &host)).unwrap();
    drop(host);
    let v: Value = serde_json::from_str(&out).unwrap();
    let reply = serde_json::from_str(v["response"]["body"].as_str().unwrap()).unwrap();
    (reply, fetched.into_inner())
}

fn acme() -> Crm {
    Crm {
        items: vec![
            (
                "crmContacts",
                "c1",
                "Иванов Иван",
                vec!["+7 (495) 956-11-11"],
                "m1",
                false,
            ),
            (
                "crmContacts",
                "c2",
                "Удалённый Контакт",
                vec!["84957770000"],
                "m1",
                true,
            ),
            (
                "crmCompanies",
                "k1",
                "ООО «Ромашка»",
                vec!["84957770000"],
                "m2",
                false,
            ),
            (
                "crmContacts",
                "c3",
                "Без Менеджера",
                vec!["74951112233"],
                "",
                false,
            ),
            (
                "crmContacts",
                "c4",
                "Заблокированный Менеджер",
                vec!["+74953334455"],
                "m3",
                false,
            ),
        ],
        users: vec![
            json!({"id": "m1", "email": "Petrova@acme.ru", "tel": "", "ext": "", "blocked": false}),
            json!({"id": "m2", "email": "nobody@acme.ru", "tel": "+7 495 000-00-00", "ext": "102", "blocked": false}),
            json!({"id": "m3", "email": "sidorov@acme.ru", "blocked": true}),
        ],
        ..Crm::default()
    }
}

#[test]
fn a_known_caller_is_named_and_routed_to_their_manager_then_answered_from_the_cache() {
    let s = rt_settings(json!({}));
    let mut storage = BTreeMap::new();
    let crm = acme();
    let (reply, fetched) = number_info(&s, &mut storage, &crm, "74959561111", |_| users_info());
    assert_eq!(reply["displayName"], "Иванов Иван");
    assert_eq!(reply["PIN"], "101", "matched by e-mail, any case");
    assert_eq!(reply["result"], 0);
    assert_eq!(fetched, vec!["http://pbx/users_info"]);
    // One search of the contacts, for every common form of the number.
    let searches = crm.searches.borrow().clone();
    assert_eq!(searches.len(), 1, "{searches:?}");
    assert!(searches[0].1.contains(&"+7 (495) 956-11-11".to_string()));
    // A returning caller: one storage read, no search, no fetch.
    let (again, fetched) = number_info(
        &s,
        &mut storage,
        &crm,
        "+7 495 956-11-11",
        |_| unreachable!(),
    );
    assert_eq!(again, reply);
    assert!(fetched.is_empty());
    assert_eq!(crm.searches.borrow().len(), 1);
    assert!(storage.values().all(|v| v.chars().count() <= 2000));
}

#[test]
fn a_deleted_contact_never_names_a_caller_and_a_company_comes_after_contacts() {
    let s = rt_settings(json!({}));
    let mut storage = BTreeMap::new();
    let crm = acme();
    let (reply, _) = number_info(&s, &mut storage, &crm, "74957770000", |_| users_info());
    assert_eq!(reply["displayName"], "ООО «Ромашка»");
    // m2's work phone extension 102 is no match for Rostelecom: PINs are matched by e-mail; 102
    // has another e-mail, and a work phone of +7 495 000-00-00 is no PIN.
    assert_eq!(reply["PIN"], "");
    let apps: Vec<String> = crm.searches.borrow().iter().map(|s| s.0.clone()).collect();
    assert_eq!(apps, vec!["crmContacts", "crmCompanies"]);
}

#[test]
fn a_blocked_or_missing_manager_is_never_routed_to() {
    let s = rt_settings(json!({}));
    let mut storage = BTreeMap::new();
    let crm = acme();
    let (reply, _) = number_info(&s, &mut storage, &crm, "74953334455", |_| users_info());
    assert_eq!(
        (reply["displayName"].as_str(), reply["PIN"].as_str()),
        (Some("Заблокированный Менеджер"), Some(""))
    );
    let (reply, _) = number_info(&s, &mut storage, &crm, "74951112233", |_| unreachable!());
    assert_eq!(
        (reply["displayName"].as_str(), reply["PIN"].as_str()),
        (Some("Без Менеджера"), Some(""))
    );
    // Declared empty: never route, not even a known manager.
    let s = rt_settings(json!({"crmResponsibleField": ""}));
    let (reply, _) = number_info(
        &s,
        &mut BTreeMap::new(),
        &crm,
        "74959561111",
        |_| unreachable!(),
    );
    assert_eq!(
        (reply["displayName"].as_str(), reply["PIN"].as_str()),
        (Some("Иванов Иван"), Some(""))
    );
}

#[test]
fn an_unknown_number_gets_the_empty_answer_and_is_remembered_for_a_while() {
    let s = rt_settings(json!({}));
    let mut storage = BTreeMap::new();
    let crm = acme();
    let (reply, _) = number_info(&s, &mut storage, &crm, "79990000000", |_| unreachable!());
    assert_eq!(
        reply,
        json!({"result": 0, "resultMessage": "", "displayName": "", "PIN": ""})
    );
    number_info(&s, &mut storage, &crm, "79990000000", |_| unreachable!());
    assert_eq!(
        crm.searches.borrow().len(),
        2,
        "two apps once, then the cache"
    );
}

#[test]
fn a_crm_that_hangs_still_gets_the_pbx_an_answer_and_leaves_a_trace() {
    let s = rt_settings(json!({"crmLookupMs": "300"}));
    let mut storage = BTreeMap::new();
    let crm = Crm {
        hang: true,
        ..acme()
    };
    let (reply, _) = number_info(&s, &mut storage, &crm, "74959561111", |_| unreachable!());
    assert_eq!(reply["displayName"], "");
    let trace = &storage["voip:crm"];
    assert!(
        trace.contains(" ! ") && trace.contains("crmLookupMs") && trace.contains("300 ms"),
        "{trace}"
    );
    assert!(
        !storage.keys().any(|k| k.starts_with("crm:n:rt:")),
        "a failed lookup is not cached"
    );
}

#[test]
fn elma365s_own_mapping_is_read_with_the_token_and_a_rejected_token_still_names_the_caller() {
    let s = rt_settings(json!({"elmaApiToken": "tok-123"}));
    let mut storage = BTreeMap::from([("voip:webhookUrl".to_string(), HOOK.to_string())]);
    let crm = acme();
    let api = |r: &HttpRequest| {
        if r.url.contains("/voip/bindings") {
            let auth = r
                .headers
                .iter()
                .find(|h| h.0 == "Authorization")
                .map(|h| h.1.as_str());
            if auth != Some("Bearer tok-123") {
                return Outcome::Response(HttpResponse {
                    status: 401,
                    body: "{}".into(),
                    ..Default::default()
                });
            }
            return ok(json!({"bindings": [{"extension": "102", "userId": "m1"}]}));
        }
        users_info()
    };
    let (reply, fetched) = number_info(&s, &mut storage, &crm, "74959561111", api);
    assert_eq!(reply["PIN"], "102", "the binding wins over the e-mail");
    assert_eq!(
        fetched[0],
        "https://acme.elma365.ru/pub/v1/integration/ext_2f1c0d0e-5b7a-4c43-9a64-0a6f3c1d2e77/voip/bindings"
    );
    let s = rt_settings(json!({"elmaApiToken": "wrong-token"}));
    let mut storage = BTreeMap::from([("voip:webhookUrl".to_string(), HOOK.to_string())]);
    let (reply, _) = number_info(&s, &mut storage, &crm, "74959561111", api);
    assert_eq!(
        (reply["displayName"].as_str(), reply["PIN"].as_str()),
        (Some("Иванов Иван"), Some(""))
    );
    let trace = &storage["voip:crm"];
    assert!(
        trace.contains("elmaApiToken") && !trace.contains("wrong-token"),
        "{trace}"
    );
}

#[test]
fn a_lookup_failure_never_fails_the_webhook() {
    for answer in [
        json!({"error": "notApp", "detail": "it has no app"}),
        json!({"error": "noField", "field": "_phone"}),
        json!({"error": "failed", "detail": "boom"}),
        json!("not an object"),
    ] {
        let s = rt_settings(json!({}));
        let mut storage = BTreeMap::new();
        let crm = Crm {
            answer: Some(answer.clone()),
            ..acme()
        };
        let (reply, _) = number_info(&s, &mut storage, &crm, "74959561111", |_| unreachable!());
        assert_eq!(reply["result"], 0, "{answer}");
        assert_eq!(reply["displayName"], "", "{answer}");
    }
}

fn test_connection(settings: &Read, crm: &Crm, storage: &mut BTreeMap<String, String>) -> Value {
    let c = crm.clone();
    let host = Scripted::new(storage, 1_000_000.0, |r: &HttpRequest| {
        if r.url.contains("/voip/bindings") {
            return Outcome::Response(HttpResponse {
                status: 401,
                body: "no".into(),
                ..Default::default()
            });
        }
        users_info()
    })
    .with_crm(move |q| c.answer(q));
    let out =
        pollster::block_on(call(settings, r#"{"op":"testConnection"}"#, None, &host)).unwrap();
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_connection_test_says_what_the_lookup_reaches_and_fails_naming_what_cannot_work() {
    let crm = acme();
    let r = test_connection(&rt_settings(json!({})), &crm, &mut BTreeMap::new());
    assert_eq!(r["success"], true, "{r}");
    let m = r["message"].as_str().unwrap();
    assert!(
        m.contains("Caller lookup: searches crmContacts") && m.contains("crmCompanies"),
        "{m}"
    );
    assert!(m.contains("by e-mail or work phone"), "{m}");
    for (answer, names) in [
        (
            json!({"error": "notApp", "detail": "it has no app"}),
            "crmContacts",
        ),
        (
            json!({"error": "noField", "field": "_phone"}),
            "crmPhoneField",
        ),
    ] {
        let crm = Crm {
            answer: Some(answer),
            ..acme()
        };
        let r = test_connection(&rt_settings(json!({})), &crm, &mut BTreeMap::new());
        assert_eq!(r["success"], false, "{r}");
        let why = r["failReason"].as_str().unwrap();
        assert!(
            why.contains(names) && why.contains("caller lookup"),
            "{why}"
        );
    }
    let mut storage = BTreeMap::from([("voip:webhookUrl".to_string(), HOOK.to_string())]);
    let r = test_connection(
        &rt_settings(json!({"elmaApiToken": "t0k3n"})),
        &acme(),
        &mut storage,
    );
    let why = r["failReason"].as_str().unwrap();
    assert!(
        why.contains("elmaApiToken") && !why.contains("t0k3n"),
        "{why}"
    );
    // Nothing configured: nothing said.
    let none = Crm {
        answer: Some(json!({"unbound": true})),
        ..acme()
    };
    let r = test_connection(&rt_settings(json!({})), &none, &mut BTreeMap::new());
    assert!(!r["message"].as_str().unwrap().contains("lookup"), "{r}");
}

fn oktell_lookup(
    query: &[(&str, &str)],
    crm: &Crm,
    storage: &mut BTreeMap<String, String>,
) -> (u64, String) {
    let s = Read::from_json(
        &json!({"provider": "oktell", "oktellUrl": "http://oktell:4055", "webhookSecret": "sek",
            "oktellMembers": "ivanov;Иванов;101\npetrova;Петрова;102", "language": "en"})
        .to_string(),
    );
    let c = crm.clone();
    let host = Scripted::new(storage, 1_000_000.0, |_: &HttpRequest| unreachable!())
        .with_crm(move |q| c.answer(q));
    let op =
        json!({"op": "parseWebhook", "request": {"method": "GET", "headers": [], "query": query}});
    let out = pollster::block_on(call(&s, &op.to_string(), None, &host)).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    (
        v["response"]["status"].as_u64().unwrap(),
        v["response"]["body"].as_str().unwrap().to_string(),
    )
}

#[test]
fn an_oktell_scenario_asks_by_number_and_reads_name_login_and_number() {
    let crm = Crm {
        users: vec![json!({"id": "m1", "email": "", "tel": "+7 495 000-00-00", "ext": "102"})],
        ..acme()
    };
    let mut storage = BTreeMap::new();
    let (status, body) = oktell_lookup(
        &[("lookup", "84959561111"), ("token", "sek")],
        &crm,
        &mut storage,
    );
    assert_eq!((status, body.as_str()), (200, "Иванов Иван;petrova;102"));
    let (_, body) = oktell_lookup(
        &[
            ("lookup", "+74959561111"),
            ("token", "sek"),
            ("format", "json"),
        ],
        &crm,
        &mut storage,
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"name": "Иванов Иван", "login": "petrova", "number": "102"})
    );
    assert_eq!(
        crm.searches.borrow().len(),
        1,
        "the second answer came from the cache"
    );
    let (_, body) = oktell_lookup(
        &[("lookup", "79990000000"), ("token", "sek")],
        &crm,
        &mut storage,
    );
    assert_eq!(body, ";;");
    let (status, _) = oktell_lookup(
        &[("lookup", "84959561111"), ("token", "wrong")],
        &crm,
        &mut storage,
    );
    assert_eq!(status, 403);
}

#[test]
fn a_connection_test_does_not_hang_on_a_crm_that_never_answers() {
    let crm = Crm {
        hang: true,
        ..acme()
    };
    let r = test_connection(
        &rt_settings(json!({"crmLookupMs": "300"})),
        &crm,
        &mut BTreeMap::new(),
    );
    assert_eq!(r["success"], false, "{r}");
    let why = r["failReason"].as_str().unwrap();
    assert!(
        why.contains("crmLookupMs") && why.contains("300 ms") && why.contains("crmContacts"),
        "{why}"
    );
}

#[test]
fn a_responsible_field_the_apps_lack_still_lets_the_caller_be_named() {
    let s = rt_settings(json!({}));
    let mut storage = BTreeMap::new();
    let crm = Crm {
        no_user_field: true,
        ..acme()
    };
    let (reply, _) = number_info(&s, &mut storage, &crm, "74959561111", |_| unreachable!());
    assert_eq!(
        (reply["displayName"].as_str(), reply["PIN"].as_str()),
        (Some("Иванов Иван"), Some(""))
    );
    let trace = &storage["voip:crm"];
    assert!(
        trace.contains("crmResponsibleField") && trace.contains("_responsible"),
        "{trace}"
    );
    assert_eq!(
        crm.searches.borrow().len(),
        2,
        "once with the field, once without"
    );
}

#[test]
fn an_answer_cached_for_one_pbx_is_never_read_for_the_other() {
    let mut storage = BTreeMap::new();
    let crm = acme();
    let (reply, _) = number_info(
        &rt_settings(json!({})),
        &mut storage,
        &crm,
        "74959561111",
        |_| users_info(),
    );
    assert_eq!(reply["PIN"], "101");
    // The admin switches to Oktell: the Rostelecom PIN must not come back as an Oktell login.
    let crm = Crm {
        users: vec![json!({"id": "m1", "email": "", "tel": "", "ext": "102"})],
        ..acme()
    };
    let (_, body) = oktell_lookup(
        &[("lookup", "84959561111"), ("token", "sek")],
        &crm,
        &mut storage,
    );
    assert_eq!(body, "Иванов Иван;petrova;102");
    assert_eq!(
        crm.searches.borrow().len(),
        1,
        "searched again, not read from the other PBX's cache"
    );
}

#[test]
fn an_unusable_oktell_directory_script_is_named_as_the_script_not_the_static_list() {
    let s = Read::from_json(
        &json!({"provider": "oktell", "oktellUrl": "http://oktell:4055",
            "oktellMembersScript": "Dir", "language": "en"})
        .to_string(),
    );
    let crm = acme();
    let c = crm.clone();
    let mut storage = BTreeMap::new();
    let host = Scripted::new(&mut storage, 1_000_000.0, |_: &HttpRequest| {
        Outcome::Response(HttpResponse {
            status: 200,
            body: "[not json".into(),
            ..Default::default()
        })
    })
    .with_crm(move |q| c.answer(q));
    let op = json!({"op": "parseWebhook", "request": {"method": "GET", "headers": [],
        "query": [["lookup", "84959561111"]]}});
    let out = pollster::block_on(call(&s, &op.to_string(), None, &host)).unwrap();
    drop(host);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["response"]["body"], "Иванов Иван;;");
    let trace = &storage["voip:crm"];
    assert!(
        trace.contains("oktellMembersScript") && !trace.contains("oktellMembers («"),
        "{trace}"
    );
}
