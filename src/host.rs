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
    /// Resolves after about `ms` milliseconds with `true`; at once with `false` when the host has
    /// no timer.
    async fn sleep(&self, ms: u32) -> bool;
    /// Asks ELMA365's CRM data (an app search, a user) through the shim, JSON text both ways (see
    /// [`crate::crm`]); `Err` means the host adapter itself failed.
    async fn crm(&self, request: &str) -> Result<String, String>;
    /// A random number, distinct between requests and instances with high probability: it tells
    /// one request's claim on a call from another's (see [`crate::callstore`]).
    fn nonce(&self) -> u64;
}

/// A future on the heap (the caller lookup's futures are boxed: see `crm`).
pub type Boxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// Performs `request`; a failure of the host adapter itself is the module's fault, not the network's.
pub async fn fetch<H: Host>(host: &H, request: &HttpRequest) -> Result<Outcome, VoipError> {
    host.fetch(request)
        .await
        .map_err(|e| VoipError::module(crate::i18n::Text::raw(e)))
}

/// Reads `keys`, classifying a storage failure.
pub async fn read<H: Host>(host: &H, keys: &[String]) -> Result<Stored, VoipError> {
    host.read(keys)
        .await
        .map_err(|e| VoipError::storage(false, &e))
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
        .map_err(|e| VoipError::storage(true, &e))
}

/// The storage failures one webhook request met. A webhook never gives up on a failed read or
/// write: it goes on as if nothing was stored (or nothing could be kept), still hands the current
/// request's event and record to ELMA365, answers the PBX, and says what failed in its answer.
///
/// It also carries a best-effort line (the webhook's health trace, see `crate::health`) on the
/// request's first write, so that the line costs no storage call of its own: [`Notes::carrying`]
/// sets it, [`Notes::flush`] writes it alone when no write took it.
#[derive(Debug, Default)]
pub struct Notes {
    failures: Vec<String>,
    read_failed: bool,
    carried: Option<(String, Option<String>)>,
}

impl Notes {
    /// Notes that carry `line` under `key` on the first write.
    pub fn carrying(key: &str, line: String) -> Notes {
        Notes {
            carried: Some((key.to_string(), Some(line))),
            ..Notes::default()
        }
    }

    /// Writes the carried line if no write took it (best effort: a failure is ignored).
    pub async fn flush<H: Host>(&mut self, host: &H) {
        if let Some(line) = self.carried.take() {
            let _ = write(host, &[line]).await;
        }
    }

    /// Reads `keys`; on a failure notes it and returns `None`.
    pub async fn read<H: Host>(&mut self, host: &H, keys: &[String]) -> Option<Stored> {
        match read(host, keys).await {
            Ok(stored) => Some(stored),
            Err(e) => {
                self.note(e);
                self.read_failed = true;
                None
            }
        }
    }

    /// Reads `keys`; on a failure notes it and goes on as if nothing was stored.
    pub async fn read_or_empty<H: Host>(&mut self, host: &H, keys: &[String]) -> Stored {
        self.read(host, keys).await.unwrap_or_default()
    }

    /// Performs `writes`, and the carried line after them (on the first write only), unless a read
    /// failed before (what was not read must not be overwritten with state made up without it);
    /// on a failure notes it. Whether they were written.
    pub async fn write<H: Host>(&mut self, host: &H, mut writes: Writes) -> bool {
        if self.read_failed {
            return false;
        }
        writes.extend(self.carried.take());
        match write(host, &writes).await {
            Ok(()) => true,
            Err(e) => {
                self.note(e);
                false
            }
        }
    }

    fn note(&mut self, e: VoipError) {
        let text = e.to_string();
        if !self.failures.contains(&text) {
            self.failures.push(text);
        }
    }

    /// Whether anything failed.
    pub fn failed(&self) -> bool {
        !self.failures.is_empty()
    }

    /// What failed, for the PBX's answer and the log, if anything did, with the settings' secrets
    /// masked (a storage's error text is foreign, and could quote anything).
    pub fn warning(&self, s: &crate::settings::Settings) -> Option<String> {
        if self.failures.is_empty() {
            return None;
        }
        let text = format!(
            "Warning: this request's event and call record were still handed to ELMA365, but {} A repeated delivery of it may not be recognised.",
            self.failures.join(" ")
        );
        Some(crate::error::scrub(&text, &s.secrets()))
    }
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
    /// The next nonce.
    pub nonce: std::cell::Cell<u64>,
    /// Answers each CRM question (`None`: it never answers); without it every app is unbound.
    #[allow(clippy::type_complexity)]
    pub crm:
        std::cell::RefCell<Option<Box<dyn FnMut(&serde_json::Value) -> Option<serde_json::Value>>>>,
}

#[cfg(not(target_arch = "wasm32"))]
impl<'a, F: FnMut(&HttpRequest) -> Outcome> Scripted<'a, F> {
    /// A scripted host over `storage`, at `now_ms`, whose fetch `respond` answers.
    pub fn new(storage: &'a mut BTreeMap<String, String>, now_ms: f64, respond: F) -> Self {
        Scripted {
            storage: std::cell::RefCell::new(storage),
            respond: std::cell::RefCell::new(respond),
            now_ms,
            nonce: std::cell::Cell::new(1),
            crm: std::cell::RefCell::new(None),
        }
    }

    /// The same host, whose CRM questions `crm` answers.
    pub fn with_crm(
        self,
        crm: impl FnMut(&serde_json::Value) -> Option<serde_json::Value> + 'static,
    ) -> Self {
        *self.crm.borrow_mut() = Some(Box::new(crm));
        self
    }
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

    async fn sleep(&self, _ms: u32) -> bool {
        true
    }

    async fn crm(&self, request: &str) -> Result<String, String> {
        let request = crate::json::parse(request)?;
        let answer = match self.crm.borrow_mut().as_mut() {
            Some(answer) => answer(&request),
            None => Some(serde_json::json!({"unbound": true})),
        };
        match answer {
            Some(v) => Ok(v.to_string()),
            None => std::future::pending().await,
        }
    }

    fn nonce(&self) -> u64 {
        let n = self.nonce.get();
        self.nonce.set(n.wrapping_add(1));
        n
    }
}
