//! The one catalogue of admin-facing messages, in Russian (the default) and English.
//!
//! Every sentence an admin can read (a fail reason of «Проверить соединение», an error thrown by a
//! contract function, a settings problem, a hint naming the setting to check) is one [`Msg`] here,
//! with both languages side by side: [`catalogue!`] takes no entry without both. Code builds a
//! [`Text`] (a message and its arguments) and renders it only at the edge, in the language of the
//! `language` setting ([`Lang`]). Arguments are foreign text quoted as it came (a PBX's own
//! words, a network error), numbers, settings fields (named per language by [`Arg::Field`]), or
//! nested texts. A test proves every entry has both languages with the same placeholders.
//!
//! The catalogue is split by area ([`common`], [`oktell`], [`rostelecom`]); it is still one
//! catalogue: one macro, one naming scheme, one completeness test over all of it.

pub mod common;
pub mod crm;
pub mod oktell;
pub mod rostelecom;

/// The language of admin-facing texts: the `language` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// Russian: ELMA365's admins mostly read it. The default.
    #[default]
    Ru,
    /// English (BRIX365).
    En,
}

impl Lang {
    /// Reads the `language` setting: `ru` or `en` in any case, a locale such as `en-US`, or empty
    /// (Russian). `None` for anything else.
    pub fn parse(value: Option<&str>) -> Option<Lang> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Some(Lang::Ru);
        };
        let code = v.split(['-', '_']).next().unwrap_or(v).to_ascii_lowercase();
        match code.as_str() {
            "ru" | "rus" | "russian" | "русский" => Some(Lang::Ru),
            "en" | "eng" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// One message in both languages. Placeholders are `{0}` … `{9}`, each standing for the argument
/// at that position; both languages use the same set.
///
/// A `Copy` handle on one piece of static bytes: the English text, [`SEPARATOR`], then the Russian
/// packed one byte a character ([`Packed`]). The catalogue's entries are constants, so each use
/// carries the bytes' address and length itself: no table of 16-byte records (two addresses, two
/// lengths) per message in the wasm, which compressed worse than the text (ARCHITECTURE.md, "Where
/// the core's bytes are").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    text: &'static [u8],
}

/// The byte between a message's English and its packed Russian: never in UTF-8 text, never made by
/// [`pack`].
pub const SEPARATOR: u8 = 0xff;

impl Msg {
    /// The English template.
    pub fn en(self) -> &'static str {
        let end = self.split();
        std::str::from_utf8(&self.text[..end]).unwrap_or_default()
    }

    /// The Russian template, packed.
    pub fn ru(self) -> Packed {
        Packed(self.text.get(self.split() + 1..).unwrap_or_default())
    }

    /// Where [`SEPARATOR`] is.
    fn split(self) -> usize {
        self.text
            .iter()
            .position(|&b| b == SEPARATOR)
            .unwrap_or(self.text.len())
    }

    /// The template in `lang`.
    pub fn template(self, lang: Lang) -> std::borrow::Cow<'static, str> {
        match lang {
            Lang::Ru => self.ru().text().into(),
            Lang::En => self.en().into(),
        }
    }
}

/// Russian text packed at compile time one byte a character: ASCII as itself, the Cyrillic
/// letters А…я as 0x80…0xBF, and the few other characters the catalogue uses from 0xC0 on
/// ([`PACKED_EXTRA`]). UTF-8 spends two bytes on a Cyrillic letter; deflate recovers most of
/// that, so this saves a few hundred bytes of the deflated core (ARCHITECTURE.md, "Build").
/// A character outside the set fails the build (in [`pack`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Packed(pub &'static [u8]);

/// The non-ASCII, non-А…я characters of the Russian catalogue, packed as 0xC0 + their index.
pub const PACKED_EXTRA: [char; 8] = ['Ё', 'ё', '«', '»', '—', '…', '→', '№'];

impl Packed {
    /// The text, unpacked.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|&b| match b {
                0..=0x7f => char::from(b),
                0x80..=0xbf => char::from_u32(0x410 + u32::from(b - 0x80)).unwrap_or('?'),
                _ => PACKED_EXTRA
                    .get(usize::from(b - 0xc0))
                    .copied()
                    .unwrap_or('?'),
            })
            .collect()
    }
}

/// The next character of `s` from byte `i`, and the byte after it (const: decodes UTF-8 by hand).
const fn next_char(s: &[u8], i: usize) -> (u32, usize) {
    let b = s[i] as u32;
    if b < 0x80 {
        (b, i + 1)
    } else if b >> 5 == 6 {
        (((b & 0x1f) << 6) | (s[i + 1] as u32 & 0x3f), i + 2)
    } else if b >> 4 == 14 {
        let c = ((b & 0x0f) << 12) | ((s[i + 1] as u32 & 0x3f) << 6) | (s[i + 2] as u32 & 0x3f);
        (c, i + 3)
    } else {
        panic!("the Russian catalogue has a character outside the packed set")
    }
}

/// How many bytes [`pack`] makes of `s`: one a character.
pub const fn packed_len(s: &str) -> usize {
    let (bytes, mut i, mut n) = (s.as_bytes(), 0, 0);
    while i < bytes.len() {
        i = next_char(bytes, i).1;
        n += 1;
    }
    n
}

/// Packs `s` (see [`Packed`]); used by [`catalogue!`] at compile time.
pub const fn pack<const N: usize>(s: &str) -> [u8; N] {
    pack_into([0; N], 0, s)
}

/// A message's bytes ([`Msg`]): `en`, [`SEPARATOR`], then `ru` packed; `N` is
/// `en.len() + 1 + packed_len(ru)`. Used by [`catalogue!`] at compile time.
pub const fn message<const N: usize>(en: &str, ru: &str) -> [u8; N] {
    let (en, mut out, mut i) = (en.as_bytes(), [SEPARATOR; N], 0);
    while i < en.len() {
        out[i] = en[i];
        i += 1;
    }
    pack_into(out, en.len() + 1, ru)
}

/// `out` with `s` packed into it from byte `j` on.
const fn pack_into<const N: usize>(mut out: [u8; N], mut j: usize, s: &str) -> [u8; N] {
    let (bytes, mut i) = (s.as_bytes(), 0);
    while i < bytes.len() {
        let (c, next) = next_char(bytes, i);
        out[j] = if c < 0x80 {
            c as u8
        } else if c >= 0x410 && c <= 0x44f {
            (c - 0x410 + 0x80) as u8
        } else {
            let mut k = 0;
            while k < PACKED_EXTRA.len() && PACKED_EXTRA[k] as u32 != c {
                k += 1;
            }
            if k == PACKED_EXTRA.len() {
                panic!("the Russian catalogue has a character outside the packed set");
            }
            0xc0 + k as u8
        };
        i = next;
        j += 1;
    }
    out
}

/// Declares catalogue entries: `NAME: "English {0}", "Русский {0}";`. Each becomes a
/// `pub const NAME: Msg`; tests also get `ALL`, every entry of the block.
macro_rules! catalogue {
    ($($(#[$doc:meta])* $name:ident: $en:literal, $ru:literal;)*) => {
        $(
            $(#[$doc])*
            pub const $name: $crate::i18n::Msg = $crate::i18n::Msg {
                text: &{
                    const N: usize = $en.len() + 1 + $crate::i18n::packed_len($ru);
                    const P: [u8; N] = $crate::i18n::message::<N>($en, $ru);
                    P
                },
            };
        )*
        /// Every entry of this part of the catalogue, by name (tests only: the shipped core carries
        /// no names).
        #[cfg(test)]
        pub static ALL: &[(&str, $crate::i18n::Msg)] =
            &[$((concat!(module_path!(), "::", stringify!($name)), $name)),*];
    };
}
pub(crate) use catalogue;

/// An argument of a [`Text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// Text quoted as it came: a PBX's words, a URL, a number, a network error.
    Raw(String),
    /// A message of its own, rendered in the same language.
    Text(Text),
    /// A settings field by its code and label (made by `crate::fields::field`): `code («label»)` in
    /// English, `«label» (code)` in Russian.
    Field(&'static str, &'static str),
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Raw(s)
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Raw(s.clone())
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Raw(s.to_string())
    }
}

impl From<Text> for Arg {
    fn from(t: Text) -> Arg {
        Arg::Text(t)
    }
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Arg {
                Arg::Raw(n.to_string())
            }
        }
    )*};
}
number_args!(u16, u32, u64, usize, i64);

/// A message with its arguments, rendered at the edge in the admin's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    msg: Msg,
    args: Vec<Arg>,
}

/// Builds a [`Text`]: `t!(NAME)` or `t!(NAME, arg, …)`, each argument anything that is `Into<Arg>`.
macro_rules! t {
    ($msg:expr $(, $arg:expr)* $(,)?) => {
        $crate::i18n::Text::of($msg, [$($crate::i18n::Arg::from($arg)),*])
    };
}
pub(crate) use t;

impl Text {
    /// A message with its arguments.
    pub fn new(msg: Msg, args: Vec<Arg>) -> Text {
        Text { msg, args }
    }

    /// A message with its arguments: what `t!` calls. Out of line, so that the 231 call sites
    /// share one copy of the allocating code per argument count instead of each inlining `vec!`'s
    /// (−4.3 KB of wasm).
    #[inline(never)]
    pub fn of<const N: usize>(msg: Msg, args: [Arg; N]) -> Text {
        Text {
            msg,
            args: Vec::from(args),
        }
    }

    /// Foreign text quoted as it came, in either language.
    pub fn raw(text: impl Into<String>) -> Text {
        t!(common::RAW, text.into())
    }

    /// The message this text renders.
    pub fn msg(&self) -> Msg {
        self.msg
    }

    /// The text in `lang`. Linear in the size of the result: each placeholder is replaced once.
    pub fn render(&self, lang: Lang) -> String {
        let mut out = String::new();
        self.render_into(lang, &mut out);
        out
    }

    fn render_into(&self, lang: Lang, out: &mut String) {
        let template = self.msg.template(lang);
        let mut rest: &str = &template;
        while let Some(i) = rest.find('{') {
            let b = rest.as_bytes();
            let n = b.get(i + 1).copied().filter(u8::is_ascii_digit);
            match (n, b.get(i + 2)) {
                (Some(n), Some(b'}')) => {
                    out.push_str(&rest[..i]);
                    if let Some(arg) = self.args.get(usize::from(n - b'0')) {
                        render_arg(arg, lang, out);
                    }
                    rest = &rest[i + 3..];
                }
                _ => {
                    out.push_str(&rest[..=i]);
                    rest = &rest[i + 1..];
                }
            }
        }
        out.push_str(rest);
    }
}

fn render_arg(arg: &Arg, lang: Lang, out: &mut String) {
    match arg {
        Arg::Raw(s) => out.push_str(s),
        Arg::Text(t) => t.render_into(lang, out),
        Arg::Field(code, label) => match lang {
            Lang::En => {
                out.push_str(code);
                out.push_str(" («");
                out.push_str(label);
                out.push_str("»)");
            }
            Lang::Ru => {
                out.push('«');
                out.push_str(label);
                out.push_str("» (");
                out.push_str(code);
                out.push(')');
            }
        },
    }
}

/// Renders in English: what `Display` of errors and tests use.
impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// A sentence with its first letter in upper case (a target that starts one). Only an ASCII letter
/// is raised: every sentence it is given starts with one or with a capital already (a test in
/// `error.rs` renders them with every target in both languages), and `char::to_uppercase` would
/// link std's case table (about 13.6 KB) into the wasm.
pub fn capitalised(mut s: String) -> String {
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every catalogue entry, from every part.
    pub fn every_message() -> Vec<(&'static str, Msg)> {
        [common::ALL, crm::ALL, oktell::ALL, rostelecom::ALL].concat()
    }

    fn placeholders(template: &str) -> Vec<u8> {
        let b = template.as_bytes();
        let mut out: Vec<u8> = (0..b.len().saturating_sub(2))
            .filter(|&i| b[i] == b'{' && b[i + 1].is_ascii_digit() && b[i + 2] == b'}')
            .map(|i| b[i + 1] - b'0')
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn the_catalogue_is_complete_in_both_languages() {
        let all = every_message();
        assert!(all.len() > 50, "{} messages", all.len());
        let mut keys: Vec<&str> = all.iter().map(|(key, _)| *key).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is declared twice");
        for (key, m) in all {
            let ru = m.ru().text();
            assert!(!m.en().trim().is_empty(), "{}: no English", key);
            assert!(!ru.trim().is_empty(), "{}: no Russian", key);
            assert_eq!(
                placeholders(m.en()),
                placeholders(&ru),
                "{}: the languages use different placeholders",
                key
            );
            // Every placeholder from 0 to the highest is used: no argument is silently dropped.
            let p = placeholders(m.en());
            assert!(
                p.iter().enumerate().all(|(i, &n)| usize::from(n) == i),
                "{}: placeholders {p:?}",
                key
            );
            // Russian is Russian: a message that only quotes (RAW) or names codes may have no Cyrillic.
            let cyrillic = ru
                .chars()
                .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c)));
            let latin = ru.chars().any(|c| c.is_ascii_alphabetic());
            assert!(
                cyrillic || !latin || ru == m.en(),
                "{}: the Russian text has no Russian in it",
                key
            );
            assert!(
                m.en()
                    .chars()
                    .all(|c| !('а'..='я').contains(&c) || m.en().contains('«')),
                "{}: the English text is Russian outside a quoted label",
                key
            );
        }
    }

    #[test]
    fn fields_are_named_per_language() {
        let t = t!(common::RAW, Arg::Field("rtSignKey", "Ключ подписи"));
        assert_eq!(t.render(Lang::En), "rtSignKey («Ключ подписи»)");
        assert_eq!(t.render(Lang::Ru), "«Ключ подписи» (rtSignKey)");
    }

    #[test]
    fn rendering_substitutes_each_placeholder_once_and_keeps_other_braces() {
        const EN: &str = "{1} and {0} {x} {";
        const M: Msg = Msg {
            text: &message::<{ EN.len() + 1 + 9 }>(EN, "{0} и {1}"),
        };
        let t = Text::new(M, vec!["{1}".into(), t!(common::RAW, "b").into()]);
        assert_eq!(t.render(Lang::En), "b and {1} {x} {");
        assert_eq!(t.render(Lang::Ru), "{1} и b");
    }

    #[test]
    fn russian_text_packs_one_byte_a_character_and_unpacks_as_it_was() {
        const S: &str = "Ёж «ёлка» — №1… → АБВяюэ plain ASCII {0}";
        const N: usize = packed_len(S);
        assert_eq!(N, S.chars().count());
        static P: [u8; N] = pack::<N>(S);
        assert_eq!(Packed(&P).text(), S);
        for (_, m) in every_message() {
            assert!(m.ru().0.len() < m.ru().text().len() || m.ru().text().is_ascii());
        }
    }

    #[test]
    fn the_language_setting_is_read_leniently() {
        assert_eq!(Lang::parse(None), Some(Lang::Ru));
        assert_eq!(Lang::parse(Some(" ")), Some(Lang::Ru));
        assert_eq!(Lang::parse(Some("EN")), Some(Lang::En));
        assert_eq!(Lang::parse(Some("en-US")), Some(Lang::En));
        assert_eq!(Lang::parse(Some("ru_RU")), Some(Lang::Ru));
        assert_eq!(Lang::parse(Some("de")), None);
    }
}
