//! Writing JSON by hand: serde_json's compact text (`serde_json::to_string`), byte for byte, without
//! its `Serializer`. Every JSON text the core writes goes through [`ToJson`]: results for ELMA365,
//! requests for the shim, stored state, bodies for the PBXs. serde_json's writer was monomorphised
//! per type and per output (`Vec<u8>`, and `fmt::Write` for `Value`'s `Display`); this is one small
//! writer. The stored state's text must stay exactly what earlier versions wrote (other workers read
//! it), and so must every other text: the tests (`src/tests/json.rs`) compare it with serde_json on
//! every type the core writes, on edge cases, and on random values.
//!
//! The rules are serde_json 1.0's (`ser.rs`, MIT or Apache-2.0, by Erick Tryzelaar and David
//! Tolnay): strings escape `"`, `\` and the control characters (`\b \t \n \f \r`, the others as
//! `\u00xx` in lower-case hex) and nothing else; integers in decimal; a finite `f64` as zmij's
//! shortest text (`1.0`, `1e21`), any other as `null`; no spaces.

use serde_json::{Map, Number, Value};
use std::fmt::Write as _;

/// A value the core writes as JSON.
pub trait ToJson {
    /// Appends the value's JSON text to `out`.
    fn write_json(&self, out: &mut String);
}

/// The JSON text of `v`.
pub fn to_string<T: ToJson + ?Sized>(v: &T) -> String {
    let mut out = String::new();
    v.write_json(&mut out);
    out
}

/// An object being written: `{`, then each [`Obj::field`] as `"key":value`, then [`Obj::end`].
pub struct Obj<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Obj<'a> {
    /// Starts an object in `out`.
    pub fn new(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, empty: true }
    }

    /// Writes `"key":value`.
    pub fn field<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        self.key(key);
        value.write_json(self.out);
        self
    }

    /// Writes `"key":value` unless `value` is `None` (serde's `skip_serializing_if = "Option::is_none"`).
    pub fn some<T: ToJson>(&mut self, key: &str, value: &Option<T>) -> &mut Self {
        if let Some(v) = value {
            self.field(key, v);
        }
        self
    }

    /// Writes `"key":` (then the caller writes the value).
    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        string(key, self.out);
        self.out.push(':');
    }

    /// Closes the object.
    pub fn end(&mut self) {
        self.out.push('}');
    }
}

/// Implements [`ToJson`] for unit enums, each variant written as the string given for it (serde's
/// unit variants, with any `rename_all` applied by hand): `names! { Scope { All => "all", … } }`.
macro_rules! names {
    ($($t:ident { $($v:ident => $name:literal),* $(,)? })*) => {$(
        impl $crate::json::ToJson for $t {
            fn write_json(&self, out: &mut String) {
                $crate::json::write_string(match self { $($t::$v => $name),* }, out);
            }
        }
    )*};
}
pub(crate) use names;

/// Writes `s` as a JSON string.
pub fn string(s: &str, out: &mut String) {
    out.push('"');
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            0x08 => 'b',
            0x09 => 't',
            0x0a => 'n',
            0x0c => 'f',
            0x0d => 'r',
            b'"' | b'\\' => b as char,
            0..=0x1f => 'u',
            _ => continue,
        };
        // `b` is ASCII, so `i` and `i + 1` are character boundaries.
        out.push_str(&s[plain..i]);
        plain = i + 1;
        out.push('\\');
        out.push(escape);
        if escape == 'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// Writes a float as serde_json does: zmij's shortest text, `null` when not finite.
fn float(f: f64, out: &mut String) {
    if f.is_finite() {
        out.push_str(zmij::Buffer::new().format_finite(f));
    } else {
        out.push_str("null");
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        string(self, out);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        string(self, out);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

/// Integers, in decimal (core's formatting, linked anyway).
macro_rules! integers {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
integers!(u16, u32, u64, i64);

impl ToJson for f64 {
    fn write_json(&self, out: &mut String) {
        float(*self, out);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(v) => v.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

/// A pair is a two-element array (serde's tuples), as in header lists.
impl<A: ToJson, B: ToJson> ToJson for (A, B) {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        self.0.write_json(out);
        out.push(',');
        self.1.write_json(out);
        out.push(']');
    }
}

impl ToJson for Number {
    fn write_json(&self, out: &mut String) {
        if let Some(u) = self.as_u64() {
            u.write_json(out);
        } else if let Some(i) = self.as_i64() {
            i.write_json(out);
        } else {
            float(self.as_f64().unwrap_or(f64::NAN), out);
        }
    }
}

impl ToJson for Map<String, Value> {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        for (k, v) in self {
            o.field(k, v);
        }
        o.end();
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(n) => n.write_json(out),
            Value::String(s) => string(s, out),
            Value::Array(a) => a.write_json(out),
            Value::Object(m) => m.write_json(out),
        }
    }
}
