//! The fuzz targets' logic, in a crate of its own (never in the shipped core). `fuzz/` is the
//! cargo-fuzz crate: each of its targets is one line calling a function here, and `tests/fuzz_corpus.rs` replays the
//! committed corpus and crash files through the same functions under `cargo test` on stable.
//!
//! An input is read as control bytes, then fields ([`Input`]): the bytes up to the first [`SEP`]
//! choose the shape (which op, which way in, which encoding, …), every further [`SEP`]-separated
//! piece is one string (a header value, a body, a stored value, …). Each target drives the core
//! only through [`engine::call`] on a scripted host made by [`host`] (the one place to fix when
//! the host trait changes), exactly as the shim would call it.
//!
//! A panic is a finding; so is a broken invariant, asserted where it is cheap:
//! - a result is JSON text, `VoipTestConnection` never throws, webhooks never throw on a working
//!   storage, and an Oktell webhook never fetches anything;
//! - no secret from the settings appears in an error, a `failReason`, or a webhook reply (the
//!   parts of an Oktell protocol reply that echo the request's `qid` and method aside);
//! - with fixed, short settings, no message is longer than [`MAX_MESSAGE_CHARS`] (foreign text is
//!   cut before it is quoted);
//! - a webhook the harness signed or authorised is not refused with 403, and one it forged is
//!   refused without an event, a record or a storage write.

pub mod reference;

use elma365_voip::engine;
use elma365_voip::json;
use elma365_voip::oktell::xml;
use elma365_voip::error::VoipError;
use elma365_voip::http::MAX_ANSWER_BYTES;
use elma365_voip::host::{Host, Scripted, Stored};
use elma365_voip::http::{Failure, HttpRequest, HttpResponse, Outcome};
use elma365_voip::http::RAW_BODY_HEADER;
use elma365_voip::fields::FIELDS;
use elma365_voip::settings::Settings;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A fuzz target: runs one input, panics on a finding.
pub type Target = fn(&[u8]);

/// Every target by name: the fuzz crate's targets and the corpus replay find them here.
pub const TARGETS: &[(&str, Target)] = &[
    ("oktell_webhook", oktell_webhook),
    ("rostelecom_webhook", rostelecom_webhook),
    ("pbx_answers", pbx_answers),
    ("stored_state", stored_state),
    ("settings", settings),
    ("parsers", parsers),
];

/// The byte that separates the control bytes and the fields of an input.
pub const SEP: u8 = 0xfe;

/// The longest message a target with fixed, short settings may produce.
pub const MAX_MESSAGE_CHARS: usize = 1500;

const OKTELL_PASSWORD: &str = "okPw-7f3KqZ9-secret-Lm2x";
const WEBHOOK_SECRET: &str = "whS3cr3t-9Qz-7Lk2-Xp4vR";
const RT_ID: &str = "000003C405E6525C64C184258C44EC99";
const RT_KEY: &str = "00000716ABDA6D4DFF10F82BCBBFC532";
const NOW: f64 = 1_700_000_000_000.0;

/// A fuzz input: control bytes (before the first [`SEP`]) and fields (between the others).
/// Both run out into zeros and empty fields, so any input is a complete one (a rare choice, such
/// as a failing storage or a huge field, is never the one a zero makes).
pub struct Input<'a> {
    ctl: &'a [u8],
    pos: usize,
    fields: std::slice::Split<'a, u8, fn(&u8) -> bool>,
}

fn is_sep(b: &u8) -> bool {
    *b == SEP
}

impl<'a> Input<'a> {
    /// Splits `data` into control bytes and fields.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        let mut fields = data.split(is_sep as fn(&u8) -> bool);
        let ctl = fields.next().unwrap_or(&[]);
        Input {
            ctl,
            pos: 0,
            fields,
        }
    }

    /// The next control byte (0 once they run out).
    pub fn byte(&mut self) -> u8 {
        let b = self.ctl.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A choice among `n`.
    pub fn pick(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    /// A yes or no.
    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// The next field's bytes (empty once they run out).
    pub fn bytes(&mut self) -> &'a [u8] {
        self.fields.next().unwrap_or(&[])
    }

    /// The next field as text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }

    /// The next field as text, one time in 32 repeated to 2-4 KB: longer than any message may
    /// quote (rarely, and not longer, so that the targets stay fast).
    pub fn long(&mut self) -> String {
        let text = self.text();
        match self.pick(32) {
            31 => {
                let size = 2048 + 8 * usize::from(self.byte());
                repeat_to(&text, size, false)
            }
            _ => text,
        }
    }

    /// One of `options`, or (one time in `options.len() + 1`) the next field.
    pub fn one_of(&mut self, options: &[&str]) -> String {
        let i = self.pick(options.len() + 1);
        match options.get(i) {
            Some(o) => (*o).to_string(),
            None => self.text(),
        }
    }
}

/// `text` repeated (`x` when empty) to `size` bytes, or to `size` characters when `chars` (a raw
/// body's characters are its bytes).
fn repeat_to(text: &str, size: usize, chars: bool) -> String {
    let unit = if text.is_empty() { "x" } else { text };
    let unit_size = if chars {
        unit.chars().count()
    } else {
        unit.len()
    };
    let whole = size / unit_size;
    let rest = size - whole * unit_size;
    let cut = if chars {
        unit.char_indices().nth(rest).map_or(unit.len(), |(i, _)| i)
    } else {
        (0..=rest)
            .rev()
            .find(|i| unit.is_char_boundary(*i))
            .unwrap_or(0)
    };
    let mut out = unit.repeat(whole);
    out.push_str(&unit[..cut]);
    out
}

/// The one place a fuzz target makes a host: in-memory `storage`, the clock at `now_ms`, and
/// `respond` answering every fetch. When [`Host`] or [`Scripted`] gains a member, fix it here (and
/// in `FedHost`'s `impl Host` just below, which delegates to the host made here).
pub fn host<F: FnMut(&HttpRequest) -> Outcome>(
    storage: &mut BTreeMap<String, String>,
    now_ms: f64,
    respond: F,
) -> Scripted<'_, F> {
    Scripted::new(storage, now_ms, respond)
}

/// A host whose storage reads answer from the fuzz input (for whatever keys the core asks),
/// optionally starting from what the real storage would hold, and whose reads and writes may fail.
struct FedHost<'s, 'i, 'd, F: FnMut(&HttpRequest) -> Outcome> {
    inner: Scripted<'s, F>,
    feed: &'i RefCell<Input<'d>>,
}

impl<F: FnMut(&HttpRequest) -> Outcome> Host for FedHost<'_, '_, '_, F> {
    async fn fetch(&self, request: &HttpRequest) -> Result<Outcome, String> {
        self.inner.fetch(request).await
    }

    async fn read(&self, keys: &[String]) -> Result<Stored, String> {
        let real = self.inner.read(keys).await?;
        let mut feed = self.feed.borrow_mut();
        if feed.pick(32) == 31 {
            return Err(feed.text());
        }
        let values = real
            .values
            .into_iter()
            .map(|(k, v)| {
                let v = match feed.pick(10) {
                    0..=3 => v,
                    4 => None,
                    5 => Some(feed.long()),
                    6 => v.map(|mut v| {
                        // The real value, cut somewhere and continued with fuzz text.
                        let mut at = usize::from(feed.byte()) * 4 % (v.len() + 1);
                        while !v.is_char_boundary(at) {
                            at -= 1;
                        }
                        v.truncate(at);
                        v.push_str(&feed.long());
                        v
                    }),
                    7 => Some(format!(
                        "{{\"t\":{},\"s\":{}}}",
                        stored_time(&mut feed, self.inner.now_ms),
                        feed.text()
                    )),
                    8 => Some(format!(
                        "{{\"t\":{},\"d\":1}}",
                        stored_time(&mut feed, self.inner.now_ms)
                    )),
                    9 => Some(format!(
                        "{{\"t\":{},\"s\":{},\"k\":{}}}",
                        stored_time(&mut feed, self.inner.now_ms),
                        feed.text(),
                        feed.pick(3)
                    )),
                    _ => Some(format!(
                        "{} {} {}",
                        feed.text(),
                        stored_time(&mut feed, self.inner.now_ms),
                        feed.text()
                    )),
                };
                (k, v)
            })
            .collect();
        Ok(Stored { values })
    }

    async fn write(&self, writes: &[(String, Option<String>)]) -> Result<(), String> {
        let failed = {
            let mut feed = self.feed.borrow_mut();
            (feed.pick(32) == 31).then(|| feed.text())
        };
        match failed {
            Some(e) => Err(e),
            None => self.inner.write(writes).await,
        }
    }

    async fn sleep(&self, _ms: u32) -> bool {
        true
    }

    async fn crm(&self, request: &str) -> Result<String, String> {
        // The CRM's answers come from the input too: unbound, any text, items with fed names and
        // phones, a user, or the adapter failing.
        let mut feed = self.feed.borrow_mut();
        match feed.pick(5) {
            0 => Ok(r#"{"unbound":true}"#.into()),
            1 => Ok(feed.text()),
            2 => {
                let (name, phone, user) = (feed.text(), feed.text(), feed.text());
                Ok(serde_json::json!({"items": [{"id": "1", "name": name, "phones": [phone, "+74959561111"], "user": user}]}).to_string())
            }
            3 if request.contains("\"user\"") => {
                let (email, tel) = (feed.text(), feed.text());
                Ok(serde_json::json!({"user": {"id": "u", "email": email, "tel": tel, "ext": "101"}}).to_string())
            }
            _ => Err(feed.text()),
        }
    }

    fn nonce(&self) -> u64 {
        // Small, so that a fed claim (`"k"`) sometimes is this request's own.
        self.feed.borrow_mut().pick(3) as u64
    }

    fn now_ms(&self) -> f64 {
        self.inner.now_ms()
    }
}

/// A stored time near `now`: recent, old, far future, or odd.
fn stored_time(feed: &mut Input, now: f64) -> String {
    match feed.pick(4) {
        0 => format!(
            "{}",
            (now as u64).saturating_sub(u64::from(feed.byte()) * 60_000)
        ),
        1 => format!(
            "{}",
            (now as u64).saturating_sub(u64::from(feed.byte()) * 3_600_000)
        ),
        2 => format!("{}", now as u64 + u64::from(feed.byte())),
        _ => feed.one_of(&["0", "-1", "1e300", "\"x\"", "null"]),
    }
}

/// Runs one contract call as the shim would: the op as JSON, a webhook's body beside it.
fn call<H: Host>(
    settings: &Result<Settings, VoipError>,
    op: &Value,
    body: Option<String>,
    host: &H,
) -> Result<Value, String> {
    // Both languages, without taking a byte of the input (so the committed corpus keeps its
    // meaning): the parity of the op's text picks one.
    let lang = if op.to_string().len() % 2 == 0 {
        elma365_voip::i18n::Lang::Ru
    } else {
        elma365_voip::i18n::Lang::En
    };
    let read = elma365_voip::settings::Read {
        lang,
        settings: settings.clone().map(|mut s| {
            s.lang = lang;
            s
        }),
    };
    match pollster::block_on(engine::call(&read, &op.to_string(), body, host)) {
        Ok(text) => Ok(serde_json::from_str(&text).expect("a result is JSON text")),
        Err(e) => Err(e.message),
    }
}

/// Asserts that a message holds no secret (none that the mask `***` could form) and, when
/// `max` is given, is at most that long.
fn assert_clean(text: &str, secrets: &[&str], max: Option<usize>) {
    for s in secrets {
        if !s.is_empty() && !s.contains('*') {
            assert!(!text.contains(s), "a secret in a message: {text}");
        }
    }
    if let Some(max) = max {
        let n = text.chars().count();
        assert!(n <= max, "a message of {n} characters: {text}");
    }
}

/// Checks a contract call's outcome: errors and `failReason` are clean; a test never throws.
fn check_outcome(
    op: &str,
    out: &Result<Value, String>,
    secrets: &[&str],
    max: Option<usize>,
) -> Option<Value> {
    match out {
        Ok(v) => {
            if let Some(why) = v.get("failReason").and_then(Value::as_str) {
                assert_clean(why, secrets, max);
            }
            Some(v.clone())
        }
        Err(e) => {
            assert!(op != "testConnection", "VoipTestConnection threw: {e}");
            assert_clean(e, secrets, max);
            None
        }
    }
}

/// A webhook op as the shim sends it (the body goes beside it).
fn webhook_op(
    method: &str,
    headers: &[(String, String)],
    query: &[(String, String)],
    body_not_string: bool,
) -> Value {
    let mut request = json!({"method": method, "headers": headers, "query": query});
    if body_not_string {
        request["bodyParsed"] = json!("object");
    }
    json!({"op": "parseWebhook", "request": request})
}

/// The reply text a webhook result carries for the PBX, and its status.
fn reply_of(result: &Value) -> (u64, String) {
    let r = &result["response"];
    (
        r["status"].as_u64().expect("a webhook reply has a status"),
        r["body"]
            .as_str()
            .expect("a webhook reply has a body")
            .to_string(),
    )
}

/// An Oktell reply without what it echoes of the request (each message's method and `qid`).
fn without_echoes(body: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(body) else {
        return body.to_string();
    };
    let strip = |m: &mut Value| {
        if let Some(a) = m.as_array_mut() {
            if let Some(first) = a.first_mut() {
                *first = Value::Null;
            }
            if let Some(Value::Object(p)) = a.get_mut(1) {
                p.remove("qid");
            }
        }
    };
    match v.as_array_mut() {
        Some(a) if a.first().is_some_and(Value::is_array) => a.iter_mut().for_each(strip),
        Some(_) => strip(&mut v),
        None => {}
    }
    v.to_string()
}

fn has(data: &[u8], needle: &str) -> bool {
    data.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn pairs(items: &[(&str, String)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

// ---- PBX answers ----

/// A PBX answer for `req`, from the input: a fetch failure, or a response with a status, headers
/// and a body in any of the ways bodies cross from the shim (text; raw bytes as Latin-1 under
/// [`RAW_BODY_HEADER`]; UTF-16 with or without a byte-order mark; UTF-16 a host read as UTF-8).
pub fn pbx_answer(inp: &mut Input, req: &HttpRequest) -> Outcome {
    if inp.pick(8) == 0 {
        return Outcome::Failure(Failure {
            code: inp.one_of(&[
                "",
                "ECONNREFUSED",
                "ENOTFOUND",
                "CERT_HAS_EXPIRED",
                "ETIMEDOUT",
                "UND_ERR_CONNECT_TIMEOUT",
                "EPROTO",
            ]),
            message: inp.long(),
            timed_out: inp.flag(),
            module: inp.pick(16) == 0,
        });
    }
    let status = match inp.pick(12) {
        0..=4 => 200,
        5 => 401,
        6 => 403,
        7 => 404,
        8 => 500,
        9 => 501,
        10 => 405,
        _ => (u16::from(inp.byte()) << 8) | u16::from(inp.byte()),
    };
    let mut headers = Vec::new();
    match inp.pick(6) {
        0 => {}
        1 => headers.push(("content-type".into(), "application/json".into())),
        2 => headers.push(("content-type".into(), "text/xml; charset=utf-16".into())),
        3 => headers.push(("content-type".into(), "text/html; charset=utf-8".into())),
        4 => headers.push(("content-type".into(), inp.text())),
        _ => headers.push((inp.text(), inp.text())),
    }
    let text = match inp.pick(4) {
        0 => answer_template(inp, req),
        _ => inp.text(),
    };
    let latin1 = |bytes: &[u8]| -> String { bytes.iter().map(|b| char::from(*b)).collect() };
    let utf16 = |text: &str, le: bool| -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect()
    };
    let (body, raw) = match inp.pick(10) {
        0 => {
            let mut b = vec![0xff, 0xfe];
            b.extend(utf16(&text, true));
            (latin1(&b), true)
        }
        1 => {
            let mut b = vec![0xfe, 0xff];
            b.extend(utf16(&text, false));
            (latin1(&b), true)
        }
        2 => (latin1(&utf16(&text, inp.flag())), true),
        3 => (
            latin1(&[&b"\xef\xbb\xbf"[..], text.as_bytes()].concat()),
            true,
        ),
        4 => (latin1(inp.bytes()), true),
        5 => (latin1(text.as_bytes()), true),
        // UTF-16 that a host decoded as if it were UTF-8: NULs between the characters.
        6 => (
            String::from_utf8_lossy(&utf16(&text, inp.flag())).into_owned(),
            false,
        ),
        7 => (format!("\u{feff}{text}"), false),
        _ => (text, false),
    };
    // One time in 256, just over the 1 MB limit (just under it is left to the unit tests: reading
    // a megabyte would slow the target down a hundredfold).
    let body = match inp.pick(256) {
        255 => repeat_to(&body, MAX_ANSWER_BYTES + 1 + usize::from(inp.byte()), raw),
        _ => body,
    };
    if raw {
        headers.push((RAW_BODY_HEADER.into(), "latin1".into()));
    }
    // Now and then a host whose fetch gives only `ok` (no status code).
    let no_status = inp.pick(32) == 31;
    Outcome::Response(HttpResponse {
        status: if no_status {
            if status / 100 == 2 {
                200
            } else {
                500
            }
        } else {
            status
        },
        headers,
        body,
        no_status,
    })
}

/// A body shaped like the answer `req` wants, with fuzzed values.
fn answer_template(inp: &mut Input, req: &HttpRequest) -> String {
    let rostelecom = req.setting == "rtApiUrl";
    if rostelecom {
        let mut v = Map::new();
        let result = match inp.pick(7) {
            0 | 1 => json!(0),
            2 => json!("0"),
            3 => json!(-20),
            4 => json!(3),
            5 => Value::Null,
            _ => Value::String(inp.text()),
        };
        v.insert("result".into(), result);
        if inp.flag() {
            v.insert("resultMessage".into(), Value::String(inp.long()));
        }
        let users: Vec<Value> = (0..inp.pick(4))
            .map(|_| {
                json!({"pin": inp.one_of(&["101", "102", " 103 ", ""]),
                    "display_name": inp.one_of(&["Иванов Иван", ""]), "name": inp.text()})
            })
            .collect();
        v.insert("users".into(), Value::Array(users));
        if inp.flag() {
            v.insert("groups".into(), json!([{"pin": "200", "name": "g"}]));
        }
        v.insert(
            "url".into(),
            Value::String(inp.one_of(&["https://rec.example/x.mp3", "http://h/a", " "])),
        );
        let info = json!({
            "state": inp.one_of(&["1", "2", "0"]).parse::<u64>().map_or(Value::Null, Value::from),
            "duration": inp.one_of(&["14", "0", "12.5", "-3", "99999999999"]),
            "is_record": inp.one_of(&["true", "1", "false"]),
            "status_code": inp.one_of(&["486", "200"]),
            "answering_pin": inp.one_of(&["101", ""]),
        });
        v.insert("info".into(), if inp.flag() { json!([info]) } else { info });
        return Value::Object(v).to_string();
    }
    match inp.pick(4) {
        0 => inp.one_of(&["1234567", "ABC-123", ""]),
        1 => {
            let lines: Vec<String> = (0..inp.pick(5))
                .map(|_| {
                    format!(
                        "{};{};{}",
                        inp.one_of(&["ivanov", "petrov", "ivanov "]),
                        inp.one_of(&["Иванов Иван", ""]),
                        inp.one_of(&["101", ""])
                    )
                })
                .collect();
            lines.join(if inp.flag() { "\r\n" } else { "\n" })
        }
        2 => {
            let items: Vec<Value> = (0..inp.pick(4))
                .map(
                    |_| json!({"login": inp.one_of(&["ivanov", "petrov", ""]), "name": inp.text()}),
                )
                .collect();
            Value::Array(items).to_string()
        }
        _ => format!(
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><oktellxmlmapper><data><property_set>\
             <property_simple key=\"started\" value=\"{}\" name=\"{}\"/>\
             <property_cdata key=\"returnvalue\"><![CDATA[{}]]></property_cdata>\
             <property_simple key=\"returnvalue\" value=\"{}\" name=\"{}\"/>\
             </property_set></data></oktellxmlmapper>",
            inp.one_of(&["1", "0"]),
            inp.text(),
            inp.one_of(&["ivanov;Иванов Иван;101", ""]),
            inp.text(),
            inp.one_of(&["petrov;Петров", ""]),
        ),
    }
}

// ---- settings ----

fn oktell_settings(inp: &mut Input) -> (Value, Vec<&'static str>) {
    let mut s = json!({"provider": "oktell", "oktellUrl": "http://okt:4055"});
    let mut secrets = vec![OKTELL_PASSWORD];
    match inp.pick(3) {
        0 => {
            s["oktellLogin"] = json!("elma");
            s["oktellPassword"] = json!(OKTELL_PASSWORD);
        }
        1 => s["oktellPassword"] = json!(OKTELL_PASSWORD),
        _ => secrets.clear(),
    }
    match inp.pick(3) {
        0 => s["oktellMembersScript"] = json!("ELMA365_Users"),
        1 => s["oktellMembers"] = json!("ivanov;Иванов Иван;101\npetrov"),
        _ => {}
    }
    if inp.flag() {
        s["webhookSecret"] = json!(WEBHOOK_SECRET);
        secrets.push(WEBHOOK_SECRET);
    }
    if inp.flag() {
        s["countryCode"] = json!("49");
    }
    (s, secrets)
}

/// Either provider's settings, by the input: whether they are Oktell's, the settings, and their
/// secrets.
fn either_settings(inp: &mut Input) -> (bool, Value, Vec<&'static str>) {
    if inp.flag() {
        let (s, secrets) = oktell_settings(inp);
        (true, s, secrets)
    } else {
        (false, rostelecom_settings(inp), vec![RT_KEY])
    }
}

fn rostelecom_settings(inp: &mut Input) -> Value {
    let mut s = json!({"provider": "rostelecom", "rtClientId": RT_ID, "rtSignKey": RT_KEY,
        "rtApiUrl": "http://pbx"});
    if inp.flag() {
        s["rtRecordIp"] = json!("203.0.113.10");
    }
    if inp.flag() {
        s["countryCode"] = json!("49");
    }
    s
}

// ---- Oktell webhooks ----

const OKTELL_METHODS: &[&str] = &[
    "phoneevent_ringstarted",
    "phoneevent_ringstopped",
    "phoneevent_commstarted",
    "phoneevent_commstopped",
    "phoneevent_acmcallstarted",
    "phoneevent_acmcallstopped",
    "whoareyou",
    "ping",
    "getavailablemethods",
    "PhoneEvent_RingStarted",
];

/// One native Oktell protocol message with fuzzed fields.
fn oktell_message(inp: &mut Input) -> Value {
    let mut p = Map::new();
    let qid = match inp.pick(4) {
        0 => json!(u64::from(inp.byte())),
        1 => Value::Null,
        _ => Value::String(inp.one_of(&["q1", "q2", "q3"])),
    };
    p.insert("qid".into(), qid);
    p.insert("chainid".into(), json!(inp.one_of(&["c1", "c2", "c1", ""])));
    p.insert(
        "userlogin".into(),
        json!(inp.one_of(&["ivanov", "petrov", ""])),
    );
    let ext = match inp.pick(4) {
        0 => json!(true),
        1 => json!(false),
        2 => json!("1"),
        _ => json!(1),
    };
    p.insert("isextline".into(), ext);
    if inp.flag() {
        p.insert(
            "callerid".into(),
            json!(inp.one_of(&["89161234567", "+7 916 123-45-67", "101", ""])),
        );
    }
    if inp.flag() {
        p.insert(
            "callerinfo".into(),
            json!(inp.one_of(&[
                "Автодозвон. Обратный вызов.\nАбонент: 89274513158",
                "Абонент:"
            ])),
        );
    }
    if inp.flag() {
        p.insert("callerdirection".into(), json!(inp.one_of(&["oktell_pbx"])));
    }
    if inp.pick(8) == 7 {
        let key = inp.one_of(&["userlogin", "callerid", "chainid", "qid", "callerinfo"]);
        p.insert(key, json!(inp.long()));
    }
    json!([inp.one_of(OKTELL_METHODS), p])
}

/// Base64 the way Oktell's form posts may deliver it: standard, `+` as space, URL-safe, wrapped.
fn oktell_base64(inp: &mut Input, bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    match inp.pick(5) {
        0 => b64.replace('+', " "),
        1 => b64.replace('+', "-").replace('/', "_"),
        2 => b64.trim_end_matches('=').to_string(),
        3 => b64
            .as_bytes()
            .chunks(16)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n"),
        _ => b64,
    }
}

/// One Oktell webhook request from the input: `(op, body, whether the harness put the right secret
/// in, whether it left the secret out in a way the request cannot make up for)`.
fn oktell_request(inp: &mut Input, secret_in_data: bool) -> (Value, Option<String>, bool, bool) {
    let method = if inp.flag() { "POST" } else { "GET" };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut raw_body: Option<String> = None;
    let mut harness_encoded = true;
    match inp.pick(8) {
        0 | 1 => {
            fields.push((
                "event".into(),
                inp.one_of(&["ring", "answer", "hangup", "RING"]),
            ));
            fields.push(("callid".into(), inp.one_of(&["c1", "c2", "c1"])));
            let optional: [(&str, &[&str]); 6] = [
                ("direction", &["in", "out", "internal", "OUT", ""]),
                ("client", &["89161234567", "+79161234567", "sip:101@h"]),
                ("user", &["ivanov", "petrov"]),
                ("duration", &["14", "0", "12.7", "x"]),
                ("answered", &["1", "0", "yes", "no", "maybe"]),
                ("record", &["/rec/1.wav", "http://h/r.mp3", "code1"]),
            ];
            for (name, values) in optional {
                if inp.flag() {
                    fields.push((name.into(), inp.one_of(values)));
                }
            }
        }
        2 | 3 => {
            let n = 1 + inp.pick(4);
            let msgs: Vec<Value> = (0..n).map(|_| oktell_message(inp)).collect();
            let text = if n == 1 && inp.flag() {
                msgs[0].to_string()
            } else {
                Value::Array(msgs).to_string()
            };
            if inp.pick(4) == 0 {
                raw_body = Some(text);
            } else {
                let b64 = oktell_base64(inp, text.as_bytes());
                fields.push(("data".into(), b64));
            }
        }
        4 => {
            let bytes = inp.bytes();
            let b64 = oktell_base64(inp, bytes);
            fields.push(("data".into(), b64));
        }
        5 => {
            harness_encoded = false;
            fields.push(("data".into(), inp.text()));
        }
        6 => {
            for _ in 0..inp.pick(5) {
                let name = inp.one_of(&["event", "callid", "token", "data", "direction"]);
                fields.push((name, inp.long()));
            }
        }
        _ => {
            harness_encoded = false;
            raw_body = Some(inp.long());
        }
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut query: Vec<(String, String)> = Vec::new();
    // Where the secret goes: 0 nowhere, 1 the fields, 2 the query, 3 Basic, 4 Basic with a fuzzed
    // password, 5 a fuzzed Authorization header, 6 a fuzzed token.
    let auth = inp.pick(7);
    let right = matches!(auth, 1..=3);
    let token_in_query = auth == 2 || (auth == 1 && raw_body.is_some());
    match auth {
        3 => headers.push((
            "Authorization".into(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("elma:{WEBHOOK_SECRET}"))
            ),
        )),
        4 => headers.push((
            "authorization".into(),
            format!(
                "basic {}",
                base64::engine::general_purpose::STANDARD.encode(inp.bytes())
            ),
        )),
        5 => headers.push(("Authorization".into(), inp.text())),
        6 => fields.push(("token".into(), inp.text())),
        _ => {}
    }
    let mut other_auth = false;
    for _ in 0..inp.pick(3) {
        let name = inp.one_of(&["content-type", "authorization", "x-forwarded-for"]);
        other_auth |= name.eq_ignore_ascii_case("authorization");
        headers.push((name, inp.text()));
    }
    let transport = if raw_body.is_some() { 0 } else { inp.pick(3) };
    if right && !token_in_query {
        fields.push(("token".into(), WEBHOOK_SECRET.into()));
    } else if right {
        query.push(("token".into(), WEBHOOK_SECRET.into()));
    }
    let body = match (raw_body, transport) {
        (Some(b), _) => Some(b),
        (None, 0) => {
            query.extend(fields);
            None
        }
        (None, 1) => Some(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish(),
        ),
        (None, _) => {
            let mut m = Map::new();
            for (k, v) in fields {
                // A whole number may come as a JSON number.
                let v = match v.parse::<u32>() {
                    Ok(n) if k == "duration" => json!(n),
                    _ => Value::String(v),
                };
                m.insert(k, v);
            }
            Some(Value::Object(m).to_string())
        }
    };
    let body_not_string = body.is_none() && inp.pick(8) == 7;
    let wrong = !right && harness_encoded && auth != 5 && !other_auth && !secret_in_data;
    (
        webhook_op(method, &headers, &query, body_not_string),
        body,
        right,
        wrong,
    )
}

/// `VoipParseWebhookRequest` for Oktell, with and without `webhookSecret`: a few requests in a row
/// on one storage (scenario webhooks, native pushes in every encoding, raw garbage), headers,
/// Basic auth, query, form and JSON bodies chosen by the input.
pub fn oktell_webhook(data: &[u8]) {
    let mut inp = Input::new(data);
    let with_secret = inp.flag();
    let mut s = json!({"provider": "oktell", "oktellUrl": "http://okt:4055",
        "oktellPassword": OKTELL_PASSWORD});
    if with_secret {
        s["webhookSecret"] = json!(WEBHOOK_SECRET);
    }
    if inp.flag() {
        s["countryCode"] = json!("49");
    }
    let settings = Settings::from_json(&s.to_string());
    // Only what the settings hold is a secret: without webhookSecret, its text is just text.
    let secrets = [
        OKTELL_PASSWORD,
        if with_secret { WEBHOOK_SECRET } else { "" },
    ];
    let secret_in_data = with_secret && has(data, WEBHOOK_SECRET);
    let mut storage = BTreeMap::new();
    let mut now = NOW;
    for _ in 0..1 + inp.pick(4) {
        now += f64::from(inp.byte()) * if inp.flag() { 60_000.0 } else { 1_000.0 };
        let (op, body, right, wrong) = oktell_request(&mut inp, secret_in_data);
        let wrong = with_secret && wrong;
        let before = wrong.then(|| storage.clone());
        let h = host(&mut storage, now, |_: &HttpRequest| {
            panic!("an Oktell webhook fetched something")
        });
        let result = call(&settings, &op, body, &h).expect("an Oktell webhook never throws");
        let (status, reply) = reply_of(&result);
        assert!(
            matches!(status, 200 | 400 | 403),
            "status {status}: {reply}"
        );
        assert_clean(&without_echoes(&reply), &secrets, None);
        if with_secret && right {
            assert_ne!(status, 403, "the right secret was refused: {op}");
        }
        if wrong {
            assert_eq!(status, 403, "accepted without the secret: {op} {reply}");
            assert!(result.get("event").is_none() && result.get("callRecord").is_none());
            let trace = storage.get(elma365_voip::health::REFUSED_KEY).cloned();
            assert!(
                trace.as_deref().is_some_and(|t| t.contains("secret 403")),
                "refused without a trace: {trace:?}"
            );
            let mut after = storage.clone();
            after.remove(elma365_voip::health::REFUSED_KEY);
            let mut before = before.clone().unwrap_or_default();
            before.remove(elma365_voip::health::REFUSED_KEY);
            assert_eq!(
                before, after,
                "refused, yet storage changed beyond the health trace"
            );
        }
    }
}

// ---- Rostelecom webhooks ----

/// A Rostelecom webhook body from the input: a `call_events` delivery, a `get_number_info`, or
/// any text.
fn rostelecom_body(inp: &mut Input) -> String {
    let mut v = Map::new();
    match inp.pick(6) {
        0..=3 => {
            let session = if inp.pick(8) == 7 {
                json!(u64::from(inp.byte()))
            } else {
                json!(inp.one_of(&["S1", "S2", "S1", " S1 "]))
            };
            v.insert("session_id".into(), session);
            let state = inp.one_of(&[
                "new",
                "calling",
                "connected",
                "disconnected",
                " disconnected ",
                "end",
                "END",
                "analytics",
            ]);
            v.insert("state".into(), json!(state));
            let kind = inp.one_of(&["incoming", "outbound", "internal", "outgoing", "x"]);
            v.insert("type".into(), json!(kind));
            let ts = match inp.pick(4) {
                0 => String::new(),
                1 => inp.text(),
                _ => {
                    let s = u64::from(inp.byte());
                    format!(
                        "2018-04-23 15:{:02}:{:02}.{}",
                        s / 60,
                        s % 60,
                        inp.one_of(&["214", "5", ""])
                    )
                }
            };
            v.insert("timestamp".into(), json!(ts));
            let numbers = [
                "sip:79161234567@188.254.33.73",
                "74992222222",
                "89123456789",
            ];
            let pins = ["", "101", "102"];
            for (k, options) in [
                ("from_number", &numbers[..]),
                ("from_pin", &pins[..]),
                ("request_number", &numbers[..]),
                ("request_pin", &pins[..]),
                ("disconnect_reason", &["", "3", "5", "486 busy"][..]),
                ("is_record", &["true", "false", ""][..]),
            ] {
                match inp.pick(8) {
                    0 => {}
                    1 => {
                        v.insert(k.into(), json!(u64::from(inp.byte())));
                    }
                    2 => {
                        v.insert(k.into(), json!(inp.long()));
                    }
                    _ => {
                        v.insert(k.into(), json!(inp.one_of(options)));
                    }
                }
            }
        }
        4 => {
            v.insert("domain".into(), json!("demo.cloudpbx.rt.ru"));
            v.insert(
                "from_number".into(),
                json!(inp.one_of(&["74959561111", "+7 916 123 45 67"])),
            );
            v.insert(
                "request_number".into(),
                json!(inp.one_of(&["74992222222", "sip:101@h"])),
            );
        }
        _ => return inp.long(),
    }
    if inp.pick(4) == 0 {
        serde_json::to_string_pretty(&Value::Object(v)).unwrap_or_default()
    } else {
        Value::Object(v).to_string()
    }
}

/// A signed (or deliberately not) Rostelecom webhook request: `(op, body, signed, forged)`.
fn rostelecom_request(inp: &mut Input, body: String, valid: bool) -> (Value, String, bool, bool) {
    let sig = elma365_voip::rostelecom::api::sign(RT_ID, &body, RT_KEY);
    let mut headers = Vec::new();
    // 0-2 signed (header names and hex in any case), 3 signed with another key, 4 no id,
    // 5 another id, 6 no signature, 7 a fuzzed signature.
    let how = if valid { inp.pick(3) } else { inp.pick(8) };
    match how {
        0 => headers.extend(pairs(&[
            ("x-client-id", RT_ID.into()),
            ("x-client-sign", sig),
        ])),
        1 => headers.extend(pairs(&[
            ("X-CLIENT-ID", format!(" {RT_ID} ")),
            ("X-Client-Sign", sig.to_uppercase()),
        ])),
        2 => headers.extend(pairs(&[
            ("X-Client-ID", RT_ID.into()),
            ("X-Client-Sign", sig),
        ])),
        3 => headers.extend(pairs(&[
            ("X-Client-ID", RT_ID.into()),
            (
                "X-Client-Sign",
                elma365_voip::rostelecom::api::sign(RT_ID, &body, "WRONG"),
            ),
        ])),
        4 => headers.extend(pairs(&[("X-Client-Sign", sig)])),
        5 => headers.extend(pairs(&[
            ("X-Client-ID", "0000".into()),
            ("X-Client-Sign", sig),
        ])),
        6 => headers.extend(pairs(&[("X-Client-ID", RT_ID.into())])),
        _ => headers.extend(pairs(&[
            ("X-Client-ID", RT_ID.into()),
            ("X-Client-Sign", inp.text()),
        ])),
    }
    if !valid {
        for _ in 0..inp.pick(3) {
            let name = inp.one_of(&["x-client-sign", "x-client-id", "content-type"]);
            headers.push((name, inp.text()));
        }
    }
    let body_not_string = !valid && inp.pick(16) == 15;
    let signed = how <= 2 && !body_not_string && body.len() <= 64 * 1024;
    let forged = (3..=6).contains(&how) || body_not_string;
    (
        webhook_op("POST", &headers, &[], body_not_string),
        body,
        signed,
        forged,
    )
}

/// `VoipParseWebhookRequest` for Rostelecom: a few deliveries in a row on one storage, signed the
/// way `rostelecom::webhook::verify` checks (so the mapping and the `end` path with its `call_info`
/// are reached; the PBX's answer to it comes from the input too), forged, or garbage.
pub fn rostelecom_webhook(data: &[u8]) {
    let inp = RefCell::new(Input::new(data));
    let s = rostelecom_settings(&mut inp.borrow_mut());
    let settings = Settings::from_json(&s.to_string());
    let mut storage = BTreeMap::new();
    let mut now = NOW;
    let n = 1 + inp.borrow_mut().pick(5);
    for _ in 0..n {
        let (op, body, signed, forged) = {
            let mut i = inp.borrow_mut();
            now += f64::from(i.byte()) * if i.flag() { 60_000.0 } else { 1_000.0 };
            let body = rostelecom_body(&mut i);
            rostelecom_request(&mut i, body, false)
        };
        let before = forged.then(|| storage.clone());
        let h = host(&mut storage, now, |req: &HttpRequest| {
            assert!(req.url.ends_with("/call_info"), "fetched {}", req.url);
            pbx_answer(&mut inp.borrow_mut(), req)
        });
        let result = call(&settings, &op, Some(body), &h).expect("a webhook never throws");
        let (status, reply) = reply_of(&result);
        assert!(
            matches!(status, 200 | 400 | 403 | 413),
            "status {status}: {reply}"
        );
        assert_clean(&reply, &[RT_KEY], Some(MAX_MESSAGE_CHARS));
        if signed {
            assert_ne!(status, 403, "a signed delivery was refused: {op}");
        }
        if forged {
            assert!(
                matches!(status, 400 | 403 | 413),
                "a forged delivery got {status}"
            );
            assert!(result.get("event").is_none() && result.get("callRecord").is_none());
            let mut after = storage.clone();
            after.remove(elma365_voip::health::REFUSED_KEY);
            let mut before = before.clone().unwrap_or_default();
            before.remove(elma365_voip::health::REFUSED_KEY);
            assert_eq!(
                before, after,
                "forged, yet storage changed beyond the health trace"
            );
        }
    }
}

// ---- every operation against fuzzed PBX answers ----

/// An op other than a webhook, from the input.
fn plain_op(inp: &mut Input, oktell: bool) -> Value {
    match inp.pick(5) {
        0 => json!({"op": "testConnection"}),
        1 => json!({"op": "getMembers"}),
        2 => json!({"op": "generateCall",
            "src": inp.one_of(&["ivanov", "101", "sip:ivanov@demo.cloudpbx.rt.ru", " ", "102"]),
            "dst": inp.one_of(&["+7 (916) 123-45-67", "89161234567", "102", "не номер"])}),
        3 => {
            let data = match inp.pick(5) {
                0 if oktell => {
                    json!({"record": inp.one_of(&["/rec/1.wav", "http://h/r.mp3", "c1"])})
                }
                0 => json!({"provider": "rostelecom", "sessionId": inp.one_of(&["S1", "a-b.c"])}),
                1 => Value::String(inp.text()),
                2 => serde_json::from_slice(inp.bytes()).unwrap_or(Value::Null),
                3 => {
                    json!({"provider": inp.one_of(&["oktell", "rostelecom"]), "record": inp.text(),
                    "sessionId": inp.text()})
                }
                _ => Value::Null,
            };
            json!({"op": "getCallLink", "callData": data})
        }
        _ => json!({"op": "onWebhookUpdated", "url": inp.text()}),
    }
}

/// Every operation (`VoipTestConnection`, `VoipGetMembers`, `VoipGenerateCall`,
/// `VoipGetCallLink`, for both providers), with every PBX answer (status, headers, body in any
/// encoding, or a fetch failure) taken from the input.
pub fn pbx_answers(data: &[u8]) {
    let inp = RefCell::new(Input::new(data));
    let (oktell, s, secrets) = either_settings(&mut inp.borrow_mut());
    let settings = Settings::from_json(&s.to_string());
    let op = plain_op(&mut inp.borrow_mut(), oktell);
    let name = op["op"].as_str().unwrap_or("").to_string();
    let mut storage = BTreeMap::new();
    let mut fetches = 0;
    let mut first_too_large = false;
    let h = host(&mut storage, NOW, |req: &HttpRequest| {
        fetches += 1;
        assert!(fetches <= 3, "more than three requests for one call");
        let answer = pbx_answer(&mut inp.borrow_mut(), req);
        if fetches == 1 {
            first_too_large =
                matches!(&answer, Outcome::Response(r) if r.body_bytes() > MAX_ANSWER_BYTES);
        }
        answer
    });
    let out = call(&settings, &op, None, &h);
    let v = check_outcome(&name, &out, &secrets, Some(MAX_MESSAGE_CHARS));
    if first_too_large {
        let said = match &out {
            Ok(v) => v["failReason"].as_str().unwrap_or("").to_string(),
            Err(e) => e.clone(),
        };
        assert!(
            said.contains("is too large") || said.contains("слишком велик"),
            "an answer over 1 MB was used: {said}"
        );
    }
    if let (Some(v), true) = (v, oktell && name == "getCallLink") {
        let url = v.as_str().expect("a call link is a string");
        assert_clean(url, &secrets, None);
    }
}

// ---- stored state ----

/// Webhooks of both providers in realistic, valid sequences, where every storage read answers
/// from the input for whatever keys the core asks (what a real storage would hold, nothing, fuzz
/// text, or that text in the stored shapes), and any read or write may fail.
pub fn stored_state(data: &[u8]) {
    let inp = RefCell::new(Input::new(data));
    let (oktell, s, secrets) = either_settings(&mut inp.borrow_mut());
    let settings = Settings::from_json(&s.to_string());
    let with_secret = s.get("webhookSecret").is_some();
    let mut storage = BTreeMap::new();
    let mut now = NOW;
    let n = 1 + inp.borrow_mut().pick(3);
    for _ in 0..n {
        let (op, body) = {
            let mut i = inp.borrow_mut();
            now += f64::from(i.byte()) * if i.flag() { 60_000.0 } else { 1_000.0 };
            if oktell {
                let (op, body, _, _) = oktell_valid_request(&mut i, with_secret);
                (op, body)
            } else {
                let body = rostelecom_body(&mut i);
                let (op, body, _, _) = rostelecom_request(&mut i, body, true);
                (op, Some(body))
            }
        };
        let h = FedHost {
            inner: host(&mut storage, now, |req: &HttpRequest| {
                assert!(!oktell, "an Oktell webhook fetched {}", req.url);
                pbx_answer(&mut inp.borrow_mut(), req)
            }),
            feed: &inp,
        };
        let out = call(&settings, &op, body, &h);
        if let Some(v) = check_outcome("parseWebhook", &out, &secrets, Some(MAX_MESSAGE_CHARS)) {
            let (status, reply) = reply_of(&v);
            assert!(
                matches!(status, 200 | 400 | 413),
                "status {status}: {reply}"
            );
            assert_clean(&without_echoes(&reply), &secrets, None);
        } else if let Err(e) = &out {
            assert!(e.contains("Namespace.storage"), "not a storage error: {e}");
        }
    }
}

/// A valid Oktell webhook (scenario or native push, authorised when a secret is set).
fn oktell_valid_request(inp: &mut Input, with_secret: bool) -> (Value, Option<String>, bool, bool) {
    let mut query = Vec::new();
    if with_secret {
        query.push(("token".to_string(), WEBHOOK_SECRET.to_string()));
    }
    if inp.flag() {
        let n = 1 + inp.pick(2);
        let msgs: Vec<Value> = (0..n).map(|_| oktell_message(inp)).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(Value::Array(msgs).to_string());
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("data", &b64)
            .finish();
        return (
            webhook_op("POST", &[], &query, false),
            Some(body),
            true,
            false,
        );
    }
    query.push(("event".into(), inp.one_of(&["ring", "answer", "hangup"])));
    query.push(("callid".into(), inp.one_of(&["c1", "c2"])));
    for (name, values) in [
        ("direction", &["in", "out", "internal"][..]),
        ("client", &["89161234567"][..]),
        ("user", &["ivanov", "petrov"][..]),
        ("duration", &["14", "0"][..]),
        ("answered", &["1", "0"][..]),
        ("record", &["/rec/1.wav"][..]),
    ] {
        if inp.flag() {
            query.push((name.into(), inp.one_of(values)));
        }
    }
    (webhook_op("GET", &[], &query, false), None, true, false)
}

// ---- settings ----

/// A settings value of any JSON shape ELMA365 might hand over, from the input.
fn setting_value(inp: &mut Input, example: &str) -> Option<Value> {
    Some(match inp.pick(10) {
        0 => return None,
        1 | 2 => Value::String(example.to_string()),
        3 => Value::String(inp.long()),
        4 => json!(i64::from(inp.byte()) - 8),
        5 => json!(f64::from(inp.byte()) / 3.0),
        6 => json!(inp.flag()),
        7 => {
            let mut m = Map::new();
            m.insert(
                inp.one_of(&["code", "value", "name"]),
                Value::String(inp.text()),
            );
            Value::Object(m)
        }
        8 => json!([inp.text()]),
        _ => Value::Null,
    })
}

/// Arbitrary settings JSON, and settings-shaped JSON with fuzzed values, for every operation
/// (webhooks included) with fuzzed PBX answers.
pub fn settings(data: &[u8]) {
    let inp = RefCell::new(Input::new(data));
    let text = {
        let mut i = inp.borrow_mut();
        if i.pick(4) == 3 {
            i.text()
        } else {
            let mut m = Map::new();
            for f in FIELDS {
                let example = match f.code {
                    "provider" => i.one_of(&["oktell", "rostelecom", "rt", "OKTELL"]),
                    "oktellMembersScript" => "ELMA365_Users".into(),
                    _ => f.example.to_string(),
                };
                if let Some(v) = setting_value(&mut i, &example) {
                    m.insert(f.code.into(), v);
                }
            }
            Value::Object(m).to_string()
        }
    };
    let settings = Settings::from_json(&text);
    let secrets: Vec<String> = settings
        .as_ref()
        .map(|s| s.secrets().into_iter().map(str::to_string).collect())
        .unwrap_or_default();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let oktell = matches!(&settings, Ok(s) if s.provider == elma365_voip::settings::Provider::Oktell);
    let (op, body) = {
        let mut i = inp.borrow_mut();
        if i.pick(4) == 0 {
            if oktell || i.flag() {
                let (op, body, _, _) = oktell_valid_request(&mut i, true);
                (op, body)
            } else {
                // Signed with whatever the settings hold, so that the mapping is reached.
                let body = rostelecom_body(&mut i);
                let (id, key) = match &settings {
                    Ok(s) if s.rostelecom.is_some() => {
                        let rt = s.rostelecom();
                        (rt.client_id.clone(), rt.sign_key.clone())
                    }
                    _ => (RT_ID.to_string(), RT_KEY.to_string()),
                };
                let sig = elma365_voip::rostelecom::api::sign(&id, &body, &key);
                let headers = pairs(&[("X-Client-ID", id), ("X-Client-Sign", sig)]);
                (webhook_op("POST", &headers, &[], false), Some(body))
            }
        } else {
            (plain_op(&mut i, oktell), None)
        }
    };
    let name = op["op"].as_str().unwrap_or("").to_string();
    let mut storage = BTreeMap::new();
    let h = host(&mut storage, NOW, |req: &HttpRequest| {
        pbx_answer(&mut inp.borrow_mut(), req)
    });
    let out = call(&settings, &op, body, &h);
    check_outcome(&name, &out, &secrets, None);
}

// ---- parsers ----

/// The core's hand-written readers of untrusted text against the crates they replaced, on the
/// input as text: Oktell's XML answers against quick-xml 0.37 ([`reference::parse_mapper`]), and
/// JSON against `serde_json::from_str`. Any difference is a finding: in what is read, in the
/// message for what is not (it reaches the admin), or in how a number is held.
pub fn parsers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    assert_eq!(
        xml::parse_mapper(&text),
        reference::parse_mapper(&text),
        "{text:?}"
    );
    // Compared as text (written, and `Debug`, which tells an f64 from an integer), not as `Value`s:
    // the core's serde_json and this crate's are one crate in a build, but need not be one type
    // when the two are built into one target directory from different workspaces.
    let ours = json::parse(&text).map(|v| (v.to_string(), format!("{v:?}")));
    let theirs = serde_json::from_str::<Value>(&text)
        .map(|v| (v.to_string(), format!("{v:?}")))
        .map_err(|e| e.to_string());
    assert_eq!(ours, theirs, "{text:?}");
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_input_is_a_complete_one() {
        for (_, target) in TARGETS {
            target(b"");
            target(&[0xff; 64]);
            target(&[SEP; 64]);
        }
    }

    #[test]
    fn input_reads_control_bytes_and_fields() {
        let mut i = Input::new(b"\x03\x01\xfeab\xfe\xfec");
        assert_eq!(i.pick(2), 1);
        assert!(i.flag());
        assert_eq!(i.byte(), 0);
        assert_eq!(i.text(), "ab");
        assert_eq!(i.text(), "");
        assert_eq!(i.one_of(&["x"]), "x");
        assert_eq!(i.text(), "c");
        assert_eq!(i.text(), "");
    }

    #[test]
    fn repeat_to_gives_the_size_asked() {
        assert_eq!(repeat_to("ab", 5, false), "ababa");
        assert_eq!(repeat_to("", 3, false), "xxx");
        assert_eq!(repeat_to("яz", 4, false), "яz"); // 3 bytes, and no half of the next «я»
        assert_eq!(repeat_to("яz", 3, true), "яzя");
        assert_eq!(repeat_to("abc", 0, true), "");
    }

    #[test]
    fn echoes_are_left_out_of_oktell_replies() {
        assert_eq!(
            without_echoes(r#"[["iam",{"qid":"s","type":"crm"}],["pong",{"qid":1}]]"#),
            r#"[[null,{"type":"crm"}],[null,{}]]"#
        );
        assert_eq!(without_echoes(r#"["x",{"qid":"s"}]"#), r#"[null,{}]"#);
        assert_eq!(without_echoes("OK"), "OK");
    }
}
