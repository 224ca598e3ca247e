//! `users_info` → the members for ELMA365's user-mapping table.
//!
//! One member per user: `id` is the user's PIN (the extension that call events carry as
//! `request_pin` / `from_pin`), `name` is `display_name`, else `name`, else the PIN. Groups are
//! not members: a group PIN never answers a call itself.

use crate::contract::Member;
use serde_json::Value;

/// A PIN from a JSON value: a string (trimmed) or a whole number; `None` when empty or absent.
pub fn pin_of(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.as_u64()?.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

fn text_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The members in a checked `users_info` answer: users with a PIN, first occurrence of each PIN.
pub fn from_users_info(answer: &Value) -> Vec<Member> {
    let mut out: Vec<Member> = Vec::new();
    // The PINs seen, as a map (serde_json's, already in the binary): skipping repeats stays linear.
    let mut seen = serde_json::Map::new();
    let users = answer.get("users").and_then(Value::as_array);
    for user in users.into_iter().flatten() {
        let Some(id) = pin_of(user.get("pin")) else {
            continue;
        };
        if seen.insert(id.clone(), Value::Null).is_some() {
            continue;
        }
        let name = text_of(user.get("display_name"))
            .or_else(|| text_of(user.get("name")))
            .map_or_else(|| id.clone(), str::to_string);
        out.push(Member { id, name });
    }
    out
}

/// The users of a checked `users_info` answer for the caller lookup's manager mapping: PIN and
/// e-mail.
pub fn staff_from_users_info(answer: &Value) -> Vec<crate::crm::Staff> {
    let users = answer.get("users").and_then(Value::as_array);
    users
        .into_iter()
        .flatten()
        .filter_map(|user| {
            Some(crate::crm::Staff {
                id: pin_of(user.get("pin"))?,
                email: text_of(user.get("email")).unwrap_or("").to_string(),
                number: String::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(id: &str, name: &str) -> Member {
        Member {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn name_falls_back_from_display_name_to_name_to_pin() {
        let v = json!({"result": 0, "users": [
            {"display_name": "Иванов Иван", "name": "ivanov", "pin": "101"},
            {"display_name": " ", "name": "sidorov", "pin": "103"},
            {"pin": "104"},
        ]});
        assert_eq!(
            from_users_info(&v),
            vec![
                m("101", "Иванов Иван"),
                m("103", "sidorov"),
                m("104", "104")
            ]
        );
    }

    #[test]
    fn groups_are_not_members() {
        let v = json!({"users": [{"name": "a", "pin": "101"}],
            "groups": [{"name": "Отдел продаж", "pin": "200", "users_list": ["101"]}]});
        assert_eq!(from_users_info(&v), vec![m("101", "a")]);
    }

    #[test]
    fn users_without_a_pin_and_repeated_pins_are_skipped() {
        let v = json!({"users": [
            {"name": "nopin"}, {"name": "empty", "pin": ""}, {"name": "null", "pin": null},
            {"name": "num", "pin": 105}, {"name": "again", "pin": " 105 "}, "junk", 7,
        ]});
        assert_eq!(from_users_info(&v), vec![m("105", "num")]);
    }

    #[test]
    fn absent_or_malformed_users_give_no_members() {
        assert!(from_users_info(&json!({"result": "0"})).is_empty());
        assert!(from_users_info(&json!({"users": "none"})).is_empty());
    }
}
