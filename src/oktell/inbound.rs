//! Oktell → the module's webhook, reading a request: both ways in, the secret, and the messages
//! that matter for calls, up to a [`Start`] (see [`super::webhook`] for what happens next).
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

use crate::contract::Direction;
use crate::health::Why;
use crate::http::{parse_form, snippet, WebhookRequest, WebhookResponse};
use crate::phone;
use crate::settings::Settings;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// The longest chain id, login or number taken from a message (real ones are short); a message
/// with a longer chain id is ignored, a longer login or number is cut, so no stored value grows with them.
pub const MAX_ID_CHARS: usize = 128;
/// The longest `record` a scenario webhook may send.
pub const MAX_RECORD_CHARS: usize = 600;
/// The most chains one request may touch; messages about further chains are answered and ignored.
pub const MAX_CHAINS: usize = 16;

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
        let v = crate::json::obj(vec![
            ("name", f.name.into()),
            ("login", f.member.into()),
            ("number", f.number.into()),
        ]);
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
        other => crate::json::to_string(other),
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

/// The base64 symbols of `text` in the standard alphabet, as [`lenient_base64`] decodes them: a
/// space (a `+` a form post turned) and `-` become `+`, `_` becomes `/`, line breaks, tabs and
/// padding are dropped.
pub(crate) fn base64_cleaned(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            ' ' => Some('+'),
            '-' => Some('+'),
            '_' => Some('/'),
            '\r' | '\n' | '\t' | '=' => None,
            c => Some(c),
        })
        .collect()
}

/// Base64 as Oktell's form posts deliver it: `+` may have become a space, line breaks and
/// padding may be off, and the URL-safe alphabet is tolerated.
pub fn lenient_base64(text: &str) -> Result<Vec<u8>, String> {
    crate::b64::decode_unpadded(base64_cleaned(text).as_bytes())
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
    let value = crate::json::parse(text.trim_start_matches('\u{feff}'))
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
    let qid = crate::json::to_string(qid);
    match method {
        "whoareyou" => format!(r#"["iam",{{"qid":{qid},"type":"crm","name":"ELMA365"}}]"#),
        "ping" => format!(r#"["pong",{{"qid":{qid}}}]"#),
        "getavailablemethods" => {
            format!(r#"["getavailablemethods",{{"qid":{qid},"methods":[]}}]"#)
        }
        _ => format!(r#"[{},{{"qid":{qid}}}]"#, crate::json::to_string(method)),
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
