//! Reading JSON by hand. Everything the core receives is parsed into `serde_json::Value` only, and
//! typed values are picked out of it with these helpers: derived `Deserialize` code costs a
//! deserializer per type, and serde's "invalid type" messages link core's float formatting.
//!
//! Conventions (those of the derived code they replace): an absent or `null` optional field takes
//! its default, a present field of the wrong type is an error naming the field.

use serde_json::Value;

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

/// Parses JSON text (a leading byte-order mark is ignored by the callers that need it).
pub fn parse(text: &str) -> Parsed<Value> {
    serde_json::from_str(text).map_err(|e| e.to_string())
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
    fn malformed_text_is_a_message() {
        assert!(parse("{\"a\":").unwrap_err().contains("EOF"));
        assert_eq!(parse(" 1 "), Ok(json!(1)));
    }
}
