//! Oktell → the module's webhook: both ways in, the secret, and the mapping to ELMA365 events and
//! call records.
//!
//! # Ways in
//! - **Native «Web-интеграция с CRM» (HTTP mode)**: a POST form whose `data` field is base64 of one
//!   Oktell Web-Socket protocol message `["method", {"qid": …, …}]` or of an array of them (a raw
//!   JSON body starting with `[` is accepted too). A space in the base64 is read as `+`, padding and
//!   line breaks do not matter. The reply is the same message format, **unpacked** (plain JSON, as
//!   the Oktell wiki says: «ответ CRM содержит неупакованные данные в том же формате»): one reply per
//!   message, an array when an array came in.
//!   `whoareyou` → `["iam",{"qid","type":"crm","name":"ELMA365"}]`; `ping` → `["pong",{"qid"}]`;
//!   `getavailablemethods` → `["getavailablemethods",{"qid","methods":[]}]`; anything else, call
//!   events included → `["<method>",{"qid"}]`.
//! - **Scenario webhook** (ours): `event`=`ring`|`answer`|`hangup`, `callid` (required),
//!   `direction`=`in`|`out`|`internal` (default `in`), `client`, `user`, `duration` (s), `answered`
//!   (`1`/`0`), `record`, `token`; from the query, a form body or a JSON object body. A missing
//!   `callid` or an unknown `event` gets 400 with the reason and produces nothing.
//!
//! # Secret
//! With `webhookSecret` set, every request (both ways, protocol messages included) must carry it as
//! the `token` field (query, form or JSON) or as the password of HTTP Basic auth; compared in
//! constant time. Otherwise 403 and nothing else happens.
//!
//! # Mapping of the native messages (one call = one `chainid` = `callId`)
//! Direction of a new chain: an `acmcallstarted`/`acmcallstopped` message, or a leg whose
//! `callerdirection` is `oktell_pbx` or whose `callerinfo` starts with «Автодозвон» (the auto-dial /
//! callback leg), makes it **out**; otherwise `isextline=true` makes it **in** when the chain starts
//! with a ring on the operator's phone, and **out** when it starts with `commstarted` (nothing rang:
//! the operator dialled); `isextline=false` makes it **internal**.
//! Parties: the operator is `userlogin` (the member id); the client is `callerid` in the canonical
//! format, or for the callback leg the number in `callerinfo` («Абонент: …»). Incoming and internal:
//! `srcPhone` = client (internal: the other operator, by login once their leg shows it),
//! `dstPhone` = operator. Outgoing: `srcPhone` = operator, `dstPhone` = client.
//!
//! | message | event | state |
//! |---|---|---|
//! | `acmcallstarted` | `NotifyOutStart` (once the client is known) | new out chain |
//! | `ringstarted` | `NotifyStart` (in) / `NotifyInternal` / `NotifyOutStart` (callback leg, once) | operator ringing; cancels a pending missed record |
//! | `ringstopped` | none: ringing also stops when the operator answers | when nobody rings any more and nobody answered: a missed record is **pending** |
//! | `commstarted` | `NotifyAnswer` (first one; for a chain first seen here: its start event) | answered at now; cancels a pending missed record |
//! | `commstopped` | when the last talking leg stops: `NotifyEnd` (in, internal) / `NotifyOutEnd` | **one record**: Answered, duration = commstarted → commstopped |
//! | `acmcallstopped` | unanswered: `NotifyOutEnd` | unanswered: **one record**, NoAnswer |
//!
//! A pending missed record is written [`MISSED_AFTER_MS`] after the last `ringstopped` unless the
//! chain rings or is answered again first; Oktell sends no "call over" message for an unanswered
//! incoming call, so it goes out with the first webhook after that time (any call's, or a `ping`).
//! A request returns at most one event (the latest) and one record; further records wait in a small
//! outbox (`ok:out`) and go out with the next requests.
//!
//! # Repeats, order, strangers
//! A message whose `qid` was already handled for its chain, a ring for an operator already ringing,
//! a `commstarted` for a leg already talking, or a `commstopped` for a leg not talking is ignored.
//! Anything for a finished chain (the store's `done` list) is ignored, so no second record can
//! appear. A `ringstopped`, `commstopped` or `acmcallstopped` for a chain never seen is ignored (no
//! start, so no call). Rings after the answer (e.g. a transfer) are ignored. The scenario webhook
//! de-duplicates the same way per `callid`; its `hangup` carries everything a record needs, so it
//! makes one even for a `callid` never seen.

use crate::callstore::{Batch, CallStore, Confirmed, CLAIM_SETTLE_MS};
use crate::contract::{CallRecord, Direction, Disposition, Event, EventKind, WebhookResult};
use crate::health::{self, Why};
use crate::host::{Host, Notes, Stored};
use crate::http::{parse_form, snippet, WebhookRequest, WebhookResponse};
use crate::lock;
use crate::phone;
use crate::settings::Settings;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

/// The per-chain store (`ok:c:<chainid>` and its sweep slot `ok:g:<n>`, see [`crate::callstore`]).
pub const STORE: CallStore = CallStore::new("ok");
/// How long after the last `ringstopped` an unanswered chain counts as missed (90 s).
pub const MISSED_AFTER_MS: f64 = 90_000.0;
/// The longest chain id, login or number taken from a message (real ones are short); a message
/// with a longer chain id is ignored, a longer login or number is cut, so no stored value grows with them.
pub const MAX_ID_CHARS: usize = 128;
/// The longest `record` a scenario webhook may send.
pub const MAX_RECORD_CHARS: usize = 600;
/// The most operators a chain tracks as ringing or talking at once.
const MAX_LEGS: usize = 8;
/// The most chains one request may touch; messages about further chains are answered and ignored.
pub const MAX_CHAINS: usize = 16;
/// How many recent `qid`s a chain remembers for de-duplication.
const QIDS_KEEP: usize = 12;

/// The kinds of native message that matter for calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `phoneevent_acmcallstarted`.
    AcmStart,
    /// `phoneevent_acmcallstopped`.
    AcmStop,
    /// `phoneevent_ringstarted`.
    RingStart,
    /// `phoneevent_ringstopped`.
    RingStop,
    /// `phoneevent_commstarted`.
    CommStart,
    /// `phoneevent_commstopped`.
    CommStop,
}

impl Kind {
    fn of(method: &str) -> Option<Kind> {
        Some(match method.strip_prefix("phoneevent_")? {
            "acmcallstarted" => Kind::AcmStart,
            "acmcallstopped" => Kind::AcmStop,
            "ringstarted" => Kind::RingStart,
            "ringstopped" => Kind::RingStop,
            "commstarted" => Kind::CommStart,
            "commstopped" => Kind::CommStop,
            _ => return None,
        })
    }
}

/// The fields of one native call message that the mapping uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Msg {
    /// The message kind.
    pub kind: Option<Kind>,
    /// `qid`, as text.
    pub qid: String,
    /// `chainid`.
    pub chain: String,
    /// `userlogin`: the operator.
    pub login: String,
    /// The other party, canonical (`callerid`, or the number in a callback's `callerinfo`).
    pub peer: String,
    /// `isextline`.
    pub ext: bool,
    /// The auto-dial / callback leg.
    pub auto: bool,
}

/// The scenario webhook's fields, validated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scenario {
    /// `ring`, `answer` or `hangup`.
    pub event: String,
    /// `callid`.
    pub call: String,
    /// `direction`.
    pub dir: Option<Direction>,
    /// `client`, canonical.
    pub client: String,
    /// `user`.
    pub user: String,
    /// `duration` in seconds.
    pub duration: Option<u32>,
    /// `answered`.
    pub answered: Option<bool>,
    /// `record`.
    pub record: String,
}

/// A request decoded and authorised, waiting (in the call's future) for the chains' stored state.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// Native call messages in order (protocol messages are already answered).
    pub msgs: Vec<Msg>,
    /// The scenario webhook's fields, when it came that way.
    pub scenario: Option<Scenario>,
    /// What Oktell gets back.
    pub reply: WebhookResponse,
}

/// The first look at a request: an immediate answer, or what to read from storage before mapping.
#[derive(Debug)]
pub enum Start {
    /// Answer now (rejected or malformed), and why; no event, no record.
    Reply(WebhookResponse, Why),
    /// Map it over the stored state of these chains: [`handle`].
    Read(Pending, Vec<String>),
    /// A scenario's caller lookup (`lookup=<number>`): answer with the client's name and manager,
    /// as text (or JSON when `format=json`).
    Lookup(String, bool),
}

fn bad(reason: impl Into<String>) -> Start {
    let detail = reason.into();
    Start::Reply(
        WebhookResponse::text(400, detail.clone()),
        Why::Malformed {
            status: 400,
            detail,
        },
    )
}

/// Handles one webhook request: [`start`], then [`handle`] what it accepted; the request leaves
/// its trace for the webhook's health either way.
pub async fn run<H: Host>(s: &Settings, req: &WebhookRequest, host: &H) -> WebhookResult {
    match start(s, req) {
        Start::Reply(mut r, why) => {
            // A refusal may quote what the request carried (a field that is not a number, say):
            // never a secret, even the sender's own.
            r.body = crate::error::scrub(&r.body, &s.secrets());
            health::refused(host, s, health::Kind::Unknown, &why).await;
            WebhookResult::reply(r)
        }
        Start::Lookup(number, json) => {
            let number = phone::canonical(&number, &s.country_code);
            let found = crate::crm::caller(&number, s, host, &super::Users { s, host }).await;
            health::accepted(host, health::Kind::Scenario).await;
            WebhookResult::reply(lookup_reply(found, json))
        }
        Start::Read(pending, chains) => {
            let kind = match pending.scenario {
                Some(_) => health::Kind::Scenario,
                None => health::Kind::Crm,
            };
            let result = handle(s, pending, &chains, host).await;
            health::accepted(host, kind).await;
            result
        }
    }
}

/// Decodes, authorises and validates a webhook request.
pub fn start(s: &Settings, req: &WebhookRequest) -> Start {
    let body = req.body.as_deref().unwrap_or("").trim();
    let mut fields: Vec<(String, String)> = req.query.clone();
    let mut native: Option<Result<(Vec<Value>, bool), String>> = None;
    if body.starts_with('{') {
        match crate::json::parse(body) {
            // Text that starts with `{` and parses is an object.
            Ok(v) => fields.extend(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), scalar(v))),
            ),
            Err(e) => {
                if authorised(s, req, &fields) {
                    return bad(format!("The JSON body does not parse: {e}."));
                }
                return forbidden(req, &fields);
            }
        }
    } else if body.starts_with('[') {
        native = Some(messages(body.as_bytes()));
    } else if !body.is_empty() {
        fields.extend(parse_form(body));
    }
    for (k, _) in fields.iter_mut() {
        k.make_ascii_lowercase();
    }
    if !authorised(s, req, &fields) {
        return forbidden(req, &fields);
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    if native.is_none() && field("event").is_none() {
        if let Some(number) = field("lookup") {
            let json = field("format").is_some_and(|f| f.eq_ignore_ascii_case("json"));
            return Start::Lookup(snippet(number, 40), json);
        }
        if let Some(data) = field("data") {
            native = Some(decode_data(data));
        }
    }
    match native {
        Some(Ok((list, batch))) => native_start(s, &list, batch),
        Some(Err(e)) => bad(format!("Unreadable Oktell CRM message: {e}.")),
        None if req.body_parsed.is_some() && body.is_empty() && fields.is_empty() => bad(format!(
            "The request body reached the module as {}, not as text, and it cannot be read; send the fields in the query string.",
            crate::http::body_kind(req.body_parsed.as_deref().unwrap_or_default())
        )),
        None => scenario_start(s, &field),
    }
}

/// The answer to a scenario's caller lookup: one line `name;login;number` (each empty when unknown;
/// the name holds no `;` and no line break), or `{"name","login","number"}` as JSON.
pub fn lookup_reply(found: Option<crate::crm::Found>, json: bool) -> WebhookResponse {
    let f = found.unwrap_or_default();
    if json {
        let v = json!({"name": f.name, "login": f.member, "number": f.number});
        return WebhookResponse::json(200, &v);
    }
    let name = crate::crm::display_name(&f.name, crate::crm::MAX_NAME_CHARS).replace(';', ",");
    WebhookResponse::text(200, format!("{name};{};{}", f.member, f.number))
}

/// The refusal of a request without the right secret: missing, or offered and wrong.
fn forbidden(req: &WebhookRequest, fields: &[(String, String)]) -> Start {
    let offered = req.header("authorization").is_some()
        || fields.iter().any(|(k, _)| k.eq_ignore_ascii_case("token"));
    Start::Reply(
        WebhookResponse::text(
            403,
            "Forbidden: the request lacks the webhook secret (the token field or the HTTP Basic password).",
        ),
        if offered {
            Why::SecretWrong
        } else {
            Why::SecretMissing
        },
    )
}

/// A JSON scalar as text (objects and arrays as JSON).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Whether the request carries `webhookSecret` (always true when none is set).
pub fn authorised(s: &Settings, req: &WebhookRequest, fields: &[(String, String)]) -> bool {
    let Some(secret) = s.webhook_secret.as_deref() else {
        return true;
    };
    let matches = |given: &str| -> bool { given.as_bytes().ct_eq(secret.as_bytes()).into() };
    let token = fields
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("token"))
        .any(|(_, v)| matches(v.trim()));
    token || basic_password(req).is_some_and(|p| matches(&p))
}

/// The password of an HTTP Basic `Authorization` header.
pub fn basic_password(req: &WebhookRequest) -> Option<String> {
    let h = req.header("authorization")?.trim();
    if !h.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("basic ")) {
        return None;
    }
    let bytes = lenient_base64(&h[6..]).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.split_once(':').map(|(_, p)| p.to_string())
}

/// Base64 as Oktell's form posts deliver it: `+` may have become a space, line breaks and
/// padding may be off, and the URL-safe alphabet is tolerated.
pub fn lenient_base64(text: &str) -> Result<Vec<u8>, String> {
    let clean: String = text
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('+'),
            '-' => Some('+'),
            '_' => Some('/'),
            '\r' | '\n' | '\t' | '=' => None,
            c => Some(c),
        })
        .collect();
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

/// `data` → the list of messages, and whether they came as an array (a batch).
pub fn decode_data(data: &str) -> Result<(Vec<Value>, bool), String> {
    if data.is_empty() {
        return Err("the data field is empty".into());
    }
    messages(&lenient_base64(data)?)
}

/// JSON bytes → the list of `["method", {...}]` messages (one message or an array of them), and
/// whether they came as an array.
pub fn messages(bytes: &[u8]) -> Result<(Vec<Value>, bool), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the message is not UTF-8 text")?;
    let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("the message is not JSON ({e})"))?;
    let (list, batch) = match value {
        Value::Array(a) if a.first().is_some_and(Value::is_string) => {
            (vec![Value::Array(a)], false)
        }
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_array) => (a, true),
        _ => return Err("expected [\"method\", {…}] or an array of such messages".into()),
    };
    if !list.iter().any(|m| method_of(m).is_some()) {
        return Err("no message has the [\"method\", {…}] shape".into());
    }
    Ok((list, batch))
}

fn method_of(m: &Value) -> Option<(&str, &Map<String, Value>)> {
    let method = m.get(0)?.as_str()?;
    let params = m.get(1)?.as_object()?;
    Some((method, params))
}

fn text(params: &Map<String, Value>, key: &str) -> String {
    params
        .get(key)
        .map(scalar)
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn flag(params: &Map<String, Value>, key: &str) -> bool {
    match params.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The reply to one message, in the same format (JSON text).
pub fn reply_to(method: &str, qid: &Value) -> String {
    let qid = qid.to_string();
    match method {
        "whoareyou" => format!(r#"["iam",{{"qid":{qid},"type":"crm","name":"ELMA365"}}]"#),
        "ping" => format!(r#"["pong",{{"qid":{qid}}}]"#),
        "getavailablemethods" => {
            format!(r#"["getavailablemethods",{{"qid":{qid},"methods":[]}}]"#)
        }
        _ => format!(r#"[{},{{"qid":{qid}}}]"#, Value::from(method)),
    }
}

/// `text` cut to [`MAX_ID_CHARS`] characters.
fn cut(text: String) -> String {
    crate::http::cut(text, MAX_ID_CHARS)
}

/// The call fields of one native message (`None` for protocol messages).
pub fn call_msg(method: &str, params: &Map<String, Value>, country_code: &str) -> Option<Msg> {
    let kind = Kind::of(&method.to_ascii_lowercase())?;
    let info = text(params, "callerinfo");
    let auto = matches!(kind, Kind::AcmStart | Kind::AcmStop)
        || text(params, "callerdirection").eq_ignore_ascii_case("oktell_pbx")
        || info.starts_with("Автодозвон");
    let mut peer = text(params, "callerid");
    if peer.is_empty() && auto {
        // «Автодозвон. Обратный вызов.\nАбонент: 89274513158»
        if let Some((_, rest)) = info.split_once("Абонент:") {
            peer = rest.lines().next().unwrap_or("").trim().to_string();
        }
    }
    let chain = text(params, "chainid");
    if chain.chars().count() > MAX_ID_CHARS {
        return None;
    }
    Some(Msg {
        kind: Some(kind),
        qid: cut(text(params, "qid")),
        chain,
        login: cut(text(params, "userlogin")),
        peer: if peer.is_empty() {
            peer
        } else {
            cut(phone::canonical(&peer, country_code))
        },
        ext: flag(params, "isextline"),
        auto,
    })
}

fn native_start(s: &Settings, list: &[Value], batch: bool) -> Start {
    let mut replies = Vec::new();
    let mut msgs = Vec::new();
    let mut chains: Vec<String> = Vec::new();
    for m in list {
        let Some((method, params)) = method_of(m) else {
            continue;
        };
        replies.push(reply_to(
            method,
            params.get("qid").unwrap_or(&Value::String(String::new())),
        ));
        if let Some(msg) = call_msg(method, params, &s.country_code) {
            if msg.chain.is_empty() {
                continue;
            }
            if !chains.contains(&msg.chain) {
                if chains.len() >= MAX_CHAINS {
                    continue;
                }
                chains.push(msg.chain.clone());
            }
            msgs.push(msg);
        }
    }
    let body = if batch {
        let mut body = String::from("[");
        for (i, r) in replies.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(r);
        }
        body.push(']');
        body
    } else {
        replies.pop().unwrap_or_default()
    };
    let reply = WebhookResponse {
        status: 200,
        content_type: "application/json; charset=utf-8".into(),
        body,
    };
    read(
        Pending {
            msgs,
            scenario: None,
            reply,
        },
        &chains,
    )
}

fn read(p: Pending, chains: &[String]) -> Start {
    Start::Read(p, chains.to_vec())
}

fn scenario_start<'a>(s: &Settings, field: &dyn Fn(&str) -> Option<&'a str>) -> Start {
    let Some(call) = field("callid").filter(|c| !c.is_empty()) else {
        return bad("Missing callid: an Oktell scenario webhook needs event, callid and, as the call goes on, direction, client, user, duration, answered and record (see README).");
    };
    if call.chars().count() > MAX_ID_CHARS {
        return bad(format!(
            "The callid is longer than {MAX_ID_CHARS} characters."
        ));
    }
    if field("record").is_some_and(|r| r.chars().count() > MAX_RECORD_CHARS) {
        return bad(format!(
            "The record is longer than {MAX_RECORD_CHARS} characters: send the recording's id or path."
        ));
    }
    let event = field("event").unwrap_or("").to_ascii_lowercase();
    if !matches!(event.as_str(), "ring" | "answer" | "hangup") {
        return bad(format!(
            "Unknown event «{}»: expected ring, answer or hangup.",
            snippet(&event, 30)
        ));
    }
    let dir = match field("direction").map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => None,
        Some("in") => Some(Direction::In),
        Some("out") => Some(Direction::Out),
        Some("internal") => Some(Direction::Internal),
        Some(other) => {
            return bad(format!(
                "Unknown direction «{}»: expected in, out or internal.",
                snippet(other, 30)
            ))
        }
    };
    let duration = match field("duration").filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match whole_seconds(d) {
            Some(n) => Some(n),
            None => {
                return bad(format!(
                    "duration «{}» is not a number of seconds.",
                    snippet(d, 30)
                ))
            }
        },
    };
    let answered = match field("answered").map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => None,
        Some("1" | "true" | "yes") => Some(true),
        Some("0" | "false" | "no") => Some(false),
        Some(other) => return bad(format!("answered «{}» is not 1 or 0.", snippet(other, 30))),
    };
    let client = field("client").unwrap_or("");
    let sc = Scenario {
        event,
        call: call.to_string(),
        dir,
        client: if client.is_empty() {
            String::new()
        } else {
            cut(phone::canonical(client, &s.country_code))
        },
        user: cut(field("user").unwrap_or("").to_string()),
        duration,
        answered,
        record: field("record").unwrap_or("").to_string(),
    };
    let chains = [sc.call.clone()];
    read(
        Pending {
            msgs: Vec::new(),
            scenario: Some(sc),
            reply: WebhookResponse::text(200, "OK"),
        },
        &chains,
    )
}

/// `12`, `12.7` (cut to 12) → seconds; anything else → `None`.
fn whole_seconds(d: &str) -> Option<u32> {
    let whole = d.split_once('.').map_or(d, |(w, _)| w);
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole.parse().ok()
}

/// One chain's state between webhooks (read back through `serde_json::Value`: smaller code than a
/// derived deserializer).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chain {
    /// The direction, fixed by the first message.
    pub d: Direction,
    /// The operator (login): the callee of incoming and internal calls, the caller of outgoing ones.
    pub op: String,
    /// The other party: the client, or on internal calls the other operator.
    #[serde(default)]
    pub peer: String,
    /// A click-to-call / auto-dial chain.
    #[serde(default)]
    pub acm: bool,
    /// Whether the start event went out.
    #[serde(default)]
    pub shown: bool,
    /// When the first leg was answered (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ans: Option<f64>,
    /// Operators whose phone rings now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ring: Vec<String>,
    /// Operators in conversation now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub talk: Vec<String>,
    /// Recently handled `qid`s.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub q: Vec<String>,
    /// The chain's record held back (a missed call waiting, or a record waiting to go out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<Held>,
}

impl Chain {
    fn parties(&self) -> (String, String) {
        match self.d {
            Direction::Out => (self.op.clone(), self.peer.clone()),
            Direction::In | Direction::Internal => (self.peer.clone(), self.op.clone()),
        }
    }

    fn event(&self, kind: EventKind, disposition: Disposition, id: &str) -> Event {
        let (src_phone, dst_phone) = self.parties();
        Event {
            event: kind,
            direction: self.d,
            disposition,
            src_phone,
            dst_phone,
            call_id: id.to_string(),
        }
    }

    fn start_event(&self, disposition: Disposition, id: &str) -> Event {
        let kind = match self.d {
            Direction::In => EventKind::NotifyStart,
            Direction::Out => EventKind::NotifyOutStart,
            Direction::Internal => EventKind::NotifyInternal,
        };
        self.event(kind, disposition, id)
    }

    fn end_event(&self, disposition: Disposition, id: &str) -> Event {
        let kind = match self.d {
            Direction::Out => EventKind::NotifyOutEnd,
            Direction::In | Direction::Internal => EventKind::NotifyEnd,
        };
        self.event(kind, disposition, id)
    }

    fn record(&self, disposition: Disposition, duration: u32, call: Value, id: &str) -> CallRecord {
        let (src_phone, dst_phone) = self.parties();
        CallRecord {
            call,
            call_id: id.to_string(),
            direction: self.d,
            disposition,
            src_phone,
            dst_phone,
            duration,
        }
    }
}

/// A record held back in its chain's key: a missed call waiting [`MISSED_AFTER_MS`] (`pending`:
/// dropped if the call goes on first), or a record that could not go out with its own request (a
/// request hands out one record; the others of a batch wait here). Listed in the chain's
/// [`PENDING_SLOTS`] index slot, through which a later request finds and hands it out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Held {
    /// The chain id (its key may be a digest of it).
    pub id: String,
    /// Not before this time (ms).
    pub due: f64,
    /// A pending missed record: the chain is still active.
    #[serde(default)]
    pub pending: bool,
    /// The outcome.
    pub disp: Disposition,
    /// Talk time in seconds.
    #[serde(default)]
    pub secs: u32,
    /// The record's `call`.
    #[serde(default)]
    pub call: Value,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

impl Chain {
    fn from_value(v: &Value) -> Option<Chain> {
        Some(Chain {
            d: match v.get("d")?.as_str()? {
                "In" => Direction::In,
                "Out" => Direction::Out,
                "Internal" => Direction::Internal,
                _ => return None,
            },
            op: string(&v["op"]),
            peer: string(&v["peer"]),
            acm: v["acm"].as_bool().unwrap_or(false),
            shown: v["shown"].as_bool().unwrap_or(false),
            ans: v["ans"].as_f64(),
            ring: strings(&v["ring"]),
            talk: strings(&v["talk"]),
            q: strings(&v["q"]),
            o: v.get("o").and_then(Held::from_value),
        })
    }

    fn new(d: Direction, op: &str) -> Chain {
        Chain {
            d,
            op: op.to_string(),
            peer: String::new(),
            acm: false,
            shown: false,
            ans: None,
            ring: Vec::new(),
            talk: Vec::new(),
            q: Vec::new(),
            o: None,
        }
    }

    /// Whether the chain ended and only waits for its record to go out.
    fn ended(&self) -> bool {
        self.o.as_ref().is_some_and(|o| !o.pending)
    }
}

impl crate::json::FromJson for Chain {
    fn from_json(v: Value) -> Option<Chain> {
        Chain::from_value(&v)
    }
}

impl Held {
    fn from_value(v: &Value) -> Option<Held> {
        Some(Held {
            id: v.get("id")?.as_str()?.to_string(),
            due: v.get("due")?.as_f64()?,
            pending: v["pending"].as_bool().unwrap_or(false),
            disp: match v["disp"].as_str() {
                Some("Answered") => Disposition::Answered,
                _ => Disposition::NoAnswer,
            },
            secs: v["secs"].as_u64().unwrap_or(0).min(u64::from(u32::MAX)) as u32,
            call: v["call"].clone(),
        })
    }
}

/// Storage key prefix of the index of held records: `ok:p:<n>`, `n` < [`PENDING_SLOTS`].
pub const PENDING_PREFIX: &str = "ok:p:";
/// How many index slots of held records there are.
pub const PENDING_SLOTS: u32 = 16;
/// The most entries one index slot keeps (each at most 64 characters: well under 2,000); beyond
/// it, the entry due first is dropped. So at most `PENDING_SLOTS × PENDING_KEEP` (480) records may
/// wait at once.
pub const PENDING_KEEP: usize = 30;
/// How many held records one request tries to hand out (one goes out at most).
const COLLECT_TRIES: usize = 3;

/// The index slot key of a chain.
fn pending_key_of(id: &str) -> String {
    let n = crate::callstore::fnv(&crate::callstore::key_id(id)).rotate_left(7) % PENDING_SLOTS;
    format!("{PENDING_PREFIX}{n}")
}

/// Every index slot key.
fn pending_keys() -> Vec<String> {
    (0..PENDING_SLOTS)
        .map(|n| format!("{PENDING_PREFIX}{n}"))
        .collect()
}

/// An index slot's entries, `keyId due keyId due …` (the format of a sweep slot).
use crate::callstore::slot_entries as index_entries;

/// Changes to index slots: per slot key, the chains to list (with their due time) or unlist.
#[derive(Debug, Default)]
struct IndexChanges {
    changes: Vec<(String, String, Option<f64>)>,
}

impl IndexChanges {
    fn set(&mut self, id: &str, due: Option<f64>) {
        let key_id = crate::callstore::key_id(id).into_owned();
        self.changes.retain(|(_, k, _)| *k != key_id);
        self.changes.push((pending_key_of(id), key_id, due));
    }

    /// The slot keys changed.
    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for (slot, _, _) in &self.changes {
            if !keys.contains(slot) {
                keys.push(slot.clone());
            }
        }
        keys
    }

    /// The writes of the changed slots, over what `stored` holds for them (read under their lock).
    fn writes(&self, stored: &Stored, now_ms: f64) -> Vec<(String, Option<String>)> {
        let mut writes = Vec::new();
        for slot in self.keys() {
            let mut entries = index_entries(stored.get(&slot));
            for (_, key_id, due) in self.changes.iter().filter(|(s, _, _)| *s == slot) {
                entries.retain(|(k, _)| k != key_id);
                if let Some(due) = due {
                    entries.push((key_id.clone(), *due));
                }
            }
            // Entries whose chain key has expired have nothing left to hand out.
            entries.retain(|(_, due)| now_ms - due < crate::callstore::CALL_TTL_MS);
            // Over the limit, the entries due first are dropped (no sort: at most a few go).
            while entries.len() > PENDING_KEEP {
                let mut first = 0;
                for (i, e) in entries.iter().enumerate() {
                    if e.1 < entries[first].1 {
                        first = i;
                    }
                }
                entries.remove(first);
            }
            writes.push((slot, Some(crate::callstore::slot_text(&entries))));
        }
        writes
    }
}

/// Handles a decoded request over storage, and answers it:
/// 1. under the lock of its chains' keys (and their sweep and index slots): read them and every
///    index slot, map the messages, and write the chains back; a chain that ends writes this
///    request's claim on it, and every other record the request makes is held in its chain;
/// 2. a claimed record goes out once [`CallStore::confirm`] says the claim stands;
/// 3. a request without a record of its own hands out one held record that is due, claimed the
///    same way (so that two requests, in one instance or two, never hand out the same one).
///
/// A storage failure never loses the request's own event or record: the answer says what failed.
pub async fn handle<H: Host>(
    s: &Settings,
    p: Pending,
    chains: &[String],
    host: &H,
) -> WebhookResult {
    let mut notes = Notes::default();
    let mut changes = IndexChanges::default();
    let mut keys = STORE.batch_keys(chains);
    let mut locked = keys.clone();
    for id in chains {
        let k = pending_key_of(id);
        if !locked.contains(&k) {
            locked.push(k);
        }
    }
    keys.extend(pending_keys());
    let guard = lock::lock(&locked).await;
    let now = host.now_ms();
    let stored = notes.read_or_empty(host, &keys).await;
    let nonce = host.nonce();
    let mut m = Mapper {
        batch: STORE.load_batch(chains, &stored, now),
        changes: &mut changes,
        event: None,
        record: None,
        now,
        nonce,
    };
    for msg in &p.msgs {
        m.native(msg);
    }
    if let Some(sc) = &p.scenario {
        m.scenario(sc);
    }
    let Mapper {
        batch,
        mut event,
        record,
        ..
    } = m;
    let mut writes = batch.writes(now);
    writes.extend(changes.writes(&stored, now));
    notes.write(host, &writes).await;
    drop(guard);
    if !notes.failed() {
        listed(&changes, host, &mut notes).await;
    }
    let mut call_record = None;
    if let Some((id, rec)) = record {
        if STORE
            .confirm(&id, nonce, CLAIM_SETTLE_MS, host, &mut notes)
            .await
            == Confirmed::Mine
        {
            call_record = Some(rec);
        }
    } else {
        let due = index_due(&stored, now);
        // From a random entry on, so that concurrent requests spread over the due records.
        let first = (nonce % due.len().max(1) as u64) as usize;
        for k in 0..COLLECT_TRIES.min(due.len()) {
            let (slot, key_id) = &due[(first + k) % due.len()];
            if let Some((ev, rec)) = collect(key_id, slot, host, &mut notes).await {
                event = event.or(Some(ev));
                call_record = Some(rec);
                break;
            }
        }
    }
    let mut response = p.reply;
    if let Some(w) = notes.warning(s) {
        response.warn(&w);
    }
    WebhookResult {
        event,
        call_record,
        response,
    }
}

/// How many times a request checks that the held records it listed are still listed.
const LIST_CHECKS: usize = 4;

/// Makes sure that the held records this request listed stay listed: another instance that read an
/// index slot before this request wrote it may write it back without them (a lost update). Every
/// such write lands within a storage read and write of its read, so after [`CLAIM_SETTLE_MS`] a
/// listing that is still there stays; one that is gone is listed again and checked again.
async fn listed<H: Host>(changes: &IndexChanges, host: &H, notes: &mut Notes) {
    let mut missing = IndexChanges {
        changes: changes
            .changes
            .iter()
            .filter(|(_, _, due)| due.is_some())
            .cloned()
            .collect(),
    };
    for _ in 0..LIST_CHECKS {
        if missing.changes.is_empty() {
            return;
        }
        host.sleep(CLAIM_SETTLE_MS).await;
        let keys = missing.keys();
        let _guard = lock::lock(&keys).await;
        let Some(stored) = notes.read(host, &keys).await else {
            return;
        };
        missing.changes.retain(|(slot, key_id, _)| {
            !index_entries(stored.get(slot))
                .iter()
                .any(|(k, _)| k == key_id)
        });
        if !missing.changes.is_empty() {
            notes
                .write(host, &missing.writes(&stored, host.now_ms()))
                .await;
        }
    }
}

/// The held records due now, from the index slots read: `(slot key, key id)`.
fn index_due(stored: &Stored, now: f64) -> Vec<(String, String)> {
    let mut due = Vec::new();
    for slot in pending_keys() {
        for (key_id, at) in index_entries(stored.get(&slot)) {
            if at <= now {
                due.push((slot.clone(), key_id));
            }
        }
    }
    due
}

/// Tries to hand out the record held in chain `key_id`: claims it under the chain's lock, confirms
/// the claim, then unlists it. An entry whose chain holds nothing any more is unlisted.
async fn collect<H: Host>(
    key_id: &str,
    slot: &str,
    host: &H,
    notes: &mut Notes,
) -> Option<(Event, CallRecord)> {
    let mut keys = STORE.keys(key_id);
    keys.push(slot.to_string());
    let guard = lock::lock(&keys).await;
    let now = host.now_ms();
    let stored = notes.read(host, &keys).await?;
    let mut batch: Batch<Chain> = STORE.load(key_id, &stored, now);
    let held = batch
        .get(key_id)
        .filter(|_| !batch.is_finished(key_id) && !batch.is_ending(key_id, now))
        .and_then(|c| c.o.clone().map(|o| (c.clone(), o)));
    let mut unlist = IndexChanges::default();
    let Some((chain, o)) = held else {
        if !batch.is_ending(key_id, now) {
            unlist.set(key_id, None);
            notes.write(host, &unlist.writes(&stored, now)).await;
        }
        return None;
    };
    if o.due > now {
        return None;
    }
    let nonce = host.nonce();
    batch.claim(key_id, nonce);
    if !notes.write(host, &batch.writes(now)).await {
        return None;
    }
    drop(guard);
    if STORE
        .confirm(key_id, nonce, CLAIM_SETTLE_MS, host, notes)
        .await
        != Confirmed::Mine
    {
        return None;
    }
    let guard = lock::lock(&[slot.to_string()]).await;
    if let Some(stored) = notes.read(host, &[slot.to_string()]).await {
        unlist.set(key_id, None);
        notes
            .write(host, &unlist.writes(&stored, host.now_ms()))
            .await;
    }
    drop(guard);
    Some((
        chain.end_event(o.disp, &o.id),
        chain.record(o.disp, o.secs, o.call, &o.id),
    ))
}

struct Mapper<'a> {
    batch: Batch<Chain>,
    changes: &'a mut IndexChanges,
    event: Option<Event>,
    /// The record this request claimed: its chain and the record.
    record: Option<(String, CallRecord)>,
    now: f64,
    nonce: u64,
}

impl Mapper<'_> {
    fn chain(&self, id: &str) -> Option<Chain> {
        self.batch.get(id).cloned()
    }

    fn save(&mut self, id: &str, c: Chain) {
        self.batch.save(id, c);
    }

    fn cancel_pending(&mut self, id: &str, c: &mut Chain) {
        if c.o.as_ref().is_some_and(|o| o.pending) {
            c.o = None;
            self.changes.set(id, None);
        }
    }

    /// The chain ended: its record goes out with this request (claimed), or, when the request
    /// already has one, is held in the chain for a later request.
    fn end(&mut self, id: &str, mut c: Chain, disp: Disposition, secs: u32, call: Value) {
        self.cancel_pending(id, &mut c);
        self.event = Some(c.end_event(disp, id));
        c.q.clear();
        if self.record.is_none() {
            self.record = Some((id.to_string(), c.record(disp, secs, call, id)));
            self.batch.claim(id, self.nonce);
        } else {
            c.o = Some(Held {
                id: id.to_string(),
                due: self.now,
                pending: false,
                disp,
                secs,
                call,
            });
            self.changes.set(id, Some(self.now));
        }
        c.ring.clear();
        c.talk.clear();
        self.save(id, c);
    }

    fn talk_seconds(&self, c: &Chain) -> u32 {
        c.ans
            .map_or(0, |a| ((self.now - a).max(0.0) / 1000.0 + 0.5) as u32)
    }

    /// Whether nothing more may happen to the chain: finished, ending, or its record waiting.
    fn over(&self, id: &str) -> bool {
        self.batch.is_finished(id)
            || self.batch.is_ending(id, self.now)
            || self.batch.get(id).is_some_and(Chain::ended)
    }

    fn native(&mut self, m: &Msg) {
        let id = m.chain.as_str();
        let Some(kind) = m.kind else { return };
        if self.over(id) {
            return;
        }
        let mut c = match self.chain(id) {
            Some(c) => c,
            None if matches!(kind, Kind::AcmStart | Kind::RingStart | Kind::CommStart) => {
                let d = if m.auto {
                    Direction::Out
                } else if !m.ext {
                    Direction::Internal
                } else if kind == Kind::RingStart {
                    Direction::In
                } else {
                    Direction::Out
                };
                let mut c = Chain::new(d, &m.login);
                c.acm = m.auto;
                c
            }
            None => return,
        };
        if !m.qid.is_empty() {
            if c.q.contains(&m.qid) {
                return;
            }
            c.q.push(m.qid.clone());
            if c.q.len() > QIDS_KEEP {
                c.q.remove(0);
            }
        }
        // Learn the parties.
        if c.d == Direction::Internal {
            if !m.login.is_empty() && m.login != c.op {
                c.peer = m.login.clone();
            } else if c.peer.is_empty() {
                c.peer = m.peer.clone();
            }
        } else if c.peer.is_empty() && (m.ext || m.auto) {
            c.peer = m.peer.clone();
        }
        if c.op.is_empty() {
            c.op = m.login.clone();
        }
        match kind {
            Kind::AcmStart => {
                c.acm = true;
                if !c.shown && !c.peer.is_empty() {
                    c.shown = true;
                    self.event = Some(c.start_event(Disposition::Unknown, id));
                }
            }
            Kind::RingStart => {
                if c.ans.is_some() || c.ring.contains(&m.login) {
                    return self.save(id, c);
                }
                self.cancel_pending(id, &mut c);
                if c.ring.len() < MAX_LEGS {
                    c.ring.push(m.login.clone());
                }
                if c.d != Direction::Out {
                    c.op = m.login.clone();
                    c.shown = true;
                    self.event = Some(c.start_event(Disposition::Unknown, id));
                } else if !c.shown && !c.peer.is_empty() {
                    c.shown = true;
                    self.event = Some(c.start_event(Disposition::Unknown, id));
                }
            }
            Kind::RingStop => {
                c.ring.retain(|l| l != &m.login);
                if c.ans.is_none() && c.ring.is_empty() {
                    let due = self.now + MISSED_AFTER_MS;
                    c.o = Some(Held {
                        id: id.to_string(),
                        due,
                        pending: true,
                        disp: Disposition::NoAnswer,
                        secs: 0,
                        call: Value::Null,
                    });
                    self.changes.set(id, Some(due));
                }
            }
            Kind::CommStart => {
                c.ring.retain(|l| l != &m.login);
                // On a callback the operator's own leg connects first; the call is answered
                // when the client's (external) leg does.
                if c.talk.contains(&m.login) || (c.acm && !m.ext) {
                    return self.save(id, c);
                }
                self.cancel_pending(id, &mut c);
                if c.talk.len() < MAX_LEGS {
                    c.talk.push(m.login.clone());
                }
                if c.ans.is_none() {
                    c.ans = Some(self.now);
                    if c.d == Direction::In {
                        c.op = m.login.clone();
                    }
                    self.event = Some(if c.shown {
                        c.event(EventKind::NotifyAnswer, Disposition::Answered, id)
                    } else {
                        c.start_event(Disposition::Answered, id)
                    });
                    c.shown = true;
                }
            }
            Kind::CommStop => {
                if !c.talk.contains(&m.login) {
                    return self.save(id, c);
                }
                c.talk.retain(|l| l != &m.login);
                if c.talk.is_empty() {
                    let secs = self.talk_seconds(&c);
                    return self.end(id, c, Disposition::Answered, secs, Value::Null);
                }
            }
            Kind::AcmStop => {
                if c.ans.is_none() {
                    return self.end(id, c, Disposition::NoAnswer, 0, Value::Null);
                }
            }
        }
        self.save(id, c);
    }

    fn scenario(&mut self, sc: &Scenario) {
        let id = sc.call.as_str();
        if self.over(id) {
            return;
        }
        let mut c = self
            .chain(id)
            .unwrap_or_else(|| Chain::new(sc.dir.unwrap_or(Direction::In), ""));
        if !sc.user.is_empty() {
            c.op = sc.user.clone();
        }
        if !sc.client.is_empty() {
            c.peer = sc.client.clone();
        }
        self.cancel_pending(id, &mut c);
        match sc.event.as_str() {
            "ring" => {
                if c.shown {
                    return;
                }
                c.shown = true;
                self.event = Some(c.start_event(Disposition::Unknown, id));
            }
            "answer" => {
                if c.ans.is_some() {
                    return;
                }
                c.ans = Some(self.now);
                c.shown = true;
                self.event = Some(c.event(EventKind::NotifyAnswer, Disposition::Answered, id));
            }
            _ => {
                let answered = sc
                    .answered
                    .unwrap_or_else(|| sc.duration.map_or(c.ans.is_some(), |d| d > 0));
                let (disposition, secs) = if answered {
                    let secs = sc.duration.unwrap_or_else(|| self.talk_seconds(&c));
                    (Disposition::Answered, secs)
                } else {
                    (Disposition::NoAnswer, 0)
                };
                let call = if sc.record.is_empty() {
                    Value::Null
                } else {
                    json!({ "record": sc.record })
                };
                return self.end(id, c, disposition, secs, call);
            }
        }
        self.save(id, c);
    }
}
