//! The host: the only way the core reaches the world. Every contract function is an `async fn`
//! over a [`Host`], which sends one HTTP request, reads and writes storage, and tells the time. The
//! core never does IO of its own: in wasm the host is the shim's (`src/wasm.rs`); natively it is
//! a [`Scripted`] host driven by [`run_native`], which tests and fuzzers use.

use crate::error::VoipError;
use crate::http::{HttpRequest, Outcome};
use std::collections::BTreeMap;

/// Storage writes: `(key, Some(value))` to set, `(key, None)` to delete.
pub type Writes = Vec<(String, Option<String>)>;

/// What storage held for the keys one read asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// Each key read, with its value (`None` when absent).
    pub values: BTreeMap<String, Option<String>>,
}

impl Stored {
    /// A stored value, treating `""` as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .and_then(|v| v.as_deref())
            .filter(|v| !v.is_empty())
    }
}

/// What the core needs from its host. The futures are awaited one at a time.
#[allow(async_fn_in_trait)] // single-threaded by design: no Send bounds are wanted
pub trait Host {
    /// Performs `request` under its `timeout_ms`. A request that got no HTTP response comes back
    /// as [`Outcome::Failure`]; `Err` means the host adapter itself failed (a fault of the module).
    async fn fetch(&self, request: &HttpRequest) -> Result<Outcome, String>;
    /// Reads `keys` from storage in one go; `Err` carries the storage's own error text.
    async fn read(&self, keys: &[String]) -> Result<Stored, String>;
    /// Performs `writes` in order; `Err` carries the storage's own error text.
    async fn write(&self, writes: &[(String, Option<String>)]) -> Result<(), String>;
    /// The time, in milliseconds since the epoch.
    fn now_ms(&self) -> f64;
}

/// Performs `request`; a failure of the host adapter itself is the module's fault, not the network's.
pub async fn fetch<H: Host>(host: &H, request: &HttpRequest) -> Result<Outcome, VoipError> {
    host.fetch(request)
        .await
        .map_err(|detail| VoipError::Module { detail })
}

/// Reads `keys`, classifying a storage failure.
pub async fn read<H: Host>(host: &H, keys: &[String]) -> Result<Stored, VoipError> {
    host.read(keys)
        .await
        .map_err(|e| VoipError::storage("read", &e))
}

/// Performs `writes` (nothing when empty), classifying a storage failure.
pub async fn write<H: Host>(
    host: &H,
    writes: &[(String, Option<String>)],
) -> Result<(), VoipError> {
    if writes.is_empty() {
        return Ok(());
    }
    host.write(writes)
        .await
        .map_err(|e| VoipError::storage("write", &e))
}

/// A host for native tests and fuzzers: an in-memory storage map and a scripted `fetch`.
#[cfg(not(target_arch = "wasm32"))]
pub struct Scripted<'a, F: FnMut(&HttpRequest) -> Outcome> {
    /// The storage.
    pub storage: std::cell::RefCell<&'a mut BTreeMap<String, String>>,
    /// Answers each request.
    pub respond: std::cell::RefCell<F>,
    /// The clock.
    pub now_ms: f64,
}

#[cfg(not(target_arch = "wasm32"))]
impl<F: FnMut(&HttpRequest) -> Outcome> Host for Scripted<'_, F> {
    async fn fetch(&self, request: &HttpRequest) -> Result<Outcome, String> {
        Ok((self.respond.borrow_mut())(request))
    }

    async fn read(&self, keys: &[String]) -> Result<Stored, String> {
        let storage = self.storage.borrow();
        let values = keys
            .iter()
            .map(|k| (k.clone(), storage.get(k).cloned()))
            .collect();
        Ok(Stored { values })
    }

    async fn write(&self, writes: &[(String, Option<String>)]) -> Result<(), String> {
        let mut storage = self.storage.borrow_mut();
        for (k, v) in writes {
            match v {
                Some(v) => storage.insert(k.clone(), v.clone()),
                None => storage.remove(k),
            };
        }
        Ok(())
    }

    fn now_ms(&self) -> f64 {
        self.now_ms
    }
}

/// Runs one contract call to completion on a [`Scripted`] host: `respond` answers each fetch,
/// `storage` is the storage. Returns the result, or the error message the shim would throw.
#[cfg(not(target_arch = "wasm32"))]
pub fn run_native(
    settings_json: &str,
    op: &crate::engine::Op,
    storage: &mut BTreeMap<String, String>,
    now_ms: f64,
    respond: impl FnMut(&HttpRequest) -> Outcome,
) -> Result<serde_json::Value, String> {
    let host = Scripted {
        storage: std::cell::RefCell::new(storage),
        respond: std::cell::RefCell::new(respond),
        now_ms,
    };
    let op = serde_json::to_string(op).unwrap_or_default();
    let settings = crate::settings::Settings::from_json(settings_json);
    let result = pollster::block_on(crate::engine::call(&settings, &op, None, &host));
    result
        .map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
        .map_err(|e| e.message)
}
