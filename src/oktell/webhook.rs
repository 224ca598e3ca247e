//! Oktell → the module's webhook: both ways in, the secret, and the mapping to ELMA365 events and
//! call records.
//!
//!
//! Reading a request (the ways in, the secret, the messages) is [`super::inbound`]'s; a chain's
//! stored state is [`super::chain`]'s. This file is the flow: [`run`], [`handle`], held records
//! and the mapping.
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

use super::chain::{Chain, Held};
use super::inbound::{lookup_reply, start, Kind, Msg, Pending, Scenario, Start};
use crate::callstore::{Batch, CallStore, Confirmed, CLAIM_SETTLE_MS};
use crate::contract::{CallRecord, Direction, Disposition, Event, EventKind, WebhookResult};
use crate::health;
use crate::host::{Host, Notes, Stored};
use crate::http::WebhookRequest;
use crate::lock;
use crate::phone;
use crate::settings::Settings;
use serde_json::Value;

/// The per-chain store (`ok:c:<chainid>` and its sweep slot `ok:g:<n>`, see [`crate::callstore`]).
pub const STORE: CallStore = CallStore::new("ok");
/// How long after the last `ringstopped` an unanswered chain counts as missed (90 s).
pub const MISSED_AFTER_MS: f64 = 90_000.0;
/// The most operators a chain tracks as ringing or talking at once.
const MAX_LEGS: usize = 8;
/// How many recent `qid`s a chain remembers for de-duplication.
const QIDS_KEEP: usize = 12;

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
            let mut notes = health::accepting(host, kind);
            let result = handle(s, pending, &chains, host, &mut notes).await;
            notes.flush(host).await;
            result
        }
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
    notes: &mut Notes,
) -> WebhookResult {
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
    notes.write(host, writes).await;
    drop(guard);
    if !notes.failed() {
        listed(&changes, host, notes).await;
    }
    let mut call_record = None;
    if let Some((id, rec)) = record {
        if STORE
            .confirm(&id, nonce, CLAIM_SETTLE_MS, host, notes)
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
            if let Some((ev, rec)) = collect(key_id, slot, host, notes).await {
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
                .write(host, missing.writes(&stored, host.now_ms()))
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
            notes.write(host, unlist.writes(&stored, now)).await;
        }
        return None;
    };
    if o.due > now {
        return None;
    }
    let nonce = host.nonce();
    batch.claim(key_id, nonce);
    if !notes.write(host, batch.writes(now)).await {
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
            .write(host, unlist.writes(&stored, host.now_ms()))
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
                    crate::json::obj(vec![("record", sc.record.as_str().into())])
                };
                return self.end(id, c, disposition, secs, call);
            }
        }
        self.save(id, c);
    }
}
