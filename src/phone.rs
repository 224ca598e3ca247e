//! Phone number normalisation: ONE canonical format everywhere (events, call records, click-to-call).
//!
//! - External numbers become E.164 with a plus: `+79161234567`.
//! - Internal extensions (at most [`MAX_EXTENSION_DIGITS`] digits) and logins stay as they are:
//!   `317`, `ivanov`. They are what `VoipMember.id` holds, so pop-ups reach the right user.
//!
//! Input may be a SIP URI (`sip:+74951234567@188.254.33.73;user=phone`), `user@domain`, a national
//! number with a trunk prefix (`89123456789`), or typed with spaces, dashes and brackets.

/// The longest all-digit string still treated as an internal extension.
pub const MAX_EXTENSION_DIGITS: usize = 6;

/// A normalised party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Number {
    /// A public number, `+` and digits.
    External(String),
    /// An extension or login inside the PBX.
    Internal(String),
}

impl Number {
    /// The canonical string.
    pub fn as_str(&self) -> &str {
        match self {
            Number::External(s) | Number::Internal(s) => s,
        }
    }

    /// The E.164 digits without the plus (what some APIs want), or the internal id.
    pub fn bare(&self) -> &str {
        self.as_str().trim_start_matches('+')
    }

    /// Whether it is a public number.
    pub fn is_external(&self) -> bool {
        matches!(self, Number::External(_))
    }
}

/// `raw` trimmed, without a leading `<` and without the first of `schemes` it starts with
/// (case-insensitive). Slices only at ASCII boundaries, so any input is safe.
pub fn without_scheme<'a>(raw: &'a str, schemes: &[&str]) -> &'a str {
    let s = raw.trim().trim_start_matches('<');
    schemes
        .iter()
        .find(|scheme| {
            s.get(..scheme.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
        })
        .map_or(s, |scheme| &s[scheme.len()..])
}

/// The user part of a SIP URI or `user@domain`, without scheme and parameters.
pub fn user_part(raw: &str) -> &str {
    let s = without_scheme(raw, &["sip:", "sips:", "tel:"]);
    let end = s.find(['@', ';', '>']).unwrap_or(s.len());
    s[..end].trim()
}

/// Cyrillic letters (U+0400..U+04FF), allowed in logins; a range check instead of
/// `char::is_alphanumeric`, whose Unicode tables would cost wasm size.
fn is_cyrillic_letter(c: char) -> bool {
    ('\u{400}'..='\u{4ff}').contains(&c)
}

/// Normalises a number or SIP URI for `country_code` (digits, e.g. `7`). `None` for garbage.
pub fn normalize(raw: &str, country_code: &str) -> Option<Number> {
    let user = user_part(raw);
    if user.is_empty() {
        return None;
    }
    let plus = user.starts_with('+');
    let compact: String = user
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}'))
        .collect();
    let digits = compact.trim_start_matches('+');
    if digits.is_empty() {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        // A login such as `ivanov` (from `ivanov@domain`), kept as typed; reject control junk.
        let login_ok = user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || is_cyrillic_letter(c) || "._-#*".contains(c));
        return login_ok.then(|| Number::Internal(user.to_string()));
    }
    if !plus && digits.len() <= MAX_EXTENSION_DIGITS {
        return Some(Number::Internal(digits.to_string()));
    }
    if plus {
        return (digits.len() >= 7 && digits.len() <= 15)
            .then(|| Number::External(format!("+{digits}")));
    }
    if let Some(intl) = digits
        .strip_prefix("00")
        .or_else(|| digits.strip_prefix("810"))
    {
        // E.164 has at most 15 digits, also after an international prefix.
        return (7..=15)
            .contains(&intl.len())
            .then(|| Number::External(format!("+{intl}")));
    }
    let national = if country_code == "7" {
        match digits.len() {
            11 if digits.starts_with('8') || digits.starts_with('7') => {
                format!("7{}", &digits[1..])
            }
            10 => format!("7{digits}"),
            _ => digits.to_string(),
        }
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("{country_code}{rest}")
    } else {
        digits.to_string()
    };
    (national.len() >= 7 && national.len() <= 15).then(|| Number::External(format!("+{national}")))
}

/// The canonical string for a party, or the trimmed input when it cannot be normalised (so that
/// nothing is silently dropped from an event).
pub fn canonical(raw: &str, country_code: &str) -> String {
    normalize(raw, country_code)
        .map_or_else(|| user_part(raw).to_string(), |n| n.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(raw: &str) -> Option<String> {
        normalize(raw, "7").map(|n| n.as_str().to_string())
    }

    #[test]
    fn sip_uris_with_hosts_ips_and_params() {
        assert_eq!(
            n("sip:79771234567@example_domain.ru").as_deref(),
            Some("+79771234567")
        );
        assert_eq!(
            n("sip:+74951234567@188.254.33.73").as_deref(),
            Some("+74951234567")
        );
        assert_eq!(
            n("SIPS:89123456789@h;user=phone").as_deref(),
            Some("+79123456789")
        );
        assert_eq!(n("<sip:317@pbx.local>").as_deref(), Some("317"));
    }

    #[test]
    fn national_forms_for_russia() {
        assert_eq!(n("89161234567").as_deref(), Some("+79161234567"));
        assert_eq!(n("9161234567").as_deref(), Some("+79161234567"));
        assert_eq!(n("+7 (916) 123-45-67").as_deref(), Some("+79161234567"));
        assert_eq!(n("8 916 123 45 67").as_deref(), Some("+79161234567"));
        assert_eq!(n("74951234567").as_deref(), Some("+74951234567"));
        assert_eq!(n("0049301234567").as_deref(), Some("+49301234567"));
    }

    #[test]
    fn extensions_and_logins_stay_internal() {
        assert_eq!(normalize("317", "7"), Some(Number::Internal("317".into())));
        assert_eq!(
            normalize("ivanov@demo.cloudpbx.rt.ru", "7"),
            Some(Number::Internal("ivanov".into()))
        );
        assert_eq!(
            normalize("sip:test_user@cloudpbx.rt.ru", "7"),
            Some(Number::Internal("test_user".into()))
        );
    }

    #[test]
    fn garbage_is_rejected() {
        for g in [
            "",
            "   ",
            "sip:",
            "@host",
            "+",
            "+12",
            "не номер!",
            "<>",
            "12345678901234567890",
            "a b",
        ] {
            assert_eq!(n(g), None, "{g:?}");
        }
    }

    #[test]
    fn rostelecom_event_numbers_from_the_spec() {
        assert_eq!(
            n("sip:89123456789@example_domain.ru").as_deref(),
            Some("+79123456789")
        );
        assert_eq!(
            n("sip:+74951234567@188.254.33.73:5060").as_deref(),
            Some("+74951234567")
        );
        assert_eq!(n("74959561111").as_deref(), Some("+74959561111"));
        assert_eq!(n("test_user@cloudpbx.rt.ru").as_deref(), Some("test_user"));
        assert_eq!(n("sip:317@10.0.0.1").as_deref(), Some("317"));
    }

    #[test]
    fn non_ascii_garbage_is_rejected_without_panicking() {
        for g in ["позвони мне", "sİp:1@h", "☎", "sip:+7 916 ☎@h", "tel:"] {
            assert_eq!(n(g), None, "{g:?}");
        }
    }

    #[test]
    fn cyrillic_input_is_rejected_without_panicking() {
        // "sips:" is 5 bytes: byte 5 falls inside «з», which must not be sliced.
        assert_eq!(n("позвони мне"), None);
        assert_eq!(n("позвони"), Some("позвони".to_string()));
    }

    #[test]
    fn other_countries_use_the_trunk_zero() {
        assert_eq!(
            normalize("030 1234567", "49")
                .map(|n| n.as_str().to_string())
                .as_deref(),
            Some("+49301234567")
        );
    }

    #[test]
    fn an_international_prefix_does_not_lift_the_length_limit() {
        assert_eq!(n("0044207946000").as_deref(), Some("+44207946000"));
        assert_eq!(n(&format!("810{}", "4".repeat(16))), None);
        assert_eq!(n(&format!("00{}", "4".repeat(300))), None);
    }

    #[test]
    fn canonical_keeps_unparseable_input_visible() {
        assert_eq!(canonical("sip:+74951234567@h", "7"), "+74951234567");
        assert_eq!(canonical("sip:a b@h", "7"), "a b");
    }
}
