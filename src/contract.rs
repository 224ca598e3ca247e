//! The ELMA365 telephony contract as Rust values. Enum members are canonical *names*; the shim maps
//! each name onto the host's own `VoipWebhookEvent` / `VoipCallDirection` / `VoipCallDisposition`
//! member at run time, and leaves an event out rather than send a wrong kind.

use crate::http::{WebhookRequest, WebhookResponse};
use crate::json::{self, Obj, Parsed, ToJson};
use serde::Serialize;
use serde_json::Value;
use tsify::Tsify;

/// One PBX user for ELMA365's user-mapping table. `id` is the same string events carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
pub struct Member {
    /// The PBX-side identity: Rostelecom PIN or Oktell login.
    pub id: String,
    /// A human name for the table.
    pub name: String,
}

/// `VoipTestConnection`'s result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    /// Whether the PBX was reached and accepted us.
    pub success: bool,
    /// Why not, or on success a note of what was reached (ELMA365 shows it when present).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    /// On success: what we reached, e.g. "Oktell licence 1234567; directory: 4 users".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Canonical names of the call stages (members of the host's `VoipWebhookEvent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
pub enum EventKind {
    /// An incoming call rings an operator.
    NotifyStart,
    /// A call was answered.
    NotifyAnswer,
    /// An incoming call ended.
    NotifyEnd,
    /// An outgoing call started.
    NotifyOutStart,
    /// An outgoing call ended.
    NotifyOutEnd,
    /// An internal call.
    NotifyInternal,
}

/// Canonical names of call directions (members of the host's `VoipCallDirection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
pub enum Direction {
    /// A client called us.
    In,
    /// We called a client.
    Out,
    /// Between two employees.
    Internal,
}

/// Canonical names of call outcomes (members of the host's `VoipCallDisposition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
pub enum Disposition {
    /// Talked.
    Answered,
    /// The callee was busy.
    Busy,
    /// Nobody answered.
    NoAnswer,
    /// The caller gave up.
    Cancel,
    /// Technical failure.
    Failed,
    /// Not known (yet).
    Unknown,
}

/// A call stage for ELMA365 (`VoipWebhookRequest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The stage.
    pub event: EventKind,
    /// The direction.
    pub direction: Direction,
    /// The outcome so far.
    pub disposition: Disposition,
    /// Caller: the client on incoming calls, the operator on outgoing ones.
    pub src_phone: String,
    /// Callee: the operator on incoming calls, the client on outgoing ones.
    pub dst_phone: String,
    /// The PBX's id of the whole call.
    pub call_id: String,
}

/// A finished call for the activity stream (`VoipCallRecord`).
#[derive(Clone, Debug, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    /// What `VoipGetCallLink` will need; `null` when there is nothing to play.
    #[tsify(type = "unknown")]
    pub call: Value,
    /// The PBX's id of the whole call.
    pub call_id: String,
    /// The direction.
    pub direction: Direction,
    /// The outcome.
    pub disposition: Disposition,
    /// Caller (see [`Event::src_phone`]).
    pub src_phone: String,
    /// Callee (see [`Event::dst_phone`]).
    pub dst_phone: String,
    /// Talk time in seconds.
    pub duration: u32,
}

/// What `VoipParseWebhookRequest` returns, before the shim maps names to host enums.
#[derive(Clone, Debug, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResult {
    /// The call stage to show, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    /// The finished call to store, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_record: Option<CallRecord>,
    /// What the PBX receives.
    pub response: WebhookResponse,
}

impl WebhookResult {
    /// Only an answer to the PBX: no event, no record.
    pub fn reply(response: WebhookResponse) -> WebhookResult {
        WebhookResult {
            event: None,
            call_record: None,
            response,
        }
    }
}

/// A contract function call, as the shim passes it to `engine::call`.
#[derive(Clone, Debug, PartialEq, Serialize, Tsify)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    /// `VoipTestConnection()`.
    TestConnection,
    /// `VoipGetMembers()`.
    GetMembers,
    /// `VoipGenerateCall(src, dst)`.
    GenerateCall {
        /// The employee to ring first.
        src: String,
        /// The client to dial once the employee answers.
        dst: String,
    },
    /// `VoipParseWebhookRequest(request)`.
    ParseWebhook {
        /// The request, normalised by the shim.
        request: WebhookRequest,
    },
    /// `VoipGetCallLink(callData)`.
    GetCallLink {
        /// Exactly what the module put into `callRecord.call`.
        #[serde(rename = "callData", default)]
        #[tsify(type = "unknown")]
        call_data: Value,
    },
    /// `VoipOnWebhookUpdated(url)`.
    OnWebhookUpdated {
        /// The module's webhook URL.
        #[serde(default)]
        url: String,
    },
}

impl Op {
    /// Reads an op as the shim sends it: `{"op": "<tag>", …fields}`.
    pub fn from_value(v: &Value) -> Parsed<Op> {
        Ok(match json::string(v, "op")?.as_str() {
            "testConnection" => Op::TestConnection,
            "getMembers" => Op::GetMembers,
            "generateCall" => Op::GenerateCall {
                src: json::string(v, "src")?,
                dst: json::string(v, "dst")?,
            },
            "parseWebhook" => Op::ParseWebhook {
                request: WebhookRequest::from_value(json::required(v, "request")?)?,
            },
            "getCallLink" => Op::GetCallLink {
                call_data: v.get("callData").cloned().unwrap_or(Value::Null),
            },
            "onWebhookUpdated" => Op::OnWebhookUpdated {
                url: json::string_or_empty(v, "url")?,
            },
            other => return Err(format!("unknown op «{}»", crate::http::snippet(other, 40))),
        })
    }

    /// The op's wire tag, e.g. `generateCall`.
    pub fn name(&self) -> &'static str {
        op_name(self)
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::TestConnection => "testConnection",
        Op::GetMembers => "getMembers",
        Op::GenerateCall { .. } => "generateCall",
        Op::ParseWebhook { .. } => "parseWebhook",
        Op::GetCallLink { .. } => "getCallLink",
        Op::OnWebhookUpdated { .. } => "onWebhookUpdated",
    }
}

/// A result as ELMA365 gets it, as JSON text (made once, at the end: no intermediate `Value`).
pub type Json = String;

/// A result as JSON text.
pub fn value(v: impl ToJson) -> Json {
    json::to_string(&v)
}

/// The `null` result (the contract functions that return nothing).
pub fn null() -> Json {
    "null".into()
}

// The unit enums are written as their variants' names, as serde writes them.
json::names! {
    EventKind {
        NotifyStart => "NotifyStart",
        NotifyAnswer => "NotifyAnswer",
        NotifyEnd => "NotifyEnd",
        NotifyOutStart => "NotifyOutStart",
        NotifyOutEnd => "NotifyOutEnd",
        NotifyInternal => "NotifyInternal",
    }
    Direction { In => "In", Out => "Out", Internal => "Internal" }
    Disposition {
        Answered => "Answered",
        Busy => "Busy",
        NoAnswer => "NoAnswer",
        Cancel => "Cancel",
        Failed => "Failed",
        Unknown => "Unknown",
    }
}

impl ToJson for Member {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("id", &self.id)
            .field("name", &self.name)
            .end();
    }
}

impl ToJson for TestResult {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("success", &self.success)
            .some("failReason", &self.fail_reason)
            .some("message", &self.message)
            .end();
    }
}

impl ToJson for Event {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("event", &self.event)
            .field("direction", &self.direction)
            .field("disposition", &self.disposition)
            .field("srcPhone", &self.src_phone)
            .field("dstPhone", &self.dst_phone)
            .field("callId", &self.call_id)
            .end();
    }
}

impl ToJson for CallRecord {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("call", &self.call)
            .field("callId", &self.call_id)
            .field("direction", &self.direction)
            .field("disposition", &self.disposition)
            .field("srcPhone", &self.src_phone)
            .field("dstPhone", &self.dst_phone)
            .field("duration", &self.duration)
            .end();
    }
}

impl ToJson for WebhookResult {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .some("event", &self.event)
            .some("callRecord", &self.call_record)
            .field("response", &self.response)
            .end();
    }
}
