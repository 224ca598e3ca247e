//! Per-call state across webhooks, kept in `Namespace.storage`: one key per call, bounded and
//! expiring, with no stored value that grows with the number of calls.
//!
//! Two kinds of key per provider prefix `p`:
//! - `p:c:<id>`: one call. `{"t": ms, "s": state}` while it is active (the provider's state, `t` the
//!   last time a webhook saved it), `{"t": ms, "d": 1}` once it finished: a tombstone by which a late
//!   or repeated delivery is recognised and ignored instead of starting a new call. A value whose `t`
//!   is older than [`CALL_TTL_MS`] counts as absent.
//! - `p:g:<n>`: sweep slot `n` of [`SLOTS`] (the slot of a call is a hash of its id):
//!   `keyId firstSavedMs keyId firstSavedMs …`, oldest first, of the calls whose keys are in storage
//!   (`keyId` is the id as it appears in the call key). It is read with
//!   the call, but parsed and written only when a call is first saved: entries older than [`SWEEP_AFTER_MS`], and
//!   the oldest beyond [`SLOT_KEEP`], are dropped and their call keys deleted. This is what bounds the
//!   storage, since it has no listing of keys and no expiry of its own.
//!
//! Every value stays under [`MAX_VALUE_CHARS`]: a slot holds at most [`SLOT_KEEP`] ids of at most
//! [`MAX_ID_CHARS`] characters (a longer id is keyed by a digest), and the providers keep their
//! states short. A lost update of a slot (two new calls of one slot saved at the same instant by two
//! workers) can at worst leave one call key out of the sweep; it never loses or repeats a call.
//!
//! Usage in a provider's webhook handler: read [`CallStore::keys`] (or [`CallStore::batch_keys`])
//! through the host, [`CallStore::load`] what came back, change it, and write [`Batch::writes`].

pub use crate::host::Writes;
use crate::host::{Host, Notes, Stored};
use crate::json::{self, FromJson, ToJson};
use serde_json::Value;

/// How long a call may stay silent before its state is dropped, and how long a tombstone is kept (6 hours).
pub const CALL_TTL_MS: f64 = 6.0 * 3600.0 * 1000.0;
/// How old a sweep slot's entry may grow before its call key is deleted (twice the TTL, so that no
/// call that is still within its TTL is swept).
pub const SWEEP_AFTER_MS: f64 = 2.0 * CALL_TTL_MS;
/// How many sweep slots there are per provider.
pub const SLOTS: u32 = 128;
/// The most calls one sweep slot tracks; the oldest are deleted beyond it. With [`SLOTS`], at most
/// `SLOTS × SLOT_KEEP` call keys exist at once.
pub const SLOT_KEEP: usize = 24;
/// The longest call id used as is in a key; a longer one (or one with other characters than
/// letters, digits and `-_.:{}`) is keyed by a digest.
pub const MAX_ID_CHARS: usize = 48;
/// The longest value this store writes, in characters (a provider's state must keep within it).
pub const MAX_VALUE_CHARS: usize = 2000;

/// The state store for one provider.
#[derive(Clone, Copy, Debug)]
pub struct CallStore {
    prefix: &'static str,
}

/// One call as loaded.
#[derive(Debug)]
struct Call<T> {
    id: String,
    state: Option<T>,
    finished: bool,
    changed: bool,
    /// Whether storage held a value for it (then it is in its slot already).
    stored: bool,
    /// The claim on the call's end (see [`Batch::claim`]), with the claiming request's nonce.
    claim: Option<u64>,
    /// When the stored value was written (ms; 0 when none was).
    saved: f64,
}

/// One sweep slot as read: parsed only when a new call is added to it.
#[derive(Debug)]
struct Slot {
    n: u32,
    text: Option<String>,
}

/// The calls one webhook touches, loaded at once: read their keys, change them in memory, then
/// write everything with [`Batch::writes`].
#[derive(Debug)]
pub struct Batch<T> {
    store: CallStore,
    calls: Vec<Call<T>>,
    slots: Vec<Slot>,
}

/// What storage held for one call (a batch of one).
pub type Loaded<T> = Batch<T>;

impl CallStore {
    /// A store whose keys start with `prefix` (e.g. `rt`, `ok`).
    pub const fn new(prefix: &'static str) -> CallStore {
        CallStore { prefix }
    }

    /// The call key of `id` (see [`key_id`]).
    fn call_key(&self, id: &str) -> String {
        self.key_of(&key_id(id))
    }

    /// The call key for a [`key_id`].
    fn key_of(&self, key_id: &str) -> String {
        format!("{}:c:{key_id}", self.prefix)
    }

    fn slot_of(id: &str) -> u32 {
        fnv(&key_id(id)) % SLOTS
    }

    fn slot_key(&self, n: u32) -> String {
        format!("{}:g:{n}", self.prefix)
    }

    /// The keys to read before handling a webhook about `id`.
    pub fn keys(&self, id: &str) -> Vec<String> {
        self.batch_keys(&[id.to_string()])
    }

    /// The keys to read before handling a webhook about all of `ids`.
    pub fn batch_keys(&self, ids: &[String]) -> Vec<String> {
        let mut keys: Vec<String> = ids.iter().map(|id| self.call_key(id)).collect();
        let mut slots: Vec<u32> = Vec::new();
        for n in ids.iter().map(|id| CallStore::slot_of(id)) {
            if !slots.contains(&n) {
                slots.push(n);
                keys.push(self.slot_key(n));
            }
        }
        keys
    }

    /// Reads one call from what the host read for [`CallStore::keys`].
    pub fn load<T: FromJson>(&self, id: &str, stored: &Stored, now_ms: f64) -> Loaded<T> {
        self.load_batch(&[id.to_string()], stored, now_ms)
    }

    /// Reads every call of `ids` (a value idle past the TTL counts as absent) and their slots.
    pub fn load_batch<T: FromJson>(
        &self,
        ids: &[String],
        stored: &Stored,
        now_ms: f64,
    ) -> Batch<T> {
        let mut batch = Batch {
            store: *self,
            calls: Vec::new(),
            slots: Vec::new(),
        };
        for id in ids {
            if batch.calls.iter().any(|c| &c.id == id) {
                continue;
            }
            let text = stored.get(&self.call_key(id));
            let value = text.and_then(|text| json::parse(text).ok()).filter(|v| {
                v.get("t")
                    .and_then(Value::as_f64)
                    .is_some_and(|t| now_ms - t < CALL_TTL_MS)
            });
            let finished = value.as_ref().is_some_and(|v| v.get("d").is_some());
            let claim = value
                .as_ref()
                .and_then(|v| v.get("k"))
                .and_then(Value::as_u64);
            let saved = value
                .as_ref()
                .and_then(|v| v.get("t"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let state = value
                .and_then(|mut v| v.get_mut("s").map(Value::take))
                .filter(|_| !finished)
                .and_then(T::from_json);
            batch.calls.push(Call {
                id: id.clone(),
                state,
                finished,
                changed: false,
                stored: text.is_some(),
                claim,
                saved,
            });
            let n = CallStore::slot_of(id);
            if !batch.slots.iter().any(|s| s.n == n) {
                batch.slots.push(Slot {
                    n,
                    text: stored.get(&self.slot_key(n)).map(str::to_string),
                });
            }
        }
        batch
    }
}

/// FNV-1a: small and stable; the spread only has to be even.
pub fn fnv(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// How a call id appears in its key and its slot: the id itself when it is short and plain
/// (letters, digits, `-_.:{}`), else `#` and a digest of it. Never more than [`MAX_ID_CHARS`]
/// characters, never a space. A key id is its own key id, so that a call found by its key id (in
/// an index) loads the same key.
pub fn key_id(id: &str) -> std::borrow::Cow<'_, str> {
    let plain = !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:{}".contains(&b));
    let digest = id.len() == 25
        && id.starts_with('#')
        && id[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if plain || digest {
        return id.into();
    }
    let d = crate::sha::sha256(&[id.as_bytes()]);
    let hex: String = d[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("#{hex}").into()
}

/// Reads a stored slot, `keyId firstMs keyId firstMs …` (space-separated: no JSON to parse);
/// anything unreadable is skipped.
pub fn slot_entries(text: Option<&str>) -> Vec<(String, f64)> {
    let mut entries = Vec::new();
    let mut words = text.unwrap_or("").split_ascii_whitespace();
    while let (Some(id), Some(ms)) = (words.next(), words.next()) {
        if let Ok(ms) = ms.parse::<u64>() {
            entries.push((id.to_string(), ms as f64));
        }
    }
    entries
}

impl<T: ToJson> Batch<T> {
    fn call_mut(&mut self, id: &str) -> &mut Call<T> {
        let i = match self.calls.iter().position(|c| c.id == id) {
            Some(i) => i,
            None => {
                // A call the batch did not load (e.g. settled on the way): its slot was not read, so
                // it is written without touching the slot; its key is swept with its first save.
                self.calls.push(Call {
                    id: id.to_string(),
                    state: None,
                    finished: false,
                    changed: false,
                    stored: false,
                    claim: None,
                    saved: 0.0,
                });
                self.calls.len() - 1
            }
        };
        &mut self.calls[i]
    }

    /// The call's current state, if it is active.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.calls
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.state.as_ref())
    }

    /// Whether the call already finished (a late or repeated delivery).
    pub fn is_finished(&self, id: &str) -> bool {
        self.calls.iter().any(|c| c.id == id && c.finished)
    }

    /// The nonce of the request that claimed the call's end, if one did.
    pub fn claim_of(&self, id: &str) -> Option<u64> {
        self.calls.iter().find(|c| c.id == id).and_then(|c| c.claim)
    }

    /// Whether a request claimed the call's end less than [`CLAIM_STALE_MS`] ago: it is handing
    /// out the record. An older claim was never confirmed (its request died on the way), so a
    /// repeated delivery may take the call's end over.
    pub fn is_ending(&self, id: &str, now_ms: f64) -> bool {
        self.calls
            .iter()
            .any(|c| c.id == id && c.claim.is_some() && now_ms - c.saved < CLAIM_STALE_MS)
    }

    /// Claims the call's end for the request whose nonce is `nonce`: written with the state, then
    /// confirmed by [`CallStore::confirm`] before the call's record is handed out.
    pub fn claim(&mut self, id: &str, nonce: u64) {
        let call = self.call_mut(id);
        call.claim = Some(nonce);
        call.changed = true;
    }

    /// Sets the call's state (and marks it seen now).
    pub fn save(&mut self, id: &str, state: T) {
        let call = self.call_mut(id);
        call.state = Some(state);
        call.finished = false;
        call.changed = true;
    }

    /// Forgets the call's state and leaves its tombstone.
    pub fn finish(&mut self, id: &str) {
        let call = self.call_mut(id);
        call.state = None;
        call.finished = true;
        call.changed = true;
    }

    /// The storage writes for every change: first the slots that gained a call (with the keys
    /// they sweep), then the calls. Nothing when nothing changed.
    pub fn writes(self, now_ms: f64) -> Writes {
        let store = self.store;
        let mut slot_writes = Writes::new();
        let mut swept = Writes::new();
        for slot in self.slots {
            let mut new = self
                .calls
                .iter()
                .filter(|c| c.changed && !c.stored && CallStore::slot_of(&c.id) == slot.n)
                .peekable();
            if new.peek().is_none() {
                continue;
            }
            let mut entries = slot_entries(slot.text.as_deref());
            for call in new {
                let id = key_id(&call.id);
                if !entries.iter().any(|(i, _)| *i == id) {
                    entries.push((id.into_owned(), now_ms));
                }
            }
            let mut keep = entries.len();
            entries.retain(|(id, first)| {
                let stays = now_ms - first < SWEEP_AFTER_MS && keep <= SLOT_KEEP;
                if !stays {
                    keep -= 1;
                    swept.push((store.key_of(id), None));
                }
                stays
            });
            slot_writes.push((store.slot_key(slot.n), Some(slot_text(&entries))));
        }
        let mut writes = slot_writes;
        for call in self.calls.iter().filter(|c| c.changed) {
            let t = whole_ms(now_ms);
            let claim = call
                .claim
                .map(|k| format!(",\"k\":{k}"))
                .unwrap_or_default();
            let value = match (&call.state, call.finished) {
                (_, true) => Some(format!("{{\"t\":{t},\"d\":1}}")),
                (Some(state), false) => Some(format!(
                    "{{\"t\":{t},\"s\":{}{claim}}}",
                    json::to_string(state)
                )),
                (None, false) if call.claim.is_some() => Some(format!("{{\"t\":{t}{claim}}}")),
                (None, false) => None,
            };
            writes.push((store.call_key(&call.id), value));
        }
        writes.extend(swept);
        writes
    }
}

/// A slot's text: `id ms id ms …`, `-` when empty (never an empty value: a host may refuse one).
pub fn slot_text(entries: &[(String, f64)]) -> String {
    let mut text = String::new();
    for (id, ms) in entries {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(id);
        text.push(' ');
        text.push_str(&whole_ms(*ms).to_string());
    }
    if text.is_empty() {
        text.push('-');
    }
    text
}

/// Milliseconds as stored: a whole, non-negative number.
fn whole_ms(ms: f64) -> u64 {
    if ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

impl CallStore {
    /// Writes the call's state (one call key; its slot too when the call is new).
    pub fn save<T: ToJson>(
        &self,
        id: &str,
        state: T,
        now_ms: f64,
        mut loaded: Loaded<T>,
    ) -> Writes {
        loaded.save(id, state);
        loaded.writes(now_ms)
    }

    /// Leaves the call's tombstone in place of its state.
    pub fn finish<T: ToJson>(&self, id: &str, now_ms: f64, mut loaded: Loaded<T>) -> Writes {
        loaded.finish(id);
        loaded.writes(now_ms)
    }
}

/// How long a claim settles before it is checked, in milliseconds: longer than a storage read and
/// write take, so that every other instance that read the call before the claim was written has
/// written its own claim by then (the last one written wins).
pub const CLAIM_SETTLE_MS: u32 = 250;
/// How old an unconfirmed claim may grow before a repeated delivery takes the call's end over (30 s,
/// well past the settling and the `call_info` a claim waits for).
pub const CLAIM_STALE_MS: f64 = 30_000.0;

/// How a claim on a call's end came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// This request's claim stands: the call is finished now (its tombstone written), and the
    /// request hands out the record.
    Mine,
    /// Another request (another instance) claimed it later, or already finished it: it hands out the record.
    Taken,
}

impl CallStore {
    /// Confirms the claim that the request with `nonce` wrote on the call's end ([`Batch::claim`]),
    /// `wait_ms` after writing it. Under the call's lock: the request's own claim still there →
    /// the tombstone is written and the claim is [`Confirmed::Mine`]; another claim or a tombstone
    /// → [`Confirmed::Taken`]; no claim at all (a stale write of another instance replaced it) →
    /// claimed again and checked once more, after which it is ours. A failed storage read counts as
    /// ours too: a record may repeat then, but is never lost.
    pub async fn confirm<H: Host>(
        &self,
        id: &str,
        nonce: u64,
        wait_ms: u32,
        host: &H,
        notes: &mut Notes,
    ) -> Confirmed {
        let keys = self.keys(id);
        host.sleep(wait_ms).await;
        for round in 0..2 {
            let guard = crate::lock::lock(&keys).await;
            let now_ms = host.now_ms();
            let Some(stored) = notes.read(host, &keys).await else {
                return Confirmed::Mine;
            };
            let mut batch: Batch<Value> = self.load(id, &stored, now_ms);
            if batch.is_finished(id) {
                return Confirmed::Taken;
            }
            match batch.claim_of(id) {
                Some(k) if k == nonce => {
                    batch.finish(id);
                    notes.write(host, batch.writes(now_ms)).await;
                    return Confirmed::Mine;
                }
                Some(_) => return Confirmed::Taken,
                None if round == 0 => {
                    batch.claim(id, nonce);
                    notes.write(host, batch.writes(now_ms)).await;
                    drop(guard);
                    host.sleep(wait_ms).await;
                }
                None => {
                    batch.finish(id);
                    notes.write(host, batch.writes(now_ms)).await;
                }
            }
        }
        Confirmed::Mine
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const STORE: CallStore = CallStore::new("t");

    impl FromJson for u32 {
        fn from_json(v: Value) -> Option<u32> {
            v.as_u64().and_then(|n| n.try_into().ok())
        }
    }

    fn read(storage: &BTreeMap<String, String>, keys: &[String]) -> Stored {
        Stored {
            values: keys
                .iter()
                .map(|k| (k.clone(), storage.get(k).cloned()))
                .collect(),
        }
    }

    fn apply(storage: &mut BTreeMap<String, String>, writes: Writes) {
        for (k, v) in writes {
            match v {
                Some(v) => storage.insert(k, v),
                None => storage.remove(&k),
            };
        }
    }

    fn load(storage: &BTreeMap<String, String>, id: &str, now: f64) -> Loaded<u32> {
        STORE.load(id, &read(storage, &STORE.keys(id)), now)
    }

    #[test]
    fn state_round_trips_and_finish_leaves_a_tombstone() {
        let mut storage = BTreeMap::new();
        let loaded = load(&storage, "c1", 0.0);
        assert!(loaded.get("c1").is_none() && !loaded.is_finished("c1"));
        let w = STORE.save("c1", 7, 0.0, loaded);
        apply(&mut storage, w);
        let loaded = load(&storage, "c1", 1.0);
        assert_eq!(loaded.get("c1"), Some(&7));
        let w = STORE.finish("c1", 2.0, loaded);
        apply(&mut storage, w);
        let loaded = load(&storage, "c1", 3.0);
        assert!(loaded.get("c1").is_none() && loaded.is_finished("c1"));
        assert_eq!(storage["t:c:c1"], r#"{"t":2,"d":1}"#);
    }

    #[test]
    fn only_a_new_call_writes_its_slot() {
        let mut storage = BTreeMap::new();
        let first = STORE.save("c1", 1, 0.0, load(&storage, "c1", 0.0));
        assert_eq!(first.len(), 2, "{first:?}");
        apply(&mut storage, first);
        let again = STORE.save("c1", 2, 1.0, load(&storage, "c1", 1.0));
        assert_eq!(
            again,
            vec![("t:c:c1".to_string(), Some(r#"{"t":1,"s":2}"#.to_string()))]
        );
    }

    #[test]
    fn idle_calls_expire_and_old_ones_are_swept() {
        let mut storage = BTreeMap::new();
        let w = STORE.save("old", 1, 0.0, load(&storage, "old", 0.0));
        apply(&mut storage, w);
        let later = CALL_TTL_MS + 1.0;
        assert!(
            load(&storage, "old", later).get("old").is_none(),
            "expired state must not be used"
        );
        // A new call in the same slot, long after, sweeps the old call's key.
        let n = CallStore::slot_of("old");
        let other = (0..10_000)
            .map(|i| format!("n{i}"))
            .find(|id| CallStore::slot_of(id) == n)
            .unwrap();
        let much_later = SWEEP_AFTER_MS + 1.0;
        let w = STORE.save(&other, 2, much_later, load(&storage, &other, much_later));
        apply(&mut storage, w);
        assert!(!storage.contains_key("t:c:old"));
        let slot = slot_entries(Some(&storage[&STORE.slot_key(n)]));
        assert!(slot.iter().all(|(id, _)| id != "old"), "{slot:?}");
        assert!(slot.iter().any(|(id, _)| *id == other));
    }

    #[test]
    fn storage_stays_bounded_and_no_value_grows_with_the_number_of_calls() {
        let mut storage = BTreeMap::new();
        for i in 0..5_000 {
            // Every third id is long and odd (keyed by a digest), the rest plain and 48 characters long.
            let id = if i % 3 == 0 {
                format!("{i} {}", "ж".repeat(150))
            } else {
                format!("{i:048x}")
            };
            let w = STORE.save(&id, i, i as f64, load(&storage, &id, i as f64));
            apply(&mut storage, w);
            if i % 2 == 0 {
                let w = STORE.finish(&id, i as f64, load(&storage, &id, i as f64));
                apply(&mut storage, w);
            }
        }
        let calls = storage.keys().filter(|k| k.starts_with("t:c:")).count();
        assert!(calls <= SLOTS as usize * SLOT_KEEP, "{calls} call keys");
        let slots = storage.keys().filter(|k| k.starts_with("t:g:")).count();
        assert!(slots <= SLOTS as usize);
        let longest = storage.values().map(|v| v.chars().count()).max().unwrap();
        assert!(
            longest <= MAX_VALUE_CHARS,
            "a value of {longest} characters"
        );
        // The most recent calls are all still known, and swept keys are really gone.
        let id = format!("{:048x}", 4_996);
        assert!(load(&storage, &id, 5_000.0).is_finished(&id));
        let odd = format!("4995 {}", "ж".repeat(150));
        assert!(load(&storage, &odd, 5_000.0).get(&odd).is_some());
        let listed: usize = storage
            .iter()
            .filter(|(k, _)| k.starts_with("t:g:"))
            .map(|(_, v)| slot_entries(Some(v)).len())
            .sum();
        assert_eq!(
            listed, calls,
            "every call key is in a slot, and nothing else is"
        );
    }

    #[test]
    fn long_or_odd_ids_are_keyed_by_a_digest() {
        let long = "x".repeat(200);
        let key = STORE.call_key(&long);
        assert!(key.starts_with("t:c:#") && key.len() < 40, "{key}");
        assert_ne!(STORE.call_key("a/b"), "t:c:a/b");
        assert_eq!(STORE.call_key("{5E1B-a}"), "t:c:{5E1B-a}");
    }

    #[test]
    fn batch_handles_several_calls_and_finishes_one_it_did_not_load() {
        let mut storage = BTreeMap::new();
        let ids = vec!["a".to_string(), "b".to_string()];
        let mut batch: Batch<u32> =
            STORE.load_batch(&ids, &read(&storage, &STORE.batch_keys(&ids)), 0.0);
        batch.save("a", 1);
        batch.save("b", 2);
        apply(&mut storage, batch.writes(0.0));
        let only_a = vec!["a".to_string()];
        let mut batch: Batch<u32> =
            STORE.load_batch(&only_a, &read(&storage, &STORE.batch_keys(&only_a)), 1.0);
        assert_eq!(batch.get("a"), Some(&1));
        batch.finish("b");
        assert!(batch.is_finished("b") && !batch.is_finished("a"));
        apply(&mut storage, batch.writes(1.0));
        assert_eq!(storage["t:c:a"], r#"{"t":0,"s":1}"#);
        assert!(load(&storage, "b", 2.0).is_finished("b"));
    }

    #[test]
    fn a_claim_is_confirmed_only_while_it_stands() {
        let confirm = |storage: &mut BTreeMap<String, String>, nonce: u64| {
            let host = crate::host::Scripted::new(
                storage,
                10.0,
                |_: &crate::http::HttpRequest| unreachable!(),
            );
            let mut notes = Notes::default();
            pollster::block_on(STORE.confirm("c1", nonce, 0, &host, &mut notes))
        };
        let mut storage = BTreeMap::new();
        let mut batch = load(&storage, "c1", 0.0);
        batch.save("c1", 7);
        batch.claim("c1", 41);
        apply(&mut storage, batch.writes(0.0));
        assert_eq!(storage["t:c:c1"], r#"{"t":0,"s":7,"k":41}"#);
        let loaded = load(&storage, "c1", 1.0);
        assert!(loaded.is_ending("c1", 1.0) && !loaded.is_ending("c1", CLAIM_STALE_MS + 1.0));
        // Another request's claim landed later: this one backs off and leaves it be.
        assert_eq!(confirm(&mut storage, 40), Confirmed::Taken);
        assert!(storage["t:c:c1"].contains(r#""k":41"#));
        // The request whose claim stands finishes the call; after that, everyone backs off.
        assert_eq!(confirm(&mut storage, 41), Confirmed::Mine);
        assert!(load(&storage, "c1", 11.0).is_finished("c1"));
        assert_eq!(confirm(&mut storage, 41), Confirmed::Taken);
        // A claim that a stale write replaced is written again, then stands.
        let w = STORE.save("c2", 1, 0.0, load(&storage, "c2", 0.0));
        apply(&mut storage, w);
        assert_eq!(confirm_c2(&mut storage), Confirmed::Mine);
        assert!(load(&storage, "c2", 11.0).is_finished("c2"));
    }

    fn confirm_c2(storage: &mut BTreeMap<String, String>) -> Confirmed {
        let host = crate::host::Scripted::new(
            storage,
            10.0,
            |_: &crate::http::HttpRequest| unreachable!(),
        );
        let mut notes = Notes::default();
        pollster::block_on(STORE.confirm("c2", 9, 0, &host, &mut notes))
    }

    #[test]
    fn a_digest_key_id_is_its_own_key_id() {
        let long = "x".repeat(200);
        let kid = key_id(&long).into_owned();
        assert_eq!(key_id(&kid), kid);
        assert_eq!(STORE.call_key(&kid), STORE.call_key(&long));
        assert_eq!(CallStore::slot_of(&kid), CallStore::slot_of(&long));
    }

    #[test]
    fn an_unchanged_batch_writes_nothing() {
        let storage = BTreeMap::new();
        let ids = vec!["a".to_string()];
        let batch: Batch<u32> =
            STORE.load_batch(&ids, &read(&storage, &STORE.batch_keys(&ids)), 0.0);
        assert!(batch.writes(0.0).is_empty());
    }
}
