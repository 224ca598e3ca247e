//! Per-call state across webhooks, kept in `Namespace.storage`: small, bounded and expiring.
//!
//! Three kinds of key per provider prefix `p`:
//! - `p:call:<id>`: one active call's state (provider-defined JSON);
//! - `p:index`: `[[id, lastSeenMs], …]` of active calls, least recently seen first; entries idle
//!   longer than [`CALL_TTL_MS`], and the stalest beyond [`ACTIVE_KEEP`], are purged (and their call
//!   keys deleted) whenever a webhook saves, so abandoned calls do not pile up. (A list, not a map:
//!   it reuses the `done` list's code, which saves wasm size.)
//! - `p:done`: the last [`DONE_KEEP`] finished call ids with their finish time, so that a late or
//!   repeated delivery for a finished call is recognised and ignored instead of starting a new call.
//!
//! Usage in a provider's webhook handler: read [`CallStore::keys`] through the host, then
//! [`CallStore::load`] from what came back, and write what [`CallStore::save`] or
//! [`CallStore::finish`] returns.

use crate::host::Stored;
pub use crate::host::Writes;
use crate::json::{self, FromJson};
use serde::Serialize;
use serde_json::Value;

/// How long an active call may stay silent before its state is dropped (6 hours).
pub const CALL_TTL_MS: f64 = 6.0 * 3600.0 * 1000.0;
/// How many finished call ids are remembered for de-duplication.
pub const DONE_KEEP: usize = 200;
/// The most active calls tracked at once; the stalest are dropped beyond it.
pub const ACTIVE_KEEP: usize = 500;

/// The state store for one provider.
#[derive(Clone, Copy, Debug)]
pub struct CallStore {
    prefix: &'static str,
}

/// What storage held for one call when a webhook arrived.
#[derive(Debug)]
pub struct Loaded<T> {
    /// The call's state, if it is active.
    pub state: Option<T>,
    /// Whether the call already finished (a late or repeated delivery).
    pub finished: bool,
    index: Vec<(String, f64)>,
    done: Vec<(String, f64)>,
}

impl CallStore {
    /// A store whose keys start with `prefix` (e.g. `rt`, `ok`).
    pub const fn new(prefix: &'static str) -> CallStore {
        CallStore { prefix }
    }

    fn call_key(&self, id: &str) -> String {
        format!("{}:call:{id}", self.prefix)
    }

    fn index_key(&self) -> String {
        format!("{}:index", self.prefix)
    }

    fn done_key(&self) -> String {
        format!("{}:done", self.prefix)
    }

    /// The keys to read before handling a webhook about `id`.
    pub fn keys(&self, id: &str) -> Vec<String> {
        vec![self.call_key(id), self.index_key(), self.done_key()]
    }

    /// Reads the call's state from what the host read. A state older than the TTL counts as absent.
    pub fn load<T: FromJson>(&self, id: &str, stored: &Stored, now_ms: f64) -> Loaded<T> {
        let index = stamped_ids(stored.get(&self.index_key()));
        let done = stamped_ids(stored.get(&self.done_key()));
        let fresh = index
            .iter()
            .find(|(i, _)| i == id)
            .is_none_or(|(_, seen)| now_ms - seen < CALL_TTL_MS);
        let state = stored
            .get(&self.call_key(id))
            .filter(|_| fresh)
            .and_then(|s| json::parse(s).ok())
            .and_then(T::from_json);
        Loaded {
            state,
            finished: done.iter().any(|(d, _)| d == id),
            index,
            done,
        }
    }

    /// Writes the call's state, refreshes the index and purges calls idle past the TTL.
    pub fn save<T: Serialize>(
        &self,
        id: &str,
        state: &T,
        now_ms: f64,
        loaded: &Loaded<T>,
    ) -> Writes {
        let mut index = loaded.index.clone();
        touch(&mut index, id, now_ms);
        let mut writes = self.purge(&mut index, now_ms);
        writes.push((self.call_key(id), serde_json::to_string(state).ok()));
        writes.push((self.index_key(), serde_json::to_string(&index).ok()));
        writes
    }

    /// Forgets the call's state and remembers it as finished (bounded list).
    pub fn finish<T>(&self, id: &str, now_ms: f64, loaded: &Loaded<T>) -> Writes {
        let mut index = loaded.index.clone();
        index.retain(|(i, _)| i != id);
        let mut writes = self.purge(&mut index, now_ms);
        let mut done = loaded.done.clone();
        remember_done(&mut done, id, now_ms);
        writes.push((self.call_key(id), None));
        writes.push((self.index_key(), serde_json::to_string(&index).ok()));
        writes.push((self.done_key(), serde_json::to_string(&done).ok()));
        writes
    }

    /// Drops index entries idle past the TTL (and the stalest beyond [`ACTIVE_KEEP`]), deleting
    /// their call keys. The index is kept oldest first: [`CallStore::save`] appends.
    fn purge(&self, index: &mut Vec<(String, f64)>, now_ms: f64) -> Writes {
        let mut writes = Writes::new();
        let mut live = index.len();
        index.retain(|(id, seen)| {
            let keep = now_ms - *seen < CALL_TTL_MS && live <= ACTIVE_KEEP;
            if !keep {
                live -= 1;
                writes.push((self.call_key(id), None));
            }
            keep
        });
        writes
    }
}

/// Reads a stored `[[id, ms], …]` list; anything else counts as empty (as it did with serde).
fn stamped_ids(text: Option<&str>) -> Vec<(String, f64)> {
    let item = |x: &Value| match x.as_array().map(Vec::as_slice) {
        Some([Value::String(id), ms]) => Some((id.clone(), ms.as_f64()?)),
        _ => None,
    };
    text.and_then(|s| json::parse(s).ok())
        .and_then(|v| v.as_array()?.iter().map(item).collect())
        .unwrap_or_default()
}

/// Moves `id` to the end of an oldest-first list, stamped `now_ms`.
fn touch(list: &mut Vec<(String, f64)>, id: &str, now_ms: f64) {
    list.retain(|(i, _)| i != id);
    list.push((id.to_string(), now_ms));
}

/// Records `id` as finished at `now_ms`, keeping only the last [`DONE_KEEP`] ids.
fn remember_done(done: &mut Vec<(String, f64)>, id: &str, now_ms: f64) {
    touch(done, id, now_ms);
    if done.len() > DONE_KEEP {
        let excess = done.len() - DONE_KEEP;
        done.drain(..excess);
    }
}

/// Several calls' state at once, for a webhook that carries messages about more than one call or
/// settles other calls on the way (e.g. Oktell's batched CRM pushes): load once, change in memory,
/// then write everything with [`Batch::writes`].
#[derive(Debug)]
pub struct Batch<T> {
    store: CallStore,
    calls: Vec<(String, Option<T>)>,
    changed: Vec<String>,
    index: Vec<(String, f64)>,
    done: Vec<(String, f64)>,
    done_changed: bool,
}

impl CallStore {
    /// The keys to read before handling a webhook about all of `ids`.
    pub fn batch_keys(&self, ids: &[String]) -> Vec<String> {
        let mut keys: Vec<String> = ids.iter().map(|id| self.call_key(id)).collect();
        keys.push(self.index_key());
        keys.push(self.done_key());
        keys
    }

    /// Reads the state of every call in `ids` (a state idle past the TTL counts as absent).
    pub fn load_batch<T: FromJson>(
        &self,
        ids: &[String],
        stored: &Stored,
        now_ms: f64,
    ) -> Batch<T> {
        let mut batch = Batch {
            store: *self,
            calls: Vec::new(),
            changed: Vec::new(),
            index: Vec::new(),
            done: Vec::new(),
            done_changed: false,
        };
        for id in ids {
            let loaded: Loaded<T> = self.load(id, stored, now_ms);
            batch.calls.push((id.clone(), loaded.state));
            batch.index = loaded.index;
            batch.done = loaded.done;
        }
        if ids.is_empty() {
            let loaded: Loaded<T> = self.load("", stored, now_ms);
            batch.index = loaded.index;
            batch.done = loaded.done;
        }
        batch
    }
}

impl<T: Serialize> Batch<T> {
    /// The call's current state, if it is active.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.calls
            .iter()
            .find(|(c, _)| c == id)
            .and_then(|(_, s)| s.as_ref())
    }

    fn set(&mut self, id: &str, state: Option<T>) {
        match self.calls.iter_mut().find(|(c, _)| c == id) {
            Some(slot) => slot.1 = state,
            None => self.calls.push((id.to_string(), state)),
        }
        if !self.changed.iter().any(|c| c == id) {
            self.changed.push(id.to_string());
        }
    }

    /// Whether the call already finished (a late or repeated delivery).
    pub fn is_finished(&self, id: &str) -> bool {
        self.done.iter().any(|(d, _)| d == id)
    }

    /// Sets the call's state and marks it seen now.
    pub fn save(&mut self, id: &str, state: T, now_ms: f64) {
        touch(&mut self.index, id, now_ms);
        self.set(id, Some(state));
    }

    /// Forgets the call's state and remembers it as finished (bounded list).
    pub fn finish(&mut self, id: &str, now_ms: f64) {
        self.index.retain(|(i, _)| i != id);
        self.set(id, None);
        remember_done(&mut self.done, id, now_ms);
        self.done_changed = true;
    }

    /// The storage writes for every change, plus the purge of calls idle past the TTL.
    pub fn writes(mut self, now_ms: f64) -> Writes {
        if self.changed.is_empty() && !self.done_changed {
            return Writes::new();
        }
        let mut writes = self.store.purge(&mut self.index, now_ms);
        for id in &self.changed {
            let value = self.get(id);
            writes.push((
                self.store.call_key(id),
                value.and_then(|v| serde_json::to_string(v).ok()),
            ));
        }
        writes.push((
            self.store.index_key(),
            serde_json::to_string(&self.index).ok(),
        ));
        if self.done_changed {
            writes.push((
                self.store.done_key(),
                serde_json::to_string(&self.done).ok(),
            ));
        }
        writes
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

    fn input_from(storage: &BTreeMap<String, String>, keys: &[String]) -> Stored {
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

    #[test]
    fn state_round_trips_and_finish_marks_the_call_done() {
        let mut storage = BTreeMap::new();
        let keys = STORE.keys("c1");
        let loaded: Loaded<u32> = STORE.load("c1", &input_from(&storage, &keys), 0.0);
        assert!(loaded.state.is_none() && !loaded.finished);
        apply(&mut storage, STORE.save("c1", &7u32, 1.0, &loaded));
        let loaded: Loaded<u32> = STORE.load("c1", &input_from(&storage, &keys), 2.0);
        assert_eq!(loaded.state, Some(7));
        apply(&mut storage, STORE.finish("c1", 3.0, &loaded));
        let loaded: Loaded<u32> = STORE.load("c1", &input_from(&storage, &keys), 4.0);
        assert!(loaded.state.is_none() && loaded.finished);
        assert!(!storage.contains_key("t:call:c1"));
    }

    #[test]
    fn idle_calls_expire_and_are_purged() {
        let mut storage = BTreeMap::new();
        let loaded: Loaded<u32> = STORE.load("old", &input_from(&storage, &STORE.keys("old")), 0.0);
        apply(&mut storage, STORE.save("old", &1u32, 0.0, &loaded));
        let later = CALL_TTL_MS + 1.0;
        let loaded: Loaded<u32> =
            STORE.load("old", &input_from(&storage, &STORE.keys("old")), later);
        assert!(loaded.state.is_none(), "expired state must not be used");
        let loaded: Loaded<u32> =
            STORE.load("new", &input_from(&storage, &STORE.keys("new")), later);
        apply(&mut storage, STORE.save("new", &2u32, later, &loaded));
        assert!(!storage.contains_key("t:call:old"));
        assert!(!storage["t:index"].contains("old"));
    }

    #[test]
    fn active_calls_are_bounded_and_the_stalest_go_first() {
        let mut storage = BTreeMap::new();
        for i in 0..(ACTIVE_KEEP + 3) {
            let id = format!("a{i}");
            let loaded: Loaded<u32> =
                STORE.load(&id, &input_from(&storage, &STORE.keys(&id)), i as f64);
            apply(&mut storage, STORE.save(&id, &1u32, i as f64, &loaded));
        }
        let index: Vec<(String, f64)> = serde_json::from_str(&storage["t:index"]).unwrap();
        assert_eq!(index.len(), ACTIVE_KEEP);
        assert_eq!(index[0].0, "a3");
        assert!(!storage.contains_key("t:call:a2") && storage.contains_key("t:call:a3"));
    }

    #[test]
    fn batch_handles_several_calls_and_finishes_one_it_did_not_load() {
        let mut storage = BTreeMap::new();
        let ids = vec!["a".to_string(), "b".to_string()];
        let input = input_from(&storage, &STORE.batch_keys(&ids));
        let mut batch: Batch<u32> = STORE.load_batch(&ids, &input, 0.0);
        batch.save("a", 1, 0.0);
        batch.save("b", 2, 0.0);
        apply(&mut storage, batch.writes(0.0));
        let only_a = vec!["a".to_string()];
        let input = input_from(&storage, &STORE.batch_keys(&only_a));
        let mut batch: Batch<u32> = STORE.load_batch(&only_a, &input, 1.0);
        assert_eq!(batch.get("a"), Some(&1));
        batch.finish("b", 1.0);
        assert!(batch.is_finished("b") && !batch.is_finished("a"));
        apply(&mut storage, batch.writes(1.0));
        assert!(!storage.contains_key("t:call:b"));
        assert_eq!(storage["t:call:a"], "1");
        let loaded: Loaded<u32> = STORE.load("b", &input_from(&storage, &STORE.keys("b")), 2.0);
        assert!(loaded.finished && loaded.state.is_none());
    }

    #[test]
    fn an_unchanged_batch_writes_nothing() {
        let storage = BTreeMap::new();
        let ids = vec!["a".to_string()];
        let batch: Batch<u32> =
            STORE.load_batch(&ids, &input_from(&storage, &STORE.batch_keys(&ids)), 0.0);
        assert!(batch.writes(0.0).is_empty());
    }

    #[test]
    fn done_list_is_bounded() {
        let mut storage = BTreeMap::new();
        for i in 0..(DONE_KEEP + 20) {
            let id = format!("c{i}");
            let loaded: Loaded<u32> =
                STORE.load(&id, &input_from(&storage, &STORE.keys(&id)), i as f64);
            apply(&mut storage, STORE.finish(&id, i as f64, &loaded));
        }
        let done: Vec<(String, f64)> = serde_json::from_str(&storage["t:done"]).unwrap();
        assert_eq!(done.len(), DONE_KEEP);
        assert_eq!(done[0].0, "c20");
    }
}
