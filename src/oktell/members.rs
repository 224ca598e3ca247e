//! The Oktell user directory: the service script's JSON array or `login;name[;number]` lines.

use crate::contract::Member;
use crate::i18n::{oktell as m, t, Text};
use serde_json::Value;

/// Parses a directory in either documented shape. Errors name the offending line.
pub fn parse_directory(text: &str) -> Result<Vec<Member>, Text> {
    Ok(parse_entries(text)?.into_iter().map(|(m, _)| m).collect())
}

/// Parses a directory into members with their numbers (empty when the entry has none).
pub fn parse_entries(text: &str) -> Result<Vec<(Member, String)>, Text> {
    let text = text.trim_start_matches('\u{feff}').trim();
    let mut out: Vec<(Member, String)> = Vec::new();
    // The logins seen, as a map (serde_json's, already in the binary) so that skipping repeats
    // stays linear.
    let mut seen = serde_json::Map::new();
    let mut push = |id: &str, name: &str, number: &str| {
        let id = id.trim();
        let name = name.trim();
        if seen.insert(id.to_string(), Value::Null).is_none() {
            let member = Member {
                id: id.to_string(),
                name: if name.is_empty() {
                    id.to_string()
                } else {
                    name.to_string()
                },
            };
            out.push((member, number.trim().to_string()));
        }
    };
    if text.starts_with('[') {
        let items = crate::json::parse(text).map_err(|e| t!(m::DIR_JSON_BAD, e))?;
        // Text that starts with `[` and parses is an array.
        let items = items.as_array().map_or(&[][..], Vec::as_slice);
        for (i, item) in items.iter().enumerate() {
            let login = item
                .get("login")
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or("");
            if login.is_empty() {
                return Err(t!(m::DIR_NO_LOGIN, i + 1));
            }
            let text = |k: &str| match item.get(k) {
                Some(Value::Number(n)) => n.to_string(),
                Some(v) => v.as_str().unwrap_or("").to_string(),
                None => String::new(),
            };
            push(login, &text("name"), &text("number"));
        }
        return Ok(out);
    }
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split(';');
        let login = parts.next().unwrap_or("").trim();
        if login.is_empty() || login.contains(char::is_whitespace) {
            return Err(t!(m::DIR_LINE_BAD, i + 1, crate::http::snippet(line, 40)));
        }
        let name = parts.next().unwrap_or("");
        push(login, name, parts.next().unwrap_or(""));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_lines_give_the_same_members() {
        let a = parse_directory(r#"[{"login":"ivanov","name":"Иванов Иван","number":"101"},{"login":"petrov","name":""}]"#).unwrap();
        let b = parse_directory("ivanov;Иванов Иван;101\r\n\r\npetrov\r\nivanov;dup\r\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(a[1].name, "petrov");
    }

    #[test]
    fn malformed_line_is_reported_by_number() {
        let e = parse_directory("ivanov;Иван\n;no login\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 2"), "{e}");
    }
}
