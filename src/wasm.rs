//! The only `#[wasm_bindgen]` surface: thin wrappers that move JSON strings across the boundary.
//! The TypeScript types of what those strings hold are the `tsify` declarations in the `.d.ts`.

use crate::engine;
use wasm_bindgen::prelude::*;

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| String::from("{}"))
}

/// Starts a contract call: `settings` is `Namespace.params.data` as JSON, `op` an `Op` as JSON.
/// Returns a `WireStep` as JSON.
#[wasm_bindgen]
pub fn start(settings: &str, op: &str, now_ms: f64) -> String {
    json(&engine::start(settings, op, now_ms))
}

/// Advances a contract call with the opaque `state` of the previous step and an `Input` as JSON.
/// Returns a `WireStep` as JSON.
#[wasm_bindgen]
pub fn resume(settings: &str, state: &str, input: &str, now_ms: f64) -> String {
    json(&engine::resume(settings, state, input, now_ms))
}

/// The settings field table (code, kind, scope, label, help, required, default, example, choices) as JSON.
#[wasm_bindgen(js_name = settingsSchema)]
pub fn settings_schema() -> String {
    json(&crate::settings::FIELDS)
}

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}
