//! JSON by hand. Every JSON text the core writes is written by [`ToJson`] (`json/write.rs`:
//! serde_json's compact text, byte for byte, without its `Serializer`).
//!
//! Reading: everything the core receives is parsed into `serde_json::Value` only, by
//! [`parse`] (serde_json's own reading, values and messages, without its `Deserializer`), and typed
//! values are picked out of it with these helpers: derived `Deserialize` code costs a deserializer
//! per type, and serde's "invalid type" messages link core's float formatting.
//!
//! Conventions (those of the derived code they replace): an absent or `null` optional field takes
//! its default, a present field of the wrong type is an error naming the field.

use serde_json::Value;

mod write;
pub(crate) use write::names;
pub use write::{string as write_string, to_string, Obj, ToJson};

/// A value read from JSON, or what was wrong with it.
pub type Parsed<T> = Result<T, String>;

/// A type that can be read back from stored JSON (see [`crate::callstore`]).
pub trait FromJson: Sized {
    /// The value, or `None` when `v` is not one.
    fn from_json(v: Value) -> Option<Self>;
}

impl FromJson for Value {
    fn from_json(v: Value) -> Option<Value> {
        Some(v)
    }
}

/// Parses JSON text (a leading byte-order mark is ignored by the callers that need it): exactly
/// what `serde_json::from_str::<Value>(text)` returns, the same value and, for malformed text, the
/// same message (`e.to_string()`, "expected value at line 1 column 1" and the like), which callers
/// show admins. It is written by hand, for size: serde_json's `Deserializer` is the largest part of
/// serde_json in the core, and the crate's `Value`, `Map`, `Number` and writer are all the core
/// keeps of it. The tests (`src/tests/json.rs`) compare the two on edge cases, on ~200,000 random
/// and mutated texts and on the fuzz corpus.
///
/// The logic is serde_json 1.0's (`de.rs` and `read.rs`, MIT or Apache-2.0, by Erick Tryzelaar and
/// David Tolnay), adapted to a byte slice: the same recursion limit (127 nested arrays or objects
/// are read, the 128th is "recursion limit exceeded"), the same number reading without its
/// `float_roundtrip` feature (not always correctly rounded, but this crate's serde_json has no
/// such feature, so the same bits: `u64` for a non-negative integer that fits, `i64` for a negative
/// one, else `f64`, `-0` a float), and errors positioned at the byte serde_json stops on (columns
/// count bytes, as serde_json's do).
pub fn parse(text: &str) -> Parsed<Value> {
    let mut p = Parser {
        text,
        b: text.as_bytes(),
        i: 0,
        depth: 128,
        fail: ("", 0),
    };
    let v = p.value().and_then(|v| match p.ws() {
        Some(_) => p.peek_err("trailing characters"),
        None => Some(v),
    });
    v.ok_or_else(|| {
        let (msg, at) = p.fail;
        // serde_json's `position_of_index`: lines from 1, the column is the byte count from the
        // line's start up to `at` (0 right after a newline).
        let before = &p.b[..at];
        let start = before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |n| n + 1);
        let line = 1 + before[..start].iter().filter(|&&c| c == b'\n').count();
        format!("{msg} at line {line} column {}", at - start)
    })
}

/// The bytes that end the plain run of a string: `"`, `\\` and control characters (serde_json's
/// `ESCAPE` table: one load a byte).
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// A parse error: serde_json's message and the index its position is computed from.
type Fail = (&'static str, usize);

/// The state of [`parse`]: the text, the index of the next byte, and how many more arrays or
/// objects may open (serde_json's `remaining_depth`).
struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    depth: u8,
    /// The error, once a function has returned `None`.
    fail: Fail,
}

const EOF_VALUE: &str = "EOF while parsing a value";
const EOF_STRING: &str = "EOF while parsing a string";
const INVALID_NUMBER: &str = "invalid number";
const INVALID_ESCAPE: &str = "invalid escape";
const OUT_OF_RANGE: &str = "number out of range";
const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";
const END_OF_HEX: &str = "unexpected end of hex escape";
const TRAILING_COMMA: &str = "trailing comma";

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// The next byte, or 0 at the end (serde_json's `peek_or_null`).
    fn peek0(&self) -> u8 {
        self.peek().unwrap_or(0)
    }

    /// The next byte, consumed.
    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.i += usize::from(c.is_some());
        c
    }

    /// An error about the byte last consumed (serde_json's `error`: at `position()`).
    fn err<T>(&mut self, msg: &'static str) -> Option<T> {
        self.fail = (msg, self.i);
        None
    }

    /// An error about the next byte (serde_json's `peek_error`: at `peek_position()`).
    fn peek_err<T>(&mut self, msg: &'static str) -> Option<T> {
        self.fail = (msg, self.b.len().min(self.i + 1));
        None
    }

    /// Skips whitespace; the next byte after it.
    fn ws(&mut self) -> Option<u8> {
        let (b, mut i) = (self.b, self.i);
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = b.get(i) {
            i += 1;
        }
        self.i = i;
        b.get(i).copied()
    }

    /// serde_json's `deserialize_any` with `Value`'s visitor.
    fn value(&mut self) -> Option<Value> {
        let Some(c) = self.ws() else {
            return self.peek_err(EOF_VALUE);
        };
        match c {
            b'n' => self.ident(b"ull", Value::Null),
            b't' => self.ident(b"rue", Value::Bool(true)),
            b'f' => self.ident(b"alse", Value::Bool(false)),
            b'-' => {
                self.i += 1;
                self.number(false)
            }
            b'0'..=b'9' => self.number(true),
            b'"' => {
                self.i += 1;
                self.string().map(Value::String)
            }
            b'[' | b'{' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return self.peek_err("recursion limit exceeded");
                }
                self.i += 1;
                let v = self.members(c == b'{');
                self.depth += 1;
                v
            }
            _ => self.peek_err("expected value"),
        }
    }

    /// The rest of `null`, `true` or `false` after its first byte.
    fn ident(&mut self, rest: &[u8], v: Value) -> Option<Value> {
        self.i += 1;
        for &want in rest {
            match self.next() {
                None => return self.err(EOF_VALUE),
                Some(c) if c != want => return self.err("expected ident"),
                Some(_) => {}
            }
        }
        Some(v)
    }

    /// The elements of an array after its `[`, or the members of an object after its `{`, and the
    /// closing bracket. A repeated key keeps its last value.
    fn members(&mut self, object: bool) -> Option<Value> {
        let mut list = Vec::new();
        let mut map = serde_json::Map::new();
        let (close, eof, comma) = if object {
            (b'}', "EOF while parsing an object", "expected `,` or `}`")
        } else {
            (b']', "EOF while parsing a list", "expected `,` or `]`")
        };
        let mut first = true;
        loop {
            let Some(mut c) = self.ws() else {
                return self.peek_err(eof);
            };
            if c == close {
                self.i += 1;
                return Some(if object {
                    Value::Object(map)
                } else {
                    Value::Array(list)
                });
            }
            if !first {
                if c != b',' {
                    return self.peek_err(comma);
                }
                self.i += 1;
                c = match self.ws() {
                    Some(c) if c != close => c,
                    Some(_) => return self.peek_err(TRAILING_COMMA),
                    None => return self.peek_err(EOF_VALUE),
                };
            }
            first = false;
            if !object {
                list.push(self.value()?);
                continue;
            }
            if c != b'"' {
                return self.peek_err("key must be a string");
            }
            self.i += 1;
            let key = self.string()?;
            match self.ws() {
                Some(b':') => self.i += 1,
                Some(_) => return self.peek_err("expected `:`"),
                None => return self.peek_err(eof),
            }
            let v = self.value()?;
            map.insert(key, v);
        }
    }

    /// A string's contents after its opening quote, and the closing quote.
    fn string(&mut self) -> Option<String> {
        let mut out = String::new();
        loop {
            let start = self.i;
            // Indexed directly, not through `peek`: a call per byte at `opt-level = "z"`. Most
            // strings are plain, and are read whole.
            let (b, mut i) = (self.b, self.i);
            while i < b.len() && !STOP[usize::from(b[i])] {
                i += 1;
            }
            self.i = i;
            // `start` and `self.i` are at an ASCII byte or the end: character boundaries.
            let plain = self.text.get(start..self.i).unwrap_or_default();
            if out.is_empty() && self.peek() == Some(b'"') {
                self.i += 1;
                return Some(plain.to_string());
            }
            out.push_str(plain);
            match self.next() {
                None => return self.err(EOF_STRING),
                Some(b'"') => return Some(out),
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => {
                    return self
                        .err("control character (\\u0000-\\u001F) found while parsing a string")
                }
            }
        }
    }

    /// An escape after its backslash.
    fn escape(&mut self, out: &mut String) -> Option<()> {
        let c = match self.next() {
            None => return self.err(EOF_STRING),
            Some(c) => c,
        };
        out.push(match c {
            b'"' | b'\\' | b'/' => char::from(c),
            b'b' => '\x08',
            b'f' => '\x0c',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode(out),
            _ => return self.err(INVALID_ESCAPE),
        });
        Some(())
    }

    /// A `\u` escape after the `u`: a character, or a surrogate pair as two escapes.
    fn unicode(&mut self, out: &mut String) -> Option<()> {
        let mut n = u32::from(self.hex4()?);
        if (0xDC00..=0xDFFF).contains(&n) {
            return self.err(LONE_SURROGATE);
        }
        if (0xD800..=0xDBFF).contains(&n) {
            for want in [b'\\', b'u'] {
                match self.next() {
                    None => return self.err(EOF_STRING),
                    Some(c) if c != want => return self.err(END_OF_HEX),
                    Some(_) => {}
                }
            }
            let low = u32::from(self.hex4()?);
            if !(0xDC00..=0xDFFF).contains(&low) {
                return self.err(LONE_SURROGATE);
            }
            n = (((n - 0xD800) << 10) | (low - 0xDC00)) + 0x1_0000;
        }
        out.push(char::from_u32(n).unwrap_or_default());
        Some(())
    }

    /// Four hex digits (all four are consumed before they are checked, as serde_json does).
    fn hex4(&mut self) -> Option<u16> {
        let Some(digits) = self.b.get(self.i..self.i + 4) else {
            self.i = self.b.len();
            return self.err(EOF_STRING);
        };
        self.i += 4;
        let mut n = 0;
        for &c in digits {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return self.err(INVALID_ESCAPE),
            };
            n = n << 4 | u16::from(d);
        }
        Some(n)
    }

    /// A number after its `-` if any (serde_json's `parse_integer`).
    fn number(&mut self, positive: bool) -> Option<Value> {
        let mut significand = match self.next() {
            None => return self.err(EOF_VALUE),
            Some(b'0') if self.peek0().is_ascii_digit() => return self.peek_err(INVALID_NUMBER),
            Some(c @ b'0'..=b'9') => u64::from(c - b'0'),
            Some(_) => return self.err(INVALID_NUMBER),
        };
        if significand != 0 {
            while let Some(d) = digit(self.peek0()) {
                match grow(significand, d) {
                    Some(s) => significand = s,
                    None => return self.long_integer(positive, significand).map(float),
                }
                self.i += 1;
            }
        }
        Some(match self.peek0() {
            b'.' => float(self.decimal(positive, significand, 0)?),
            b'e' | b'E' => float(self.exponent(positive, significand, 0)?),
            _ if positive => Value::from(significand),
            _ => {
                // Negative: an `i64` when it fits and is not `-0`, else a float.
                let neg = (significand as i64).wrapping_neg();
                if neg >= 0 {
                    float(-(significand as f64))
                } else {
                    Value::from(neg)
                }
            }
        })
    }

    /// The digits after 20 that no longer fit a `u64` (each multiplies by ten), and the rest.
    #[cold]
    fn long_integer(&mut self, positive: bool, significand: u64) -> Option<f64> {
        let mut exponent = 0i32;
        while self.peek0().is_ascii_digit() {
            self.i += 1;
            exponent = exponent.wrapping_add(1);
        }
        match self.peek0() {
            b'.' => self.decimal(positive, significand, exponent),
            b'e' | b'E' => self.exponent(positive, significand, exponent),
            _ => self.f64_from_parts(positive, significand, exponent),
        }
    }

    /// The fraction from its `.`, and an exponent if any.
    fn decimal(&mut self, positive: bool, mut significand: u64, before: i32) -> Option<f64> {
        self.i += 1;
        let mut after = 0i32;
        while let Some(d) = digit(self.peek0()) {
            match grow(significand, d) {
                Some(s) => significand = s,
                None => {
                    // Digits that no longer fit are dropped.
                    while self.peek0().is_ascii_digit() {
                        self.i += 1;
                    }
                    return self.maybe_exponent(positive, significand, before + after);
                }
            }
            self.i += 1;
            after -= 1;
        }
        if after == 0 {
            return match self.peek() {
                Some(_) => self.peek_err(INVALID_NUMBER),
                None => self.peek_err(EOF_VALUE),
            };
        }
        self.maybe_exponent(positive, significand, before + after)
    }

    fn maybe_exponent(&mut self, positive: bool, significand: u64, exp: i32) -> Option<f64> {
        match self.peek0() {
            b'e' | b'E' => self.exponent(positive, significand, exp),
            _ => self.f64_from_parts(positive, significand, exp),
        }
    }

    /// The exponent from its `e`. One too large for an `i32` is zero (for a zero significand or a
    /// negative exponent) or out of range.
    fn exponent(&mut self, positive: bool, significand: u64, start: i32) -> Option<f64> {
        self.i += 1;
        let positive_exp = match self.peek0() {
            b'+' => {
                self.i += 1;
                true
            }
            b'-' => {
                self.i += 1;
                false
            }
            _ => true,
        };
        let mut exp = match self.next() {
            None => return self.err(EOF_VALUE),
            Some(c @ b'0'..=b'9') => i32::from(c - b'0'),
            Some(_) => return self.err(INVALID_NUMBER),
        };
        while let Some(d) = digit(self.peek0()) {
            self.i += 1;
            match exp.checked_mul(10).and_then(|e| e.checked_add(d as i32)) {
                Some(e) => exp = e,
                None => {
                    if significand != 0 && positive_exp {
                        return self.err(OUT_OF_RANGE);
                    }
                    while self.peek0().is_ascii_digit() {
                        self.i += 1;
                    }
                    return Some(if positive { 0.0 } else { -0.0 });
                }
            }
        }
        let exp = if positive_exp {
            start.saturating_add(exp)
        } else {
            start.saturating_sub(exp)
        };
        self.f64_from_parts(positive, significand, exp)
    }

    /// serde_json's `f64_from_parts` without `float_roundtrip`: the significand times or divided
    /// by a power of ten (its table's, [`pow10`]), an infinity being out of range.
    fn f64_from_parts(
        &mut self,
        positive: bool,
        significand: u64,
        mut exponent: i32,
    ) -> Option<f64> {
        let mut f = significand as f64;
        loop {
            let n = exponent.unsigned_abs();
            match (n <= 308).then(|| pow10(n)) {
                Some(pow) => {
                    if exponent >= 0 {
                        f *= pow;
                        if f.is_infinite() {
                            return self.err(OUT_OF_RANGE);
                        }
                    } else {
                        f /= pow;
                    }
                    break;
                }
                None => {
                    if f == 0.0 {
                        break;
                    }
                    if exponent >= 0 {
                        return self.err(OUT_OF_RANGE);
                    }
                    f /= 1e308;
                    exponent += 308;
                }
            }
        }
        Some(if positive { f } else { -f })
    }
}

/// A decimal digit's value.
fn digit(c: u8) -> Option<u64> {
    c.is_ascii_digit().then(|| u64::from(c - b'0'))
}

/// `n * 10 + d`, or `None` past `u64::MAX`.
fn grow(n: u64, d: u64) -> Option<u64> {
    n.checked_mul(10)?.checked_add(d)
}

/// A float as `Value`'s visitor takes it (never infinite or NaN here).
fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// `10^n` for `n` up to 308, correctly rounded: the values of serde_json's table of powers of ten
/// (`POW10`, literals `1e000` to `1e308`), computed instead of stored (2.4 KB of data). `5^n` is
/// worked out exactly in 32-bit limbs (5^308 has 716 bits), its top 53 bits are rounded to nearest,
/// ties to even, and the factor `2^n` goes into the exponent. The tests compare every value with
/// Rust's own parsing of `1e<n>`.
fn pow10(n: u32) -> f64 {
    // Little-endian, the two lowest limbs always zero so that three limbs can be read below the top.
    let mut x = [0u32; 26];
    x[2] = 1;
    let mut top = 2;
    let mut left = n;
    while left > 0 {
        let k = left.min(13);
        left -= k;
        let by = 5u64.pow(k);
        let mut carry = 0;
        for limb in &mut x[2..=top] {
            let v = u64::from(*limb) * by + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            top += 1;
            x[top] = carry as u32;
        }
    }
    let wide = u128::from(x[top]) << 64 | u128::from(x[top - 1]) << 32 | u128::from(x[top - 2]);
    let sticky = x[..top - 2].iter().any(|&l| l != 0);
    let zeros = wide.leading_zeros();
    let wide = wide << zeros;
    let mut m = (wide >> 75) as u64;
    let rest = wide & ((1 << 75) - 1);
    let half = 1 << 74;
    if rest > half || (rest == half && (sticky || m & 1 == 1)) {
        m += 1;
    }
    // 5^n = wide · 2^(32·(top − 4) − zeros), so 10^n = m · 2^e with:
    let mut e = 75 - zeros as i32 + 32 * (top as i32 - 4) + n as i32;
    if m == 1 << 53 {
        m >>= 1;
        e += 1;
    }
    f64::from_bits(((e + 1075) as u64) << 52 | (m & ((1 << 52) - 1)))
}

/// A JSON object from pairs, built without serde: the `json!` macro costs wasm size per field,
/// and one with a value from an expression links serde_json's error formatting (`to_value`'s
/// `unwrap`).
pub fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// The field `key` of an object; `None` when it is absent or `null` (or `v` is no object).
pub fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

/// The field `key`, which must be present.
pub fn required<'a>(v: &'a Value, key: &str) -> Parsed<&'a Value> {
    field(v, key).ok_or_else(|| format!("missing field `{key}`"))
}

fn wrong(key: &str, expected: &str) -> String {
    format!("field `{key}` is not {expected}")
}

/// The string field `key`: `None` when absent or `null`, an error when not a string.
pub fn opt_string(v: &Value, key: &str) -> Parsed<Option<String>> {
    field(v, key)
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| wrong(key, "a string"))
        })
        .transpose()
}

/// The string field `key`, which must be present.
pub fn string(v: &Value, key: &str) -> Parsed<String> {
    opt_string(v, key)?.ok_or_else(|| format!("missing field `{key}`"))
}

/// The string field `key`, `""` when absent.
pub fn string_or_empty(v: &Value, key: &str) -> Parsed<String> {
    Ok(opt_string(v, key)?.unwrap_or_default())
}

/// The boolean field `key`, `false` when absent.
pub fn flag(v: &Value, key: &str) -> Parsed<bool> {
    field(v, key).map_or(Ok(false), |x| {
        x.as_bool().ok_or_else(|| wrong(key, "true or false"))
    })
}

/// The whole-number field `key` from 0 to `max`, which must be present.
pub fn uint(v: &Value, key: &str, max: u64) -> Parsed<u64> {
    required(v, key)?
        .as_u64()
        .filter(|n| *n <= max)
        .ok_or_else(|| format!("field `{key}` is not a whole number from 0 to {max}"))
}

/// The field `key` as `[[name, value], …]` string pairs, empty when absent.
pub fn pairs(v: &Value, key: &str) -> Parsed<Vec<(String, String)>> {
    let Some(x) = field(v, key) else {
        return Ok(Vec::new());
    };
    let pair = |p: &Value| match p.as_array().map(Vec::as_slice) {
        Some([Value::String(a), Value::String(b)]) => Some((a.clone(), b.clone())),
        _ => None,
    };
    x.as_array()
        .and_then(|a| a.iter().map(pair).collect())
        .ok_or_else(|| wrong(key, "a list of [name, value] string pairs"))
}

/// An enum value as serde writes it: a unit variant as `"Name"`, any other as `{"Name": data}`.
/// Returns the name and the data (`null` for a unit variant).
pub fn variant(v: &Value) -> Option<(&str, &Value)> {
    match v {
        Value::String(name) => Some((name, &Value::Null)),
        Value::Object(m) if m.len() == 1 => m.iter().next().map(|(k, d)| (k.as_str(), d)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_and_null_fields_take_their_default() {
        let v = json!({"a": null});
        assert_eq!(opt_string(&v, "a"), Ok(None));
        assert_eq!(string_or_empty(&v, "b"), Ok(String::new()));
        assert_eq!(flag(&v, "a"), Ok(false));
        assert_eq!(pairs(&v, "a"), Ok(Vec::new()));
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let v = json!({});
        assert_eq!(string(&v, "src"), Err("missing field `src`".to_string()));
        assert_eq!(
            uint(&v, "status", 65535),
            Err("missing field `status`".to_string())
        );
        assert_eq!(string(&json!(7), "src"), Err("missing field `src`".into()));
    }

    #[test]
    fn a_wrong_type_is_an_error_naming_the_field_never_a_panic() {
        let v = json!({"s": 1.5, "b": "yes", "n": -1, "f": 200.5, "big": 70000, "p": [["a", 1]]});
        assert_eq!(string(&v, "s"), Err("field `s` is not a string".into()));
        assert_eq!(flag(&v, "b"), Err("field `b` is not true or false".into()));
        for key in ["n", "f", "big", "s"] {
            assert!(uint(&v, key, 65535).unwrap_err().contains(key));
        }
        assert!(pairs(&v, "p").unwrap_err().contains("pairs"));
        assert!(pairs(&json!({"p": [["a"]]}), "p").is_err());
        assert!(pairs(&json!({"p": [["a", "b", "c"]]}), "p").is_err());
        assert!(pairs(&json!({"p": {"a": "b"}}), "p").is_err());
    }

    #[test]
    fn good_values_are_read() {
        let v = json!({"s": "x", "b": true, "n": 200, "p": [["a", "1"], ["b", "2"]]});
        assert_eq!(string(&v, "s"), Ok("x".into()));
        assert_eq!(flag(&v, "b"), Ok(true));
        assert_eq!(uint(&v, "n", 65535), Ok(200));
        assert_eq!(
            pairs(&v, "p"),
            Ok(vec![("a".into(), "1".into()), ("b".into(), "2".into())])
        );
    }

    #[test]
    fn enum_variants_are_read_as_serde_writes_them() {
        assert_eq!(variant(&json!("Members")), Some(("Members", &Value::Null)));
        assert_eq!(
            variant(&json!({"Call": ["a", "b"]})),
            Some(("Call", &json!(["a", "b"])))
        );
        assert_eq!(variant(&json!({"A": 1, "B": 2})), None);
        assert_eq!(variant(&json!({})), None);
        assert_eq!(variant(&json!(3)), None);
    }

    #[test]
    fn powers_of_ten_are_correctly_rounded() {
        for n in 0..=308 {
            let want: f64 = format!("1e{n}").parse().unwrap_or_default();
            assert_eq!(pow10(n).to_bits(), want.to_bits(), "1e{n}");
        }
    }

    #[test]
    fn malformed_text_is_a_message() {
        assert!(parse("{\"a\":").unwrap_err().contains("EOF"));
        assert_eq!(parse(" 1 "), Ok(json!(1)));
    }
}
