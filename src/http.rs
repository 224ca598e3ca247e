//! HTTP as plain values: requests the core wants sent, what came back, and the webhook request
//! ELMA365 hands to the module. The shim turns these into `fetch` calls and back.

use crate::json::{self, Obj, Parsed, ToJson};
use serde::Serialize;
use serde_json::Value;
use tsify::Tsify;

/// The largest PBX answer the module reads: 1 MB (1,048,576 bytes) of body. No answer to the
/// module's requests comes near it; anything larger is refused before it is parsed.
pub const MAX_ANSWER_BYTES: usize = 1_048_576;

/// Response header the shim adds when `body` holds the raw bytes as Latin-1 characters (Oktell's
/// XML, which may be UTF-16: see `oktell::xml`).
pub const RAW_BODY_HEADER: &str = "x-elma365-voip-raw";

/// A request the core wants the shim to send.
#[derive(Clone, Debug, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The absolute URL, query included.
    pub url: String,
    /// Header name/value pairs.
    pub headers: Vec<(String, String)>,
    /// The body, sent byte-for-byte (signatures cover it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// How long the shim waits for the answer, in milliseconds.
    pub timeout_ms: u32,
    /// Where the URL came from (a settings code), so failures can name it.
    pub setting: String,
}

impl HttpRequest {
    /// A `GET` of `url`.
    pub fn get(url: String, timeout_sec: u32, setting: &str) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url,
            headers: Vec::new(),
            body: None,
            timeout_ms: timeout_sec * 1000,
            setting: setting.into(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// What came back from the PBX: a response with any status.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (names lowercased by the shim).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body as text (binary bodies are never needed by the core).
    #[serde(default)]
    pub body: String,
    /// Set when the host's fetch gave no status code, only `ok`: `status` is then 200 or 500.
    #[serde(default)]
    pub no_status: bool,
}

impl HttpResponse {
    /// Reads a response as the shim sends it.
    pub fn from_value(v: &Value) -> Parsed<HttpResponse> {
        Ok(HttpResponse {
            status: json::uint(v, "status", u16::MAX.into())? as u16,
            headers: json::pairs(v, "headers")?,
            body: json::string_or_empty(v, "body")?,
            no_status: json::flag(v, "noStatus")?,
        })
    }

    /// The status for messages: `HTTP 404`, or what the host's fetch said when it gave no code.
    pub fn status_text(&self) -> crate::i18n::Text {
        use crate::i18n::{common as m, t};
        match (self.no_status, self.status) {
            (false, status) => t!(m::STATUS_HTTP, status),
            (true, 200) => t!(m::STATUS_NONE_OK),
            (true, _) => t!(m::STATUS_NONE_ERROR),
        }
    }

    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        crate::json::parse(self.body.trim_start_matches('\u{feff}')).ok()
    }

    /// The size of the body in bytes as the PBX sent it: one byte per character when the shim
    /// passed the raw bytes ([`RAW_BODY_HEADER`]), else the UTF-8 length.
    pub fn body_bytes(&self) -> usize {
        let raw = self.header(RAW_BODY_HEADER).is_some();
        if raw && self.body.len() > MAX_ANSWER_BYTES {
            self.body.chars().count()
        } else {
            self.body.len()
        }
    }

    /// The first `max` characters of the body on one line, for messages.
    pub fn snippet(&self, max: usize) -> String {
        snippet(&self.body, max)
    }
}

/// A fetch that produced no HTTP response at all.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// The error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, ...), from the error or its cause.
    #[serde(default)]
    pub code: String,
    /// The error message.
    #[serde(default)]
    pub message: String,
    /// Set when the shim's own timer fired.
    #[serde(default)]
    pub timed_out: bool,
    /// Set when the fault is the module's own (its fetch adapter), not the network's.
    #[serde(default)]
    pub module: bool,
}

impl Failure {
    /// Reads a failure as the shim sends it.
    pub fn from_value(v: &Value) -> Parsed<Failure> {
        Ok(Failure {
            code: json::string_or_empty(v, "code")?,
            message: json::string_or_empty(v, "message")?,
            timed_out: json::flag(v, "timedOut")?,
            module: json::flag(v, "module")?,
        })
    }

    /// `message (code)` for use inside a sentence.
    pub fn detail(&self) -> String {
        let msg = snippet(&self.message, 160);
        let code = snippet(&self.code, 60);
        match (msg.is_empty(), code.is_empty()) {
            (true, true) => "network error".into(),
            (true, false) => code,
            (false, true) => msg,
            (false, false) if msg.contains(&code) => msg,
            (false, false) => format!("{msg} ({code})"),
        }
    }
}

/// The result of performing an [`HttpRequest`].
#[derive(Clone, Debug, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// An HTTP response arrived (any status).
    Response(HttpResponse),
    /// No response: network, TLS or timeout failure.
    Failure(Failure),
}

impl Outcome {
    /// Reads `{"response": …}` or `{"failure": …}`.
    pub fn from_value(v: &Value) -> Parsed<Outcome> {
        match json::variant(v) {
            Some(("response", r)) => HttpResponse::from_value(r).map(Outcome::Response),
            Some(("failure", f)) => Failure::from_value(f).map(Outcome::Failure),
            _ => Err("a fetch outcome is neither {\"response\"} nor {\"failure\"}".into()),
        }
    }
}

/// The webhook request ELMA365 passes to `VoipParseWebhookRequest`, normalised by the shim.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRequest {
    /// HTTP method, if the host gave one.
    #[serde(default)]
    pub method: String,
    /// Headers as pairs (any case).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The raw body text, if the body was a string.
    #[serde(default)]
    pub body: Option<String>,
    /// What the host handed when the body was neither text nor bytes (`object`, `array`,
    /// `number`, ...): the raw text is then unknown. An object or array comes as its JSON in `body`
    /// when the shim could write it.
    #[serde(default)]
    pub body_parsed: Option<String>,
    /// Query parameters as pairs (arrays flattened).
    #[serde(default)]
    pub query: Vec<(String, String)>,
}

impl WebhookRequest {
    /// Reads a request as the shim normalised it (every field may be absent).
    pub fn from_value(v: &Value) -> Parsed<WebhookRequest> {
        if !v.is_object() {
            return Err("the webhook request is not an object".into());
        }
        Ok(WebhookRequest {
            method: json::string_or_empty(v, "method")?,
            headers: json::pairs(v, "headers")?,
            body: json::opt_string(v, "body")?,
            body_parsed: json::opt_string(v, "bodyParsed")?
                .map(|k| snippet(&k, 20))
                .filter(|k| !k.is_empty()),
            query: json::pairs(v, "query")?,
        })
    }

    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }

    /// The first query value for `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A non-text webhook body as the shim named it ([`WebhookRequest::body_parsed`]), for messages.
pub fn body_kind(kind: &str) -> String {
    match kind {
        "object" => "an already parsed object".into(),
        "array" => "an already parsed array".into(),
        "number" | "boolean" | "bigint" | "symbol" | "function" => format!("a {kind}"),
        other => format!("a value of kind «{}»", snippet(other, 20)),
    }
}

/// What the module answers the PBX's webhook request with.
#[derive(Clone, Debug, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    /// HTTP status.
    pub status: u16,
    /// Content type of the body.
    pub content_type: String,
    /// The body.
    pub body: String,
}

impl WebhookResponse {
    /// A JSON answer.
    pub fn json(status: u16, value: &Value) -> WebhookResponse {
        WebhookResponse::json_text(status, json::to_string(value))
    }

    /// A JSON answer whose text is already written.
    pub fn json_text(status: u16, body: String) -> WebhookResponse {
        WebhookResponse {
            status,
            content_type: "application/json; charset=utf-8".into(),
            body,
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: impl Into<String>) -> WebhookResponse {
        WebhookResponse {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            body: body.into(),
        }
    }

    /// Adds `warning` to the answer in its own format: a `"warning"` field of a JSON object (of the
    /// last `["method", {…}]` message of an Oktell reply), else a line of the text.
    pub fn warn(&mut self, warning: &str) {
        let field = format!(",\"warning\":{}", json::to_string(warning));
        let body = self.body.trim_end();
        let at = if body.ends_with("}]]") {
            body.len() - 3
        } else if body.ends_with("}]") {
            body.len() - 2
        } else if body.starts_with('{') && body.ends_with('}') {
            body.len() - 1
        } else {
            if !self.body.is_empty() {
                self.body.push('\n');
            }
            self.body.push_str(warning);
            return;
        };
        let field = if body[..at].ends_with('{') {
            &field[1..]
        } else {
            &field[..]
        };
        self.body.insert_str(at, field);
    }
}

/// Case-insensitive header lookup in a list of pairs.
pub fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Builds `base/path?k=v&...` with form-urlencoding.
pub fn url_with_query(base: &str, path: &str, params: &[(&str, &str)]) -> String {
    let mut url = format!("{base}/{}", path.trim_start_matches('/'));
    if !params.is_empty() {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter())
            .finish();
        url.push('?');
        url.push_str(&query);
    }
    url
}

/// Parses `a=1&b=2` (form or query string) into pairs.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.trim().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `text` cut to its first `max` characters (for what is kept, not quoted: no `…`).
pub fn cut(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_string(),
        None => text,
    }
}

/// One line of at most `max` characters of `text` (trimmed, control characters as spaces, `…`
/// when cut), for quoting in messages. Reads no further into `text` than it quotes.
pub fn snippet(text: &str, max: usize) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = chars
        .by_ref()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

impl ToJson for HttpRequest {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .some("body", &self.body)
            .field("timeoutMs", &self.timeout_ms)
            .field("setting", &self.setting)
            .end();
    }
}

impl ToJson for WebhookResponse {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("status", &self.status)
            .field("contentType", &self.content_type)
            .field("body", &self.body)
            .end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_query_encodes_values() {
        assert_eq!(
            url_with_query("http://h:4055", "wp_autocallstart", &[("user", "иван ов"), ("number", "+7 495")]),
            "http://h:4055/wp_autocallstart?user=%D0%B8%D0%B2%D0%B0%D0%BD+%D0%BE%D0%B2&number=%2B7+495"
        );
        assert_eq!(url_with_query("http://h", "/x", &[]), "http://h/x");
    }

    #[test]
    fn snippet_is_one_bounded_line() {
        assert_eq!(snippet("a\nb\tc", 10), "a b c");
        assert_eq!(snippet("abcdef", 3), "abc…");
        assert_eq!(snippet("  abc\n", 3), "abc");
        assert_eq!(snippet(" ab\u{0}c  d ", 4), "ab c…");
        assert_eq!(snippet("", 3), "");
    }

    #[test]
    fn headers_are_case_insensitive() {
        let r = WebhookRequest {
            headers: vec![("x-client-id".into(), "1".into())],
            ..Default::default()
        };
        assert_eq!(r.header("X-Client-ID"), Some("1"));
    }
}
