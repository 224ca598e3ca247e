//! The only `#[wasm_bindgen]` surface: one async export per call over the shim's host object,
//! plus the settings table and the version. Values cross as JSON text, one crossing per host call.
//!
//! The host object is reached structurally (method calls by name, no `instanceof`/`dyn_into`):
//! in a `node:vm` host it belongs to another realm. A host method may answer at once (a string)
//! or with a promise (anything with `then`).

use crate::engine;
use crate::host::{Host, Stored};
use crate::http::{HttpRequest, Outcome};
use crate::json;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The shim's host: `fetch(request)`, `read(keys)`, `write(writes)` (JSON text in, JSON
    /// text or a promise of it out), `now()`, and `panic(message)`.
    pub type JsHost;
    #[wasm_bindgen(method, structural)]
    fn fetch(this: &JsHost, request: &str) -> JsValue;
    #[wasm_bindgen(method, structural)]
    fn read(this: &JsHost, keys: &str) -> JsValue;
    #[wasm_bindgen(method, structural)]
    fn write(this: &JsHost, writes: &str) -> JsValue;
    #[wasm_bindgen(method, structural)]
    fn now(this: &JsHost) -> f64;
    #[wasm_bindgen(method, structural)]
    fn panic(this: &JsHost, message: &str);
}

thread_local! {
    /// The host told about a panic (any host of this instance will do: they are the shim's).
    static PANIC_SINK: RefCell<Option<JsHost>> = const { RefCell::new(None) };
    /// The settings of the latest call, so that a panic's message is scrubbed of their secrets.
    static SETTINGS: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A panic's message as the shim may show it: secrets masked, cut to a few hundred characters.
fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    let text = info.to_string();
    let settings = SETTINGS.with(|s| s.try_borrow().map(|s| s.clone()).unwrap_or_default());
    let text = match crate::settings::Settings::from_json(&settings) {
        Ok(s) => crate::error::scrub(&text, &s.secrets()),
        Err(_) => text,
    };
    crate::http::snippet(&text, 400)
}

/// Hands every panic's message to the shim before the wasm traps, so the shim can reject the
/// calls in flight (their promises would otherwise never settle) and load a fresh instance.
fn install_panic_hook(host: &JsHost) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = panic_message(info);
            PANIC_SINK.with(|sink| {
                if let Ok(sink) = sink.try_borrow() {
                    if let Some(host) = sink.as_ref() {
                        host.panic(&message);
                    }
                }
            });
        }));
    });
    PANIC_SINK.with(|sink| {
        if let Ok(mut sink) = sink.try_borrow_mut() {
            if sink.is_none() {
                *sink = Some((**host).clone().unchecked_into());
            }
        }
    });
}

/// Waits for a host method's answer: a value at once, or a promise of one.
async fn settle(v: JsValue) -> Result<JsValue, String> {
    if v.is_string() || v.is_undefined() || v.is_null() {
        return Ok(v);
    }
    wasm_bindgen_futures::JsFuture::from(v.unchecked_into::<js_sys::Promise>())
        .await
        .map_err(|e| {
            e.as_string()
                .unwrap_or_else(|| "the host failed without saying why".into())
        })
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

struct Shim(JsHost);

impl Host for Shim {
    async fn fetch(&self, request: &HttpRequest) -> Result<Outcome, String> {
        let answer = settle(self.0.fetch(&to_json(request))).await?;
        let text = answer
            .as_string()
            .ok_or("the shim's fetch adapter answered with something other than text")?;
        json::parse(&text)
            .and_then(|v| Outcome::from_value(&v))
            .map_err(|e| format!("the shim's fetch adapter answered malformed JSON: {e}"))
    }

    async fn read(&self, keys: &[String]) -> Result<Stored, String> {
        let answer = settle(self.0.read(&to_json(keys))).await?;
        let values = answer
            .as_string()
            .and_then(|text| json::parse(&text).ok())
            .and_then(|v| match v {
                serde_json::Value::Array(items) => Some(items),
                _ => None,
            })
            .filter(|items| items.len() == keys.len())
            .ok_or("the shim's storage adapter answered malformed JSON")?;
        let values = keys
            .iter()
            .cloned()
            .zip(values.into_iter().map(|v| match v {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            }))
            .collect();
        Ok(Stored { values })
    }

    async fn write(&self, writes: &[(String, Option<String>)]) -> Result<(), String> {
        settle(self.0.write(&to_json(writes))).await.map(|_| ())
    }

    fn now_ms(&self) -> f64 {
        self.0.now()
    }
}

/// Runs one contract call: `settings` is `Namespace.params.data` as JSON, `op` an `Op` as JSON,
/// `host` the shim's host object. Resolves to `{"result": …}` or `{"error": {kind, message}}`.
#[wasm_bindgen]
pub async fn call(settings: String, op: String, host: JsHost) -> String {
    install_panic_hook(&host);
    SETTINGS.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            s.clone_from(&settings);
        }
    });
    let host = Shim(host);
    #[cfg(feature = "panic-test")]
    if op.contains("\"deliberatePanic\"") {
        // Test builds only: a panic inside the executor, after an await, as a real bug would be.
        let _ = host.read(&[]).await;
        panic!("a deliberate panic for the test ({op})");
    }
    match engine::call(&settings, &op, &host).await {
        Ok(result) => format!("{{\"result\":{result}}}"),
        Err(error) => format!("{{\"error\":{}}}", to_json(&error)),
    }
}

/// The settings field table (code, kind, scope, label, help, required, default, example, choices) as JSON.
#[wasm_bindgen(js_name = settingsSchema)]
pub fn settings_schema() -> String {
    to_json(&crate::settings::FIELDS)
}

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}
