//! [`crate::json::parse`], the hand JSON reader, against `serde_json::from_str::<Value>`, which it
//! replaces in the core (and, on every value read, [`crate::json::to_string`], the hand writer,
//! against `serde_json::to_string`): the same value (number by number the same kind, `u64`, `i64` or `f64`,
//! and the same bits) or the same error text, for edge cases, for ~200,000 generated texts (random
//! JSON, mutated, and random numbers) and for every file of the fuzz corpus. Every kind of error
//! serde_json can report for a `&str` must turn up, so the generator keeps reaching every branch.
//! `ELMA365_VOIP_JSON_CASES` sets how many generated texts to try (200,000 by default).

use crate::json::parse;
use crate::sha::tests::Rng;
use serde_json::Value;
use std::collections::BTreeMap;

/// Whether `a` and `b` are the same, numbers compared by kind and bits (`Value`'s `==` takes
/// `0.0` for `-0.0`).
fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.is_u64(), x.is_i64(), x.as_u64(), x.as_i64())
                == (y.is_u64(), y.is_i64(), y.as_u64(), y.as_i64())
                && x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| identical(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, a), (kb, b))| ka == kb && identical(a, b))
        }
        _ => a == b,
    }
}

/// What the two readers made of `text`, by outcome: the error's text up to " at line", or the
/// kind of the top-level value (and "f64", "u64", "i64" for numbers).
#[derive(Default)]
struct Seen(BTreeMap<String, usize>);

impl Seen {
    /// Compares the readers on `text`; panics, showing the text, when they differ.
    fn check(&mut self, text: &str) {
        let want = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
        let got = parse(text);
        let outcome = match (&want, &got) {
            (Ok(w), Ok(g)) => {
                assert!(
                    identical(w, g)
                        && w == g
                        && serde_json::to_string(w).ok() == serde_json::to_string(g).ok(),
                    "{text:?}: serde_json {w:?}, json::parse {g:?}"
                );
                // The hand writer (`json::to_string`) writes what serde_json writes.
                assert_eq!(
                    crate::json::to_string(g),
                    serde_json::to_string(w).unwrap(),
                    "{text:?}"
                );
                match w {
                    Value::Number(n) if n.is_u64() => "u64",
                    Value::Number(n) if n.is_i64() => "i64",
                    Value::Number(_) => "f64",
                    Value::Null => "null",
                    Value::Bool(_) => "bool",
                    Value::String(_) => "string",
                    Value::Array(_) => "array",
                    Value::Object(_) => "object",
                }
                .to_string()
            }
            (Err(w), Err(g)) => {
                assert_eq!(w, g, "{text:?}");
                w.split(" at line").next().unwrap_or_default().to_string()
            }
            _ => panic!("{text:?}: serde_json {want:?}, json::parse {got:?}"),
        };
        *self.0.entry(outcome).or_default() += 1;
    }

    fn total(&self) -> usize {
        self.0.values().sum()
    }
}

/// Every error serde_json reports for a `&str` as `Value` (`invalid unicode code point` needs
/// bytes that are not UTF-8, `expected `"``, the numeric-key errors and the like need other types).
const ERRORS: [&str; 19] = [
    "EOF while parsing a list",
    "EOF while parsing an object",
    "EOF while parsing a string",
    "EOF while parsing a value",
    "expected `:`",
    "expected `,` or `]`",
    "expected `,` or `}`",
    "expected ident",
    "expected value",
    "invalid escape",
    "invalid number",
    "number out of range",
    "control character (\\u0000-\\u001F) found while parsing a string",
    "key must be a string",
    "lone leading surrogate in hex escape",
    "trailing comma",
    "trailing characters",
    "unexpected end of hex escape",
    "recursion limit exceeded",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "0.0",
    "-0.0",
    "-0e5",
    "0e999999999999",
    "-0e-999999999999",
    "1e400",
    "-1e400",
    "1e-400",
    "-1e-400",
    "1e308",
    "1e309",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "17976931348623157e292",
    "2.2250738585072011e-308",
    "2.2250738585072014e-308",
    "4.9406564584124654e-324",
    "5e-324",
    "2e-324",
    "1e-323",
    "123456789e-330",
    "0.000001e-320",
    "18446744073709551615",
    "18446744073709551616",
    "18446744073709551615.5",
    "18446744073709551616.0",
    "18446744073709551616.9",
    "184467440737095516160.0e-1",
    "18446744073709551616e10",
    "-18446744073709551615",
    "-18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775809",
    "9007199254740993",
    "9007199254740993.0",
    "0.1000000000000000055511151231257827",
    "0.1",
    "0.3",
    "3.141592653589793238462643383279502884197",
    "1.00000000000000000000000000000000000000001",
    "123456789012345678901234567890",
    "1234567890123456789012345678901234567890e-30",
    "0.0000000000000000000000000000000000000001",
    "1e2147483647",
    "1e2147483648",
    "1e-2147483648",
    "1e-2147483649",
    "0e2147483648",
    "1e99999999999999999999",
    "1e-99999999999999999999",
    "-1e99999999999999999999",
    "-0e99999999999999999999",
    "1.5e+3",
    "1.5E-3",
    "1E3",
    "1e03",
    "01",
    "-01",
    "00",
    "1.",
    "1.e5",
    ".1",
    "-.1",
    "1e",
    "1e+",
    "1e-",
    "1ex",
    "1e+x",
    "-",
    "--1",
    "-a",
    "+1",
    "1.x",
    "1.5.5",
    "1e5e5",
    "0x10",
    "Infinity",
    "NaN",
    "1 2",
    "[1.]",
    "[1e]",
    "{\"a\":-}",
    "[01]",
    "[-]",
];

const OTHERS: &[&str] = &[
    "",
    " ",
    " \t\n\r ",
    "\n\n\n",
    "\u{feff}1",
    "\u{feff}",
    "\u{a0}1",
    "\x0c1",
    "null",
    "nul",
    "nulx",
    "nUll",
    "true",
    "tru",
    "trUe",
    "false",
    "fals",
    "falsee",
    "t",
    "f",
    "n",
    "x",
    "[",
    "[ ",
    "]",
    "{",
    "}",
    "[]",
    "[ ]",
    "{}",
    "{ }",
    "[,]",
    "[1,]",
    "[1 ,\n ]",
    "[1,",
    "[1, ",
    "[1 2]",
    "[1:2]",
    "[1}",
    "[}",
    "{]",
    "{,}",
    "{\"a\"}",
    "{\"a\" 1}",
    "{\"a\":}",
    "{\"a\":1,}",
    "{\"a\":1 , }",
    "{\"a\":1,",
    "{\"a\":1, ",
    "{\"a\":1 \"b\":2}",
    "{\"a\":1]",
    "{\"a\"",
    "{\"a\" ",
    "{\"a\":",
    "{\"a\":1",
    "{1:2}",
    "{a:1}",
    "{\"a\":1,b:2}",
    "{\"a\":1,1}",
    "{\"a\":1,\"a\":2}",
    "{\"a\":1,\"b\":2,\"a\":3}",
    "{\"b\":1,\"a\":2}",
    "{\"\":1}",
    "{\"a\":{\"a\":{}}}",
    "[[[]]]",
    "[[[]]",
    "[1]x",
    "[1] x",
    "1 x",
    "1\nx",
    "{}\n\n  }",
    "\"\"",
    "\"",
    "\"abc",
    "\"abc\\",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    "\"\\a\"",
    "\"\\x\"",
    "\"\\'\"",
    "\"\\U0041\"",
    "\"\\u0041\"",
    "\"\\u00e9\\u00C9\"",
    "\"\\u0000\"",
    "\"\\u001f\"",
    "\"\\u",
    "\"\\u0",
    "\"\\u004",
    "\"\\u0041",
    "\"\\u004g\"",
    "\"\\u00G1\"",
    "\"\\uЖЖ\"",
    "\"\\u0Ж\"",
    "\"\\ud83d\\ude00\"",
    "\"\\uD83D\\uDE00\"",
    "\"\\ud83d\"",
    "\"\\ud83d",
    "\"\\ud83d\\",
    "\"\\ud83d\\u",
    "\"\\ud83d\\ude0",
    "\"\\ud83dx\"",
    "\"\\ud83d\\x\"",
    "\"\\ud83d\\n\"",
    "\"\\ud83d\\u0041\"",
    "\"\\ud83d\\ud83d\"",
    "\"\\ude00\"",
    "\"\\ude00\\ud83d\"",
    "\"\\udbff\\udfff\"",
    "\"\\ud800\\udc00\"",
    "\"\\uffff\\ufffe\"",
    "\"\\uD83D\\uDE0G\"",
    "\"\\ud83dЖ\"",
    "\"\\ud83d\\Ж\"",
    "\"a\u{0}b\"",
    "\"a\u{1}b\"",
    "\"a\u{1f}b\"",
    "\"a\tb\"",
    "\"a\nb\"",
    "\"a\rb\"",
    "\"\u{7f}\"",
    "\"Жёлтый 📞\"",
    "\"Жёлтый\u{1}\"",
    "Ж",
    "[\"Жё\", Ж]",
    "{\"Жё\":\"\\u0416\"}",
    "{\"a\"\n:\n1\n,\n\"b\"\n:\n[\n1\n,\n]\n}",
    "[\n1,\n2,\n\n   x]",
    "\n\n\"a\nb\"",
    "\r\n[\r\n1,\r\n]",
    "[\"a\",\n\"b\u{2}\"]",
    "{\"a\":1}{\"a\":1}",
    "[1,2,3]",
    "[true,false,null]",
    "[true,false,nul]",
    "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
];

/// The edge cases: numbers alone, in arrays and objects, after newlines; every other case alone,
/// after a newline, inside an array and an object, and with trailing whitespace and garbage.
#[test]
fn edge_cases_are_read_as_serde_json_reads_them() {
    let mut seen = Seen::default();
    for &text in NUMBERS.iter().chain(OTHERS) {
        for wrapped in [
            text.to_string(),
            format!("\n  {text}"),
            format!("[{text}]"),
            format!("[1, {text}, 2]"),
            format!("{{\"k\":{text}}}"),
            format!("{{\"k\":\n{text}\n,\"l\":1}}"),
            format!("{text} "),
            format!("{text}\n\t\r "),
            format!("{text}x"),
            format!("{text} ]"),
            format!("{text},"),
        ] {
            seen.check(&wrapped);
        }
        // Every prefix, so that each error also falls at the end of the input.
        for (i, _) in text.char_indices() {
            seen.check(&text[..i]);
        }
    }
    for depth in [1, 126, 127, 128, 129, 200, 100_000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}"), ("[{\"a\":", "}]")] {
            let mut text = open.repeat(depth);
            seen.check(&text);
            text.push_str(&close.repeat(depth));
            seen.check(&text);
            seen.check(&format!("\n \n{text}"));
        }
    }
    let ok = |text: &str| parse(text).unwrap_or(Value::Null);
    assert_eq!(
        parse("").unwrap_err(),
        "EOF while parsing a value at line 1 column 0"
    );
    assert_eq!(
        parse("[1,\n2 x]").unwrap_err(),
        "expected `,` or `]` at line 2 column 3"
    );
    assert_eq!(
        parse(&"[".repeat(200)).unwrap_err(),
        "recursion limit exceeded at line 1 column 128"
    );
    assert_eq!(ok("{\"a\":1,\"a\":2}"), serde_json::json!({"a": 2}));
    assert!(ok("-0")
        .as_f64()
        .is_some_and(|f| f.to_bits() == (-0.0f64).to_bits()));
    eprintln!("json: {} edge cases: {:?}", seen.total(), seen.0);
    for kind in ERRORS {
        assert!(seen.0.contains_key(kind), "no edge case gives {kind:?}");
    }
}

/// A random JSON text, valid or nearly: values of every kind, random whitespace, strings with every
/// escape (surrogates paired and lone), numbers from [`number`], repeated keys.
fn random_json(rng: &mut Rng, depth: u32, out: &mut String) {
    let pick = rng.next() % if depth > 5 { 6 } else { 9 };
    match pick {
        0 => out.push_str(["null", "true", "false"][rng.next() as usize % 3]),
        1 | 2 => number(rng, out),
        3..=5 => string(rng, out),
        6 | 7 => {
            let open = pick == 6;
            out.push(if open { '[' } else { '{' });
            for i in 0..rng.next() % 5 {
                if i > 0 {
                    out.push(',');
                }
                space(rng, out);
                if !open {
                    if rng.next() % 3 == 0 {
                        out.push_str(["\"a\"", "\"b\"", "\"\""][rng.next() as usize % 3]);
                    } else {
                        string(rng, out);
                    }
                    space(rng, out);
                    out.push(':');
                    space(rng, out);
                }
                random_json(rng, depth + 1, out);
                space(rng, out);
            }
            out.push(if open { ']' } else { '}' });
        }
        _ => {
            // A serialised value (serde_json's own escapes and number formats).
            let v = serde_json::json!({
                "u": rng.next(),
                "i": rng.next() as i64,
                "f": f64::from_bits(rng.next()),
                "g": (rng.next() % 10_000) as f64 / 7.0,
                "s": "Жё\u{1}\"\\\u{1f600}",
            });
            out.push_str(&v.to_string());
        }
    }
}

fn space(rng: &mut Rng, out: &mut String) {
    for _ in 0..rng.next() % 4 {
        out.push([' ', '\n', '\t', '\r', ' '][rng.next() as usize % 5]);
    }
    if rng.next() % 4 != 0 {
        out.truncate(out.trim_end_matches([' ', '\n', '\t', '\r']).len());
    }
}

fn string(rng: &mut Rng, out: &mut String) {
    out.push('"');
    for _ in 0..rng.next() % 8 {
        match rng.next() % 12 {
            0 => out.push_str(
                ["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"][rng.next() as usize % 8],
            ),
            1 => {
                let units = [
                    0x41, 0xe9, 0x416, 0xd83d, 0xde00, 0xdbff, 0xdc00, 0xffff, 0, 0x1f,
                ];
                let u = if rng.next() % 2 == 0 {
                    units[rng.next() as usize % units.len()]
                } else {
                    rng.next() as u16 as u64
                };
                out.push_str(&format!("\\u{u:04x}"));
            }
            2 => out.push_str("\\ud83d\\ude00"),
            3 => out.push(['Ж', 'ё', '📞', '\u{7f}', '\u{a0}'][rng.next() as usize % 5]),
            _ => out.push((b'a' + (rng.next() % 26) as u8) as char),
        }
    }
    out.push('"');
}

/// A number's text: integers short and long (around `u64`'s and `i64`'s limits), fractions with
/// many digits or zeros, exponents small, near the limits of `f64` and past `i32`, and the
/// shortest and longest forms of random doubles.
fn number(rng: &mut Rng, out: &mut String) {
    let digits = |n: u64, rng: &mut Rng, out: &mut String| {
        for _ in 0..n {
            out.push((b'0' + (rng.next() % 10) as u8) as char);
        }
    };
    match rng.next() % 8 {
        0 => {
            let f = f64::from_bits(rng.next());
            if f.is_finite() {
                out.push_str(&match rng.next() % 3 {
                    0 => format!("{f}"),
                    1 => format!("{f:e}"),
                    _ => format!("{f:.20e}"),
                });
            } else {
                out.push_str("1e999");
            }
        }
        1 => {
            let n = ["18446744073709551615", "9223372036854775808", "4294967295"];
            let base = n[rng.next() as usize % n.len()];
            if rng.next() % 2 == 0 {
                out.push('-');
            }
            out.push_str(&base[..base.len() - 1]);
            digits(1 + rng.next() % 2, rng, out);
        }
        _ => {
            if rng.next() % 2 == 0 {
                out.push('-');
            }
            match rng.next() % 4 {
                0 => out.push('0'),
                1 => {
                    out.push((b'1' + (rng.next() % 9) as u8) as char);
                    digits(rng.next() % 40, rng, out);
                }
                _ => {
                    out.push((b'1' + (rng.next() % 9) as u8) as char);
                    digits(rng.next() % 18, rng, out);
                }
            }
            if rng.next() % 2 == 0 {
                out.push('.');
                if rng.next() % 3 == 0 {
                    out.push_str(&"0".repeat((rng.next() % 330) as usize));
                }
                digits(1 + rng.next() % 30, rng, out);
            }
            if rng.next() % 2 == 0 {
                out.push(if rng.next() % 2 == 0 { 'e' } else { 'E' });
                match rng.next() % 3 {
                    0 => out.push('+'),
                    1 => out.push('-'),
                    _ => {}
                }
                match rng.next() % 4 {
                    0 => out.push_str(&(280 + rng.next() % 60).to_string()),
                    1 => out.push_str(&(2_147_483_600 + rng.next() % 100).to_string()),
                    2 => digits(1 + rng.next() % 12, rng, out),
                    _ => out.push_str(&(rng.next() % 30).to_string()),
                }
            }
        }
    }
}

/// JSON-significant characters, digits, number parts, escapes, whitespace, control characters
/// and non-ASCII text, from which mutations take what they insert.
const ALPHABET: &[char] = &[
    '{', '}', '[', ']', ',', ':', '"', '\\', '/', 'u', 'b', 'f', 'n', 'r', 't', 'a', 'l', 's', 'e',
    'E', '+', '-', '.', '0', '1', '5', '9', 'A', 'F', 'd', 'D', 'c', ' ', '\t', '\n', '\r', '\0',
    '\u{1}', '\u{1f}', '\u{7f}', 'Ж', 'ё', '\u{feff}', '📞', 'x',
];

/// `text` changed a few times: characters inserted, deleted or replaced, a piece repeated, or the
/// text cut short.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.next() % 3 {
        let at = rng.next() as usize % (chars.len() + 1);
        let c = ALPHABET[rng.next() as usize % ALPHABET.len()];
        match rng.next() % 6 {
            0 | 1 => chars.insert(at, c),
            2 if at < chars.len() => {
                chars.remove(at);
            }
            3 if at < chars.len() => chars[at] = c,
            4 => {
                let end = (at + (rng.next() % 8) as usize).min(chars.len());
                let piece = chars[at..end].to_vec();
                chars.splice(at..at, piece);
            }
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

/// Random JSON texts (each also mutated) and random numbers, alone and inside an array.
#[test]
fn generated_texts_are_read_as_serde_json_reads_them() {
    let cases: usize = std::env::var("ELMA365_VOIP_JSON_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let started = std::time::Instant::now();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut seen = Seen::default();
    let mut text = String::new();
    while seen.total() < cases {
        text.clear();
        if rng.next() % 3 == 0 {
            number(&mut rng, &mut text);
            seen.check(&text);
            seen.check(&mutate(&mut rng, &text));
            text.insert(0, '[');
            text.push(']');
        } else {
            space(&mut rng, &mut text);
            random_json(&mut rng, 0, &mut text);
            space(&mut rng, &mut text);
        }
        seen.check(&text);
        for _ in 0..2 {
            seen.check(&mutate(&mut rng, &text));
        }
    }
    let depth = |rng: &mut Rng| 120 + rng.next() as usize % 12;
    for _ in 0..50 {
        let n = depth(&mut rng);
        seen.check(&mutate(
            &mut rng,
            &format!("{}{}", "[".repeat(n), "]".repeat(n)),
        ));
    }
    for kind in ERRORS
        .iter()
        .copied()
        .chain(["u64", "i64", "f64", "object", "array"])
    {
        assert!(
            cases < 100_000 || seen.0.contains_key(kind),
            "no generated text gives {kind:?}: {:?}",
            seen.0
        );
    }
    eprintln!(
        "json: {} generated texts in {:?}: {:?}",
        seen.total(),
        started.elapsed(),
        seen.0
    );
}

/// Every file of the fuzz corpus (as UTF-8, lossily), whole and from each of its first 32 `{`,
/// `[` and `"`.
#[test]
fn the_fuzz_corpus_is_read_as_serde_json_reads_it() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seen = Seen::default();
    let mut files = 0;
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(bytes) = std::fs::read(file.path()) else {
                continue;
            };
            files += 1;
            let text = String::from_utf8_lossy(&bytes);
            seen.check(&text);
            let starts = text.match_indices(['{', '[', '"']).take(32);
            for (at, _) in starts {
                seen.check(&text[at..]);
            }
        }
    }
    assert!(
        files > 1000,
        "only {files} corpus files under {}",
        root.display()
    );
    eprintln!(
        "json: {} texts from {files} corpus files: {:?}",
        seen.total(),
        seen.0
    );
}
