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
use crate::settings::Read;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The allocator: talc's wasm configuration (single-threaded: no atomics in this build).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen]
extern "C" {
    /// The shim's host: `fetch(request)` (JSON text in, JSON text or a promise of it out),
    /// `read(keys)` and `write(writes)` (NUL-separated text, see [`SEP`]), `now()`, `sleep(ms)` (a
    /// promise), `nonce()` (a random whole number), `crm(request)` (JSON text in, JSON text or a
    /// promise of it out), and `panic(message)`.
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
    fn sleep(this: &JsHost, ms: u32) -> JsValue;
    #[wasm_bindgen(method, structural)]
    fn nonce(this: &JsHost) -> f64;
    #[wasm_bindgen(method, structural)]
    fn crm(this: &JsHost, request: &str) -> JsValue;
    #[wasm_bindgen(method, structural)]
    fn panic(this: &JsHost, message: &str);
}

thread_local! {
    /// The host told about a panic (any host of this instance will do: they are the shim's).
    static PANIC_SINK: RefCell<Option<JsHost>> = const { RefCell::new(None) };
    /// The latest settings, as JSON and as read: read again only when they change. A panic's
    /// message is scrubbed of their secrets.
    static SETTINGS: RefCell<Option<(String, Rc<Read>)>> = const { RefCell::new(None) };
}

/// The settings read from `json`, from the cache while they are unchanged.
fn settings(json: String) -> Rc<Read> {
    SETTINGS.with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return Rc::new(Read::from_json(&json));
        };
        match cache.as_ref() {
            Some((text, read)) if *text == json => Rc::clone(read),
            _ => {
                let read = Rc::new(Read::from_json(&json));
                *cache = Some((json, Rc::clone(&read)));
                read
            }
        }
    })
}

/// A panic's message as the shim may show it: secrets masked, cut to a few hundred characters.
fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    let text = info.to_string();
    let text = SETTINGS.with(|cache| match cache.try_borrow().as_deref() {
        Ok(Some((_, read))) => match &read.settings {
            Ok(s) => crate::error::scrub(&text, &s.secrets()),
            Err(_) => text.clone(),
        },
        _ => text.clone(),
    });
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

/// Separates keys and values in the storage calls: the module's keys and the JSON it stores never
/// hold a raw NUL, so nothing is escaped on the way (a value that does hold one is refused by the shim).
const SEP: &str = "\u{0}";
/// Stands for an absent value.
const ABSENT: &str = "\u{1}";

/// Splits the shim's answer to `read` into `n` values (`ABSENT` is `None`).
fn unframe(text: &str, n: usize) -> Option<Vec<Option<String>>> {
    let values: Vec<Option<String>> = text
        .split(SEP)
        .map(|v| (v != ABSENT).then(|| v.to_string()))
        .collect();
    (values.len() == n).then_some(values)
}

struct Shim(JsHost);

impl Host for Shim {
    async fn fetch(&self, request: &HttpRequest) -> Result<Outcome, String> {
        let answer = settle(self.0.fetch(&crate::contract::value(request))).await?;
        let text = answer
            .as_string()
            .ok_or("the shim's fetch adapter answered with something other than text")?;
        json::parse(&text)
            .and_then(|v| Outcome::from_value(&v))
            .map_err(|e| format!("the shim's fetch adapter answered malformed JSON: {e}"))
    }

    async fn read(&self, keys: &[String]) -> Result<Stored, String> {
        if keys.is_empty() {
            return Ok(Stored::default());
        }
        let answer = settle(self.0.read(&keys.join(SEP))).await?;
        let text = answer
            .as_string()
            .ok_or("the shim's storage adapter answered with something other than text")?;
        let values = unframe(&text, keys.len())
            .ok_or("the shim's storage adapter answered with the wrong number of values")?;
        // An insert loop, not `collect()`: collecting into a BTreeMap sorts first and pulls std's
        // stable sort into the wasm (4.5 KB raw; see ARCHITECTURE.md).
        let mut stored = Stored::default();
        for (k, v) in keys.iter().cloned().zip(values) {
            stored.values.insert(k, v);
        }
        Ok(stored)
    }

    async fn write(&self, writes: &[(String, Option<String>)]) -> Result<(), String> {
        let framed = |t: &str| !t.contains(SEP) && t != ABSENT;
        if !writes
            .iter()
            .all(|(k, v)| framed(k) && v.as_deref().is_none_or(framed))
        {
            return Err("a storage key or value holds a NUL character".into());
        }
        let mut text = String::new();
        for (i, (key, value)) in writes.iter().enumerate() {
            if i > 0 {
                text.push_str(SEP);
            }
            text.push_str(key);
            text.push_str(SEP);
            text.push_str(value.as_deref().unwrap_or(ABSENT));
        }
        settle(self.0.write(&text)).await.map(|_| ())
    }

    fn now_ms(&self) -> f64 {
        self.0.now()
    }

    async fn sleep(&self, ms: u32) -> bool {
        // The shim answers "none" at once when the host has no timer.
        settle(self.0.sleep(ms))
            .await
            .map_or(true, |v| v.as_string().as_deref() != Some("none"))
    }

    async fn crm(&self, request: &str) -> Result<String, String> {
        settle(self.0.crm(request))
            .await?
            .as_string()
            .ok_or_else(|| "the shim's CRM adapter answered with something other than text".into())
    }

    fn nonce(&self) -> u64 {
        let n = self.0.nonce();
        if n.is_finite() && n >= 1.0 {
            // Whole and below 2^53: exact in the JSON it is stored in.
            (n as u64) & ((1 << 53) - 1)
        } else {
            1
        }
    }
}

/// Runs one contract call: `settings` is `Namespace.params.data` as JSON, `op` an `Op` as JSON,
/// `body` a webhook's raw body (beside the op, so it is not escaped), `host` the shim's host object. Resolves to `{"result": …}` or `{"error": {kind, message}}`.
#[wasm_bindgen]
pub async fn call(settings: String, op: String, body: Option<String>, host: JsHost) -> String {
    install_panic_hook(&host);
    let settings = self::settings(settings);
    let host = Shim(host);
    #[cfg(feature = "panic-test")]
    if op.contains("\"deliberatePanic\"") {
        // Test builds only: a panic inside the executor, after an await, as a real bug would be.
        let _ = host.read(&[]).await;
        panic!("a deliberate panic for the test ({op})");
    }
    // Boxed, so that the engine's state machine is not moved with this one (see engine.rs).
    match Box::pin(engine::call(&settings, &op, body, &host)).await {
        Ok(result) => ["{\"result\":", &result, "}"].concat(),
        Err(error) => format!("{{\"error\":{}}}", crate::contract::value(&error)),
    }
}

/// The settings field table (code, kind, scope, label, help, required, default, example, choices) as JSON.
#[wasm_bindgen(js_name = settingsSchema)]
pub fn settings_schema() -> String {
    crate::contract::value(crate::fields::FIELDS)
}

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}
