//! One Oktell chain's state between webhooks, as stored by [`super::webhook::STORE`].

use crate::contract::{CallRecord, Direction, Disposition, Event, EventKind};
use crate::json::{Obj, ToJson};
use serde::Serialize;
use serde_json::Value;

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

    pub(super) fn event(&self, kind: EventKind, disposition: Disposition, id: &str) -> Event {
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

    pub(super) fn start_event(&self, disposition: Disposition, id: &str) -> Event {
        let kind = match self.d {
            Direction::In => EventKind::NotifyStart,
            Direction::Out => EventKind::NotifyOutStart,
            Direction::Internal => EventKind::NotifyInternal,
        };
        self.event(kind, disposition, id)
    }

    pub(super) fn end_event(&self, disposition: Disposition, id: &str) -> Event {
        let kind = match self.d {
            Direction::Out => EventKind::NotifyOutEnd,
            Direction::In | Direction::Internal => EventKind::NotifyEnd,
        };
        self.event(kind, disposition, id)
    }

    pub(super) fn record(
        &self,
        disposition: Disposition,
        duration: u32,
        call: Value,
        id: &str,
    ) -> CallRecord {
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

    pub(super) fn new(d: Direction, op: &str) -> Chain {
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
    pub(super) fn ended(&self) -> bool {
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

impl ToJson for Chain {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("d", &self.d)
            .field("op", &self.op)
            .field("peer", &self.peer)
            .field("acm", &self.acm)
            .field("shown", &self.shown)
            .some("ans", &self.ans);
        for (key, list) in [("ring", &self.ring), ("talk", &self.talk), ("q", &self.q)] {
            if !list.is_empty() {
                o.field(key, list);
            }
        }
        o.some("o", &self.o).end();
    }
}

impl ToJson for Held {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("id", &self.id)
            .field("due", &self.due)
            .field("pending", &self.pending)
            .field("disp", &self.disp)
            .field("secs", &self.secs)
            .field("call", &self.call)
            .end();
    }
}
