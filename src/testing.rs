//! Test support that needs the engine (native builds only): [`run_native`] runs one contract call
//! to its end on a [`Scripted`] host, as the shim would call it. It sits above the engine, so that
//! nothing below the engine needs it; the scripted host itself is the host layer's.

use crate::host::Scripted;
use crate::http::{HttpRequest, Outcome};
use std::collections::BTreeMap;

/// Runs one contract call to completion on a [`Scripted`] host: `respond` answers each fetch,
/// `storage` is the storage. Returns the result, or the error message the shim would throw.
/// Messages are in English unless the settings set `language` (the module's default is Russian).
pub fn run_native(
    settings_json: &str,
    op: &crate::contract::Op,
    storage: &mut BTreeMap<String, String>,
    now_ms: f64,
    respond: impl FnMut(&HttpRequest) -> Outcome,
) -> Result<serde_json::Value, String> {
    let host = Scripted::new(storage, now_ms, respond);
    let op = serde_json::to_string(op).unwrap_or_default();
    let mut json = crate::json::parse(settings_json).unwrap_or_default();
    if let Some(map) = json.as_object_mut() {
        map.entry("language").or_insert("en".into());
    }
    let settings = crate::settings::Read::from_json(&json.to_string());
    let result = pollster::block_on(crate::engine::call(&settings, &op, None, &host));
    result
        .map(|text| crate::json::parse(&text).unwrap_or(serde_json::Value::Null))
        .map_err(|e| e.message)
}
