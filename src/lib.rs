//! # elma365-voip
//!
//! The Rust core of an ELMA365 IP-telephony module for **Oktell** and the **Rostelecom virtual PBX**.
//! It does no IO of its own: every contract function is an `async fn` over an injected [`host::Host`]
//! (fetch one request, read and write storage, the clock). In wasm the host is the TypeScript shim's
//! (`js-glue/`); natively, tests and fuzzers drive the same code with a scripted host. See ARCHITECTURE.md.
//!
//! Map of the crate:
//! - [`callstore`]: bounded, expiring per-call state in `Namespace.storage` for webhooks;
//! - [`engine`]: [`engine::call`], the entry point every contract function runs through;
//! - [`health`]: the webhook's health: a trace of its last requests, judged by «Проверить соединение»;
//! - [`host`]: the host trait the core awaits, and the scripted host native tests drive it with;
//! - [`lock`]: per-key locks that serialise read-change-write of storage inside one instance;
//! - [`contract`]: ELMA365's types (members, events, call records, webhook results);
//! - [`settings`]: the settings field table and validation;
//! - [`http`]: request/response/webhook values and query/form codecs;
//! - [`json`]: reading and writing JSON by hand (no derived deserializers, no serde_json writer: smaller wasm);
//! - [`phone`]: the one canonical phone number format;
//! - [`sha`]: SHA-256 (signatures and digests), small rather than fast;
//! - [`b64`]: base64 (Oktell's Basic auth and form posts), as the base64 crate decodes it;
//! - [`error`]: admin-facing errors and secret scrubbing;
//! - [`i18n`]: the one catalogue of admin-facing messages, in Russian and English;
//! - [`oktell`], [`rostelecom`]: one folder per provider;
//! - `wasm` (wasm32 only): the `#[wasm_bindgen]` surface: async exports over the shim's host object.

pub mod b64;
pub mod callstore;
pub mod contract;
pub mod crm;
pub mod engine;
pub mod error;
pub mod fields;
pub mod health;
pub mod host;
pub mod http;
pub mod i18n;
pub mod json;
pub mod lock;
pub mod oktell;
pub mod phone;
pub mod rostelecom;
pub mod settings;
pub mod sha;

#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(test)]
mod tests;

/// The crate version, shown in the module script's header and the sandbox.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
