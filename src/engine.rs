//! The sans-IO driver protocol: every contract function is a small state machine that the shim
//! advances with `start` and `resume` until it yields a result.
//!
//! Each step asks the shim to (in this order) write storage keys (`set`), read storage keys
//! (`get`), perform at most one HTTP request (`fetch`), and then call `resume` with what it got
//! and the opaque `state`. A step with `result` or `error` is final. The core never does IO, never
//! sleeps and never reads a clock: the shim passes `now_ms` in.

use crate::contract::TestResult;
use crate::error::{ErrorOut, VoipError};
use crate::http::{HttpRequest, Outcome, WebhookRequest};
use crate::json::{self, Parsed};
use crate::settings::{Provider, Settings};
use crate::{oktell, rostelecom};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tsify::Tsify;

/// Storage key under which `VoipOnWebhookUpdated` keeps the module's webhook URL.
pub const WEBHOOK_URL_KEY: &str = "voip:webhookUrl";

/// Most steps one contract call may take; a guard against a machine that never finishes.
pub const MAX_STEPS: u32 = 16;

/// A contract function call, as the shim passes it to `start`.
#[derive(Clone, Debug, PartialEq, Serialize, Tsify)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    /// `VoipTestConnection()`.
    TestConnection,
    /// `VoipGetMembers()`.
    GetMembers,
    /// `VoipGenerateCall(src, dst)`.
    GenerateCall {
        /// The employee to ring first.
        src: String,
        /// The client to dial once the employee answers.
        dst: String,
    },
    /// `VoipParseWebhookRequest(request)`.
    ParseWebhook {
        /// The request, normalised by the shim.
        request: WebhookRequest,
    },
    /// `VoipGetCallLink(callData)`.
    GetCallLink {
        /// Exactly what the module put into `callRecord.call`.
        #[serde(rename = "callData", default)]
        #[tsify(type = "unknown")]
        call_data: Value,
    },
    /// `VoipOnWebhookUpdated(url)`.
    OnWebhookUpdated {
        /// The module's webhook URL.
        #[serde(default)]
        url: String,
    },
}

/// What the shim passes back to `resume`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Tsify)]
pub struct Input {
    /// The outcome of the step's `fetch`, if it asked for one.
    #[serde(default)]
    pub response: Option<Outcome>,
    /// The values of the keys the step asked to `get` (`null` when absent).
    #[serde(default)]
    pub storage: BTreeMap<String, Option<String>>,
}

impl Input {
    /// Reads what the shim passes to `resume`.
    pub fn from_value(v: &Value) -> Parsed<Input> {
        let response = json::field(v, "response")
            .map(Outcome::from_value)
            .transpose()?;
        let mut storage = BTreeMap::new();
        if let Some(map) = json::field(v, "storage") {
            let map = map.as_object().ok_or("field `storage` is not an object")?;
            for (key, value) in map {
                let value = match value {
                    Value::Null => None,
                    Value::String(text) => Some(text.clone()),
                    _ => return Err(format!("the stored value of `{key}` is not a string")),
                };
                storage.insert(key.clone(), value);
            }
        }
        Ok(Input { response, storage })
    }

    /// A stored value, treating `""` as absent.
    pub fn stored(&self, key: &str) -> Option<&str> {
        self.storage
            .get(key)
            .and_then(|v| v.as_deref())
            .filter(|v| !v.is_empty())
    }
}

/// One step of a provider's machine, generic over its task (state) type.
#[derive(Debug)]
pub struct Step<T> {
    /// The state to resume with; `None` on a final step.
    pub task: Option<T>,
    /// The request to perform before resuming.
    pub fetch: Option<HttpRequest>,
    /// Storage keys to read before resuming.
    pub get: Vec<String>,
    /// Storage writes to perform first (`None` deletes).
    pub set: Vec<(String, Option<String>)>,
    /// The final outcome, on a final step.
    pub outcome: Option<Result<Value, VoipError>>,
}

impl<T> Step<T> {
    fn empty() -> Step<T> {
        Step {
            task: None,
            fetch: None,
            get: Vec::new(),
            set: Vec::new(),
            outcome: None,
        }
    }

    /// Perform `request`, then resume with `task`.
    pub fn fetch(task: T, request: HttpRequest) -> Step<T> {
        Step {
            task: Some(task),
            fetch: Some(request),
            ..Step::empty()
        }
    }

    /// Read `keys` from storage, then resume with `task`.
    pub fn read(task: T, keys: Vec<String>) -> Step<T> {
        Step {
            task: Some(task),
            get: keys,
            ..Step::empty()
        }
    }

    /// Finish with a value.
    pub fn done(value: impl Serialize) -> Step<T> {
        Step {
            outcome: Some(Ok(serde_json::to_value(value).unwrap_or(Value::Null))),
            ..Step::empty()
        }
    }

    /// Finish with an error.
    pub fn fail(error: VoipError) -> Step<T> {
        Step {
            outcome: Some(Err(error)),
            ..Step::empty()
        }
    }

    /// Finish with `Ok(value)` or the error.
    pub fn finish<V: Serialize>(result: Result<V, VoipError>) -> Step<T> {
        match result {
            Ok(v) => Step::done(v),
            Err(e) => Step::fail(e),
        }
    }

    /// Also write `key` (or delete it with `None`) before anything else.
    pub fn store(mut self, key: impl Into<String>, value: Option<String>) -> Step<T> {
        self.set.push((key.into(), value));
        self
    }

    /// Wraps the task type (used to lift a provider's step into the engine's).
    pub fn map_task<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        Step {
            task: self.task.map(f),
            fetch: self.fetch,
            get: self.get,
            set: self.set,
            outcome: self.outcome,
        }
    }
}

/// The engine's state between steps: which op runs, and its provider's task.
#[derive(Debug, Serialize)]
struct State {
    /// Which contract function runs (its `Op` tag), to shape the final result.
    op: String,
    /// Steps taken so far.
    n: u32,
    task: Task,
}

#[derive(Debug, Serialize)]
enum Task {
    Oktell(oktell::Task),
    Rostelecom(rostelecom::Task),
}

impl State {
    /// Reads back what [`wire`] wrote.
    fn from_value(v: &Value) -> Parsed<State> {
        let task = json::variant(json::required(v, "task")?)
            .and_then(|(provider, t)| match provider {
                "Oktell" => oktell::Task::from_value(t).map(Task::Oktell),
                "Rostelecom" => rostelecom::Task::from_value(t).map(Task::Rostelecom),
                _ => None,
            })
            .ok_or("field `task` is not a task the core wrote")?;
        Ok(State {
            op: json::string(v, "op")?,
            n: json::uint(v, "n", u32::MAX.into())? as u32,
            task,
        })
    }
}

/// A step as it crosses to JS.
#[derive(Debug, Serialize, Tsify)]
pub struct WireStep {
    /// Opaque state for `resume`; absent on a final step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Request to perform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch: Option<HttpRequest>,
    /// Storage keys to read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub get: Vec<String>,
    /// Storage writes to perform first (`null` deletes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<(String, Option<String>)>,
    /// The final value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(type = "unknown")]
    pub result: Option<Value>,
    /// The final error.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(type = "{ kind: string; message: string }")]
    pub error: Option<ErrorOut>,
}

impl Op {
    /// Reads an op as the shim sends it: `{"op": "<tag>", …fields}`.
    pub fn from_value(v: &Value) -> Parsed<Op> {
        Ok(match json::string(v, "op")?.as_str() {
            "testConnection" => Op::TestConnection,
            "getMembers" => Op::GetMembers,
            "generateCall" => Op::GenerateCall {
                src: json::string(v, "src")?,
                dst: json::string(v, "dst")?,
            },
            "parseWebhook" => Op::ParseWebhook {
                request: WebhookRequest::from_value(json::required(v, "request")?)?,
            },
            "getCallLink" => Op::GetCallLink {
                call_data: v.get("callData").cloned().unwrap_or(Value::Null),
            },
            "onWebhookUpdated" => Op::OnWebhookUpdated {
                url: json::string_or_empty(v, "url")?,
            },
            other => return Err(format!("unknown op «{}»", crate::http::snippet(other, 40))),
        })
    }

    /// The op's wire tag, e.g. `generateCall`.
    pub fn name(&self) -> &'static str {
        op_name(self)
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::TestConnection => "testConnection",
        Op::GetMembers => "getMembers",
        Op::GenerateCall { .. } => "generateCall",
        Op::ParseWebhook { .. } => "parseWebhook",
        Op::GetCallLink { .. } => "getCallLink",
        Op::OnWebhookUpdated { .. } => "onWebhookUpdated",
    }
}

/// Starts a contract call. `settings_json` is `Namespace.params.data`, `op_json` an [`Op`].
pub fn start(settings_json: &str, op_json: &str, now_ms: f64) -> WireStep {
    let op = match json::parse(op_json).and_then(|v| Op::from_value(&v)) {
        Ok(op) => op,
        Err(e) => {
            return wire_error(
                &VoipError::bad_input(format!("The module shim sent an unknown call: {e}")),
                &[],
            )
        }
    };
    let name = op_name(&op);
    if let Op::OnWebhookUpdated { url } = &op {
        // Common to both providers, and independent of the settings: ELMA365 calls it on the first
        // publish too, before the admin has filled anything in.
        let set = vec![(WEBHOOK_URL_KEY.to_string(), Some(url.trim().to_string()))];
        return finish(name, Ok(Value::Null), set, &[]);
    }
    let settings = match Settings::from_json(settings_json) {
        Ok(s) => s,
        Err(e) => return finish(name, Err(e), Vec::new(), &[]),
    };
    let step = match settings.provider {
        Provider::Oktell => oktell::start(op, &settings, now_ms).map_task(Task::Oktell),
        Provider::Rostelecom => rostelecom::start(op, &settings, now_ms).map_task(Task::Rostelecom),
    };
    wire(name, 0, step, &settings)
}

/// Advances a contract call with what the shim got for the previous step.
pub fn resume(settings_json: &str, state: &str, input_json: &str, now_ms: f64) -> WireStep {
    let state = match json::parse(state).and_then(|v| State::from_value(&v)) {
        Ok(s) => s,
        Err(e) => {
            return wire_error(
                &VoipError::bad_input(format!("The module shim lost the call state: {e}")),
                &[],
            )
        }
    };
    let settings = match Settings::from_json(settings_json) {
        Ok(s) => s,
        Err(e) => return finish(&state.op, Err(e), Vec::new(), &[]),
    };
    let input = match json::parse(input_json).and_then(|v| Input::from_value(&v)) {
        Ok(i) => i,
        Err(e) => {
            return wire_error(
                &VoipError::bad_input(format!("The module shim sent a malformed step: {e}")),
                &settings.secrets(),
            )
        }
    };
    if state.n + 1 >= MAX_STEPS {
        let e = VoipError::bad_input(format!(
            "The {} call took more than {MAX_STEPS} steps and was stopped.",
            state.op
        ));
        return finish(&state.op, Err(e), Vec::new(), &settings.secrets());
    }
    let step = match state.task {
        Task::Oktell(t) => oktell::resume(t, input, &settings, now_ms).map_task(Task::Oktell),
        Task::Rostelecom(t) => {
            rostelecom::resume(t, input, &settings, now_ms).map_task(Task::Rostelecom)
        }
    };
    wire(&state.op, state.n + 1, step, &settings)
}

fn wire(op: &str, n: u32, step: Step<Task>, settings: &Settings) -> WireStep {
    let secrets = settings.secrets();
    if let Some(outcome) = step.outcome {
        return finish(op, outcome, step.set, &secrets);
    }
    let Some(task) = step.task else {
        return finish(
            op,
            Err(VoipError::bad_input(
                "internal error: a step with neither state nor result",
            )),
            step.set,
            &secrets,
        );
    };
    let state = State {
        op: op.to_string(),
        n,
        task,
    };
    WireStep {
        state: Some(serde_json::to_string(&state).unwrap_or_default()),
        fetch: step.fetch,
        get: step.get,
        set: step.set,
        result: None,
        error: None,
    }
}

/// Shapes a final outcome: `VoipTestConnection` never fails, it reports `{success:false}`.
fn finish(
    op: &str,
    outcome: Result<Value, VoipError>,
    set: Vec<(String, Option<String>)>,
    secrets: &[&str],
) -> WireStep {
    let outcome = match (op, outcome) {
        ("testConnection", Err(e)) => Ok(serde_json::to_value(TestResult {
            success: false,
            fail_reason: Some(ErrorOut::new(&e, secrets).message),
            message: None,
        })
        .unwrap_or(Value::Null)),
        (_, o) => o,
    };
    match outcome {
        Ok(value) => WireStep {
            state: None,
            fetch: None,
            get: Vec::new(),
            set,
            result: Some(value),
            error: None,
        },
        Err(e) => WireStep {
            set,
            ..wire_error(&e, secrets)
        },
    }
}

fn wire_error(e: &VoipError, secrets: &[&str]) -> WireStep {
    WireStep {
        state: None,
        fetch: None,
        get: Vec::new(),
        set: Vec::new(),
        result: None,
        error: Some(ErrorOut::new(e, secrets)),
    }
}

/// A tiny native driver for tests: runs a call to completion, answering each step with
/// `respond` (fetches) and an in-memory storage map.
pub fn run_native(
    settings_json: &str,
    op: &Op,
    storage: &mut BTreeMap<String, String>,
    now_ms: f64,
    mut respond: impl FnMut(&HttpRequest) -> Outcome,
) -> Result<Value, String> {
    let mut step = start(
        settings_json,
        &serde_json::to_string(op).unwrap_or_default(),
        now_ms,
    );
    loop {
        for (k, v) in &step.set {
            match v {
                Some(v) => storage.insert(k.clone(), v.clone()),
                None => storage.remove(k),
            };
        }
        if let Some(e) = step.error {
            return Err(e.message);
        }
        if let Some(r) = step.result {
            return Ok(r);
        }
        let input = Input {
            response: step.fetch.as_ref().map(&mut respond),
            storage: step
                .get
                .iter()
                .map(|k| (k.clone(), storage.get(k).cloned()))
                .collect(),
        };
        let state = step.state.unwrap_or_default();
        step = resume(
            settings_json,
            &state,
            &serde_json::to_string(&input).unwrap_or_default(),
            now_ms,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_settings_make_test_connection_report_not_throw() {
        let mut storage = BTreeMap::new();
        let r = run_native(
            "{}",
            &Op::TestConnection,
            &mut storage,
            0.0,
            |_| unreachable!(),
        )
        .unwrap();
        assert_eq!(r["success"], false);
        assert!(r["failReason"]
            .as_str()
            .unwrap()
            .contains("provider («АТС») is empty"));
    }

    #[test]
    fn invalid_settings_make_other_calls_fail_with_the_same_message() {
        let mut storage = BTreeMap::new();
        let e =
            run_native("{}", &Op::GetMembers, &mut storage, 0.0, |_| unreachable!()).unwrap_err();
        assert!(e.contains("provider («АТС») is empty"), "{e}");
    }

    #[test]
    fn webhook_url_is_stored() {
        let mut storage = BTreeMap::new();
        let settings = r#"{"provider":"rostelecom","rtClientId":"a","rtSignKey":"b"}"#;
        let op = Op::OnWebhookUpdated {
            url: " https://elma.example/api/webhook/x ".into(),
        };
        run_native(settings, &op, &mut storage, 0.0, |_| unreachable!()).unwrap();
        assert_eq!(
            storage[WEBHOOK_URL_KEY],
            "https://elma.example/api/webhook/x"
        );
    }

    #[test]
    fn webhook_url_is_stored_even_before_settings_are_filled() {
        let mut storage = BTreeMap::new();
        let op = Op::OnWebhookUpdated {
            url: "https://elma.example/api/webhook/x".into(),
        };
        assert_eq!(
            run_native("{}", &op, &mut storage, 0.0, |_| unreachable!()),
            Ok(Value::Null)
        );
        assert_eq!(
            storage[WEBHOOK_URL_KEY],
            "https://elma.example/api/webhook/x"
        );
    }

    #[test]
    fn every_op_the_shim_sends_is_read_back() {
        let request = WebhookRequest {
            method: "POST".into(),
            headers: vec![("x-a".into(), "1".into())],
            body: Some("{}".into()),
            body_not_string: true,
            query: vec![("q".into(), "2".into())],
        };
        for op in [
            Op::TestConnection,
            Op::GetMembers,
            Op::GenerateCall {
                src: "101".into(),
                dst: "+74950000000".into(),
            },
            Op::ParseWebhook { request },
            Op::GetCallLink {
                call_data: serde_json::json!({"session": "s"}),
            },
            Op::OnWebhookUpdated { url: "u".into() },
        ] {
            let v = serde_json::to_value(&op).unwrap();
            assert_eq!(Op::from_value(&v), Ok(op));
        }
        let absent = serde_json::json!({"op": "getCallLink"});
        assert_eq!(
            Op::from_value(&absent),
            Ok(Op::GetCallLink {
                call_data: Value::Null
            })
        );
    }

    #[test]
    fn every_task_survives_the_step_boundary() {
        let request = WebhookRequest {
            body: Some("b".into()),
            ..Default::default()
        };
        let tasks = [
            Task::Oktell(oktell::Task::TestLicense),
            Task::Oktell(oktell::Task::Directory(None)),
            Task::Oktell(oktell::Task::Directory(Some("summary".into()))),
            Task::Oktell(oktell::Task::DirectoryXml(Some("summary".into()))),
            Task::Oktell(oktell::Task::Call("101".into(), "+7495".into())),
            Task::Oktell(oktell::Task::Webhook(Box::new(request))),
            Task::Rostelecom(rostelecom::Task::TestUsersInfo),
            Task::Rostelecom(rostelecom::Task::Members),
            Task::Rostelecom(rostelecom::Task::CallBack(serde_json::json!(["a", "b"]))),
            Task::Rostelecom(rostelecom::Task::Record(serde_json::json!("s"))),
            Task::Rostelecom(rostelecom::Task::Webhook(serde_json::json!([0, {}]))),
        ];
        for task in tasks {
            let state = State {
                op: "getMembers".into(),
                n: 3,
                task,
            };
            let text = serde_json::to_string(&state).unwrap();
            let back = State::from_value(&json::parse(&text).unwrap()).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
        for bad in [
            r#"{"op":"x","n":0,"task":{"Oktell":"Dance"}}"#,
            r#"{"op":"x","n":0}"#,
        ] {
            let e = resume("{}", bad, "{}", 0.0).error.unwrap().message;
            assert!(e.contains("lost the call state"), "{e}");
        }
    }

    #[test]
    fn the_shim_input_is_read_back() {
        use crate::http::{Failure, HttpResponse};
        for response in [
            None,
            Some(Outcome::Response(HttpResponse {
                status: 404,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: "no".into(),
            })),
            Some(Outcome::Failure(Failure {
                code: "ECONNREFUSED".into(),
                message: "refused".into(),
                timed_out: true,
            })),
        ] {
            let input = Input {
                response,
                storage: [("a".to_string(), Some("1".to_string())), ("b".into(), None)].into(),
            };
            let v = serde_json::to_value(&input).unwrap();
            assert_eq!(Input::from_value(&v), Ok(input));
        }
    }

    #[test]
    fn malformed_calls_and_steps_are_clear_errors_not_panics() {
        let e = start("{}", r#"{"op":"generateCall","src":5,"dst":"x"}"#, 0.0);
        let e = e.error.unwrap().message;
        assert!(
            e.contains("unknown call") && e.contains("field `src` is not a string"),
            "{e}"
        );
        let e = start("{}", r#"{"op":"parseWebhook","request":"x"}"#, 0.0);
        let e = e.error.unwrap().message;
        assert!(e.contains("webhook request is not an object"), "{e}");
        let e = start("{}", "{\"op\":", 0.0).error.unwrap().message;
        assert!(e.contains("unknown call") && e.contains("EOF"), "{e}");
        let state = r#"{"op":"getMembers","n":0,"task":{"Rostelecom":"Members"}}"#;
        let settings = r#"{"provider":"rostelecom","rtClientId":"id-1","rtSignKey":"key-123"}"#;
        for (input, says) in [
            (r#"{"storage":{"k":1}}"#, "stored value of `k`"),
            (r#"{"storage":[]}"#, "field `storage`"),
            (
                r#"{"response":{"response":{"status":"200"}}}"#,
                "field `status`",
            ),
            (
                r#"{"response":{"response":{"status":70000}}}"#,
                "field `status`",
            ),
            (
                r#"{"response":{"response":{"status":200,"body":1}}}"#,
                "field `body`",
            ),
            (
                r#"{"response":{"failure":{"timedOut":"yes"}}}"#,
                "field `timedOut`",
            ),
            (r#"{"response":{"other":{}}}"#, "neither"),
            (r#"{"response":7}"#, "neither"),
            ("[", "EOF"),
        ] {
            let e = resume(settings, state, input, 0.0).error.unwrap().message;
            assert!(
                e.contains("malformed step") && e.contains(says),
                "{input}: {e}"
            );
        }
    }

    #[test]
    fn unknown_op_is_a_clear_error() {
        let s = start("{}", r#"{"op":"dance"}"#, 0.0);
        assert!(s.error.unwrap().message.contains("unknown call"));
    }
}
