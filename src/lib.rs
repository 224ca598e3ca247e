//! # elma365-voip
//!
//! The Rust core of an ELMA365 IP-telephony module for **Oktell** and the **Rostelecom virtual PBX**.
//! It is sans-IO: it builds HTTP requests and parses responses and webhooks as plain values, and the
//! TypeScript shim (`js-glue/`) performs `fetch` and storage for it. See ARCHITECTURE.md.
//!
//! Map of the crate:
//! - [`callstore`]: bounded, expiring per-call state in `Namespace.storage` for webhooks;
//! - [`engine`]: the step protocol (`start`/`resume`) every contract function runs on;
//! - [`contract`]: ELMA365's types (members, events, call records, webhook results);
//! - [`settings`]: the settings field table and validation;
//! - [`http`]: request/response/webhook values and query/form codecs;
//! - [`json`]: reading received JSON by hand (no derived deserializers: smaller wasm);
//! - [`phone`]: the one canonical phone number format;
//! - [`error`]: admin-facing errors and secret scrubbing;
//! - [`oktell`], [`rostelecom`]: one folder per provider;
//! - `wasm` (wasm32 only): the `#[wasm_bindgen]` surface.

pub mod callstore;
pub mod contract;
pub mod engine;
pub mod error;
pub mod http;
pub mod json;
pub mod oktell;
pub mod phone;
pub mod rostelecom;
pub mod settings;

#[cfg(target_arch = "wasm32")]
mod wasm;

/// The crate version, shown in the module script's header and the sandbox.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
