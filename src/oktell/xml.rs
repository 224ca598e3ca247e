//! Oktell's XML answers (`oktellxmlmapper`, from `execsvcscript`, `tst_getuserstate`, ...), read by
//! a small reader of our own after decoding the bytes: Oktell writes `encoding="utf-16"` and may
//! send UTF-16.
//!
//! The shim hands a response body over as UTF-8 text, except when the content type says XML or
//! UTF-16: then it passes the raw bytes, one Latin-1 character per byte, and marks the response with
//! the [`RAW_BODY_HEADER`] header, so that the core can decode UTF-16 itself.

use crate::http::{HttpResponse, RAW_BODY_HEADER};
use crate::i18n::{oktell as m, t, Text};

/// Decodes XML bytes: UTF-16LE/BE by byte-order mark (or by the `<\0` / `\0<` pattern of an
/// unmarked UTF-16 document), otherwise UTF-8 (with or without a BOM).
pub fn decode(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], le: bool| -> String {
        let units = rest.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    match bytes {
        [0xff, 0xfe, rest @ ..] => utf16(rest, true),
        [0xfe, 0xff, rest @ ..] => utf16(rest, false),
        [0xef, 0xbb, 0xbf, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        [b'<', 0, ..] => utf16(bytes, true),
        [0, b'<', ..] => utf16(bytes, false),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The response body as text: decoded from raw bytes when the shim passed them, else as given
/// (with NULs dropped, which recovers the ASCII of UTF-16 that a host decoded as UTF-8).
pub fn body_text(r: &HttpResponse) -> String {
    if r.header(RAW_BODY_HEADER).is_some() {
        let bytes: Vec<u8> = r.body.chars().map(|c| c as u32 as u8).collect();
        return decode(&bytes);
    }
    if r.body.contains('\0') {
        return r
            .body
            .chars()
            .filter(|c| *c != '\0' && *c != '\u{fffd}')
            .collect();
    }
    r.body.trim_start_matches('\u{feff}').to_string()
}

/// One `<property_simple key value name/>` or `<property_cdata key>…</property_cdata>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prop {
    /// The `key` attribute.
    pub key: String,
    /// The `value` attribute, or the element's text/CDATA.
    pub value: String,
    /// The `name` attribute (some values arrive only there).
    pub name: String,
}

/// Reads every property of an `oktellxmlmapper` document, in document order.
///
/// The reader is [`Reader`] below: it accepts and rejects exactly what quick-xml 0.37 did (with
/// its default configuration: end tags must match, attributes unchecked for duplicates, the
/// predefined entities and character references only), and reports a malformed document at the
/// byte quick-xml reported (`buffer_position`), so that the messages did not change with it. The
/// tests compare the two on generated documents.
pub fn parse_mapper(text: &str) -> Result<Vec<Prop>, Text> {
    let mut reader = Reader::new(text);
    let mut props: Vec<Prop> = Vec::new();
    let mut depth = 0usize;
    let mut root = false;
    let mut open: Option<Prop> = None;
    let fail = |reader: &Reader| t!(m::XML_MALFORMED, reader.position());
    loop {
        let event = reader.next().ok_or_else(|| fail(&reader))?;
        match event {
            Event::Start(tag, attrs, empty) => {
                if depth == 0 {
                    if tag != "oktellxmlmapper" {
                        return Err(t!(m::XML_ROOT, crate::http::snippet(tag, 40)));
                    }
                    root = true;
                }
                let prop_tag = tag == "property_simple" || tag == "property_cdata";
                let mut p = Prop::default();
                if prop_tag {
                    // A repeated attribute's last value wins (quick-xml was asked not to check:
                    // its check is quadratic in the number of attributes).
                    for (key, value) in attributes(attrs).ok_or_else(|| fail(&reader))? {
                        let value = unescape(value).ok_or_else(|| fail(&reader))?;
                        match key {
                            "key" => p.key = value,
                            "value" => p.value = value,
                            "name" => p.name = value,
                            _ => {}
                        }
                    }
                }
                if empty {
                    if prop_tag {
                        props.push(p);
                    }
                } else {
                    if prop_tag {
                        open = Some(p);
                    }
                    depth += 1;
                }
            }
            Event::Text(text) => {
                if let Some(p) = open.as_mut() {
                    let text = unescape(text).ok_or_else(|| fail(&reader))?;
                    p.value.push_str(text.trim());
                }
            }
            Event::CData(text) => {
                if let Some(p) = open.as_mut() {
                    p.value.push_str(text);
                }
            }
            Event::End => {
                depth = depth.saturating_sub(1);
                if let Some(p) = open.take() {
                    props.push(p);
                }
            }
            Event::Other => {}
            Event::Eof => break,
        }
    }
    if !root {
        return Err(t!(m::XML_NO_MAPPER));
    }
    if depth != 0 {
        return Err(t!(m::XML_UNFINISHED));
    }
    Ok(props)
}

/// What [`Reader`] met next.
enum Event<'a> {
    /// `<name …>`: the name, the rest of the tag (its attributes), and whether it was `<name …/>`.
    Start(&'a str, &'a str, bool),
    /// `</name>`, matching the innermost open element.
    End,
    /// Text between tags, as written (entities not yet replaced).
    Text(&'a str),
    /// The content of `<![CDATA[…]]>`.
    CData(&'a str),
    /// A declaration, processing instruction, comment or doctype.
    Other,
    /// The end of the document.
    Eof,
}

/// XML whitespace.
fn ws(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

/// The index of the first `>` in `b` that is outside quotes (a tag's end).
fn tag_end(b: &[u8]) -> Option<usize> {
    let mut quote = 0u8;
    for (i, &c) in b.iter().enumerate() {
        if quote == 0 {
            match c {
                b'>' => return Some(i),
                b'"' | b'\'' => quote = c,
                _ => {}
            }
        } else if c == quote {
            quote = 0;
        }
    }
    None
}

/// A pull reader of XML text, in the steps of quick-xml's: text up to a `<`, then the markup up to
/// its `>`. It checks what quick-xml checked and no more: that end tags match, and that comments,
/// CDATA, doctypes, processing instructions and tags are closed. Anything else is left to the
/// caller.
struct Reader<'a> {
    text: &'a str,
    /// The byte after what has been read.
    at: usize,
    /// The last text ended at a `<` that has not been read yet.
    markup: bool,
    /// The names of the open elements.
    open: Vec<&'a str>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text: text.strip_prefix('\u{feff}').unwrap_or(text),
            at: 0,
            markup: false,
            open: Vec::new(),
        }
    }

    /// Where the reader stands, to report a malformed document: the end of what it has read, or
    /// the `<` that ended the text it read last (positions after a byte-order mark).
    fn position(&self) -> usize {
        self.at - usize::from(self.markup)
    }

    /// The next event, or `None` when the document is malformed there.
    fn next(&mut self) -> Option<Event<'a>> {
        let text = self.text;
        let b = text.as_bytes();
        if !self.markup {
            let rest = &text[self.at..];
            match rest.bytes().position(|c| c == b'<') {
                None => {
                    self.at = b.len();
                    return Some(if rest.is_empty() {
                        Event::Eof
                    } else {
                        Event::Text(rest)
                    });
                }
                Some(0) => self.at += 1,
                Some(i) => {
                    self.at += i + 1;
                    self.markup = true;
                    return Some(Event::Text(&rest[..i]));
                }
            }
        }
        self.markup = false;
        let start = self.at;
        let rest = &b[start..];
        // The markup's end (its `>` at `rest[end]`), and the event if it is well formed.
        let (end, event) = match rest.first()? {
            b'!' => {
                let gts = || {
                    rest.iter()
                        .enumerate()
                        .filter(|c| *c.1 == b'>')
                        .map(|c| c.0)
                };
                let end = match rest.get(1)? {
                    b'-' => gts().find(|&i| i > 4 && rest[..i].ends_with(b"--")),
                    b'[' => gts().find(|&i| rest[..i].ends_with(b"]]")),
                    b'D' | b'd' => {
                        let mut balance = 0usize;
                        rest.iter().position(|&c| match c {
                            b'<' => {
                                balance += 1;
                                false
                            }
                            b'>' if balance == 0 => true,
                            b'>' => {
                                balance -= 1;
                                false
                            }
                            _ => false,
                        })
                    }
                    _ => return None,
                };
                let Some(end) = end else {
                    self.at = b.len();
                    return None;
                };
                let body = &rest[..end];
                let event = if body.starts_with(b"!--") {
                    Some(Event::Other)
                } else if body.starts_with(b"![CDATA[") {
                    Some(Event::CData(&text[start + 8..start + end - 2]))
                } else {
                    let doctype = body.len() >= 8 && body[..8].eq_ignore_ascii_case(b"!DOCTYPE");
                    (doctype && body[8..].iter().any(|&c| !ws(c))).then_some(Event::Other)
                };
                (end, event)
            }
            b'?' => {
                let end = (1..rest.len())
                    .find(|&i| rest[i] == b'>' && rest[i - 1] == b'?')
                    .unwrap_or(rest.len());
                (end, (end > 1).then_some(Event::Other))
            }
            b'/' => {
                let end = tag_end(rest).unwrap_or(rest.len());
                let name = &text[start + 1..start + end];
                let trimmed = name.trim_end_matches(|c: char| c.is_ascii() && ws(c as u8));
                let name = if trimmed.is_empty() { name } else { trimmed };
                let matched = self.open.pop() == Some(name);
                (end, matched.then_some(Event::End))
            }
            _ => {
                let end = tag_end(rest).unwrap_or(rest.len());
                let tag = &text[start..start + end];
                let (tag, empty) = match tag.strip_suffix('/') {
                    Some(tag) => (tag, true),
                    None => (tag, false),
                };
                let name_len = tag.bytes().position(ws).unwrap_or(tag.len());
                let name = &tag[..name_len];
                if !empty {
                    self.open.push(name);
                }
                (end, Some(Event::Start(name, &tag[name_len..], empty)))
            }
        };
        if end == rest.len() {
            // Not closed before the end of the document.
            self.at = b.len();
            return None;
        }
        self.at = start + end + 1;
        event
    }
}

/// The attributes of a tag, `key="value"` or `key='value'` with whitespace around `=`, in order;
/// `None` when one is not written so.
fn attributes(attrs: &str) -> Option<Vec<(&str, &str)>> {
    let b = attrs.as_bytes();
    let n = b.len();
    let skip = |mut i: usize| {
        while i < n && ws(b[i]) {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut i = skip(0);
    while i < n {
        let key_start = i;
        i += 1;
        while i < n && b[i] != b'=' && !ws(b[i]) {
            i += 1;
        }
        let key = &attrs[key_start..i];
        i = skip(i);
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i = skip(i + 1);
        let quote = *b.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        let len = b[i + 1..].iter().position(|&c| c == quote)?;
        out.push((key, &attrs[i + 1..i + 1 + len]));
        i = skip(i + len + 2);
    }
    Some(out)
}

/// Text with XML's five predefined entities and its character references (`&#…;`, `&#x…;`)
/// replaced; `None` for any other `&…;` or an `&` with no `;` before the next `&`.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .find([';', '&'])
            .filter(|&i| after.as_bytes()[i] == b';')?;
        let name = &after[..semi];
        match name {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "apos" => out.push('\''),
            "quot" => out.push('"'),
            _ => {
                let number = name.strip_prefix('#')?;
                let (digits, radix) = match number.strip_prefix('x') {
                    Some(hex) => (hex, 16),
                    None => (number, 10),
                };
                if digits.starts_with(['+', '-']) {
                    return None;
                }
                let code = u32::from_str_radix(digits, radix)
                    .ok()
                    .filter(|&c| c != 0)?;
                out.push(char::from_u32(code)?);
            }
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The property with `key`, if any.
pub fn prop<'a>(props: &'a [Prop], key: &str) -> Option<&'a Prop> {
    props.iter().find(|p| p.key == key)
}

#[cfg(test)]
mod tests {
    use super::parse_mapper;
    use crate::sha::tests::Rng;

    /// A reading in plain values: the reference (`elma365_voip_fuzz_logic::reference`, the
    /// `parse_mapper` that was written on quick-xml 0.37, which the fuzz target `parsers` compares
    /// too) links the crate's library, a crate apart from this test's, so its types are other types.
    macro_rules! plain {
        ($r:expr) => {
            $r.map(|ps| {
                ps.into_iter()
                    .map(|p| [p.key, p.value, p.name])
                    .collect::<Vec<_>>()
            })
            .map_err(|e| e.to_string())
        };
    }

    fn same(doc: &str) {
        let reference = elma365_voip_fuzz_logic::reference::parse_mapper(doc);
        assert_eq!(plain!(parse_mapper(doc)), plain!(reference), "{doc:?}");
    }

    /// Documents as Oktell writes them, and every kind of markup the reader meets.
    const DOCS: &[&str] = &[
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<oktellxmlmapper version=\"80710\">\r\n  <data name=\"result\">\r\n    <property_simple key=\"started\" value=\"1\" />\r\n    <property_cdata key=\"returnvalue\"><![CDATA[ {\"items\": [1, 2]} ]]></property_cdata>\r\n  </data>\r\n</oktellxmlmapper>\r\n",
        "\u{feff}<oktellxmlmapper><property_simple key='state' value='1' name=\"usReady\"/></oktellxmlmapper>",
        "<!DOCTYPE oktellxmlmapper [<!ENTITY x \"y\">]><!-- c --><oktellxmlmapper><?pi x?><property_cdata key=\"a\"> x &amp; &#x41;&#66; <!--c--> y <b>z</b> w </property_cdata></oktellxmlmapper>",
        "<oktellxmlmapper><property_simple key = \"a\" value=\"&lt;&gt;&apos;&quot;\"name='n'/><property_simple key=\"a\" key=\"b\"/></oktellxmlmapper>",
        "<oktellxmlmapper><data></data></oktellxmlmapper><oktellxmlmapper/>trailing",
    ];

    #[test]
    fn known_documents_read_as_quick_xml_read_them() {
        for doc in DOCS {
            same(doc);
        }
        assert_eq!(parse_mapper(DOCS[2]).unwrap()[0].value, "x & AByz");
        for bad in [
            "",
            "<",
            "<!",
            "<!x>",
            "<!-->",
            "<!-- -->",
            "<!-x-->",
            "<![CDATA[x]>",
            "<![CDAT[x]]>",
            "<!DOCTYPE>",
            "<!DOCTYPE  >",
            "<!doctype x>",
            "<!Dx>",
            "<?",
            "<?>",
            "<??>",
            "<?x?",
            "</a>",
            "<a></b>",
            "<a></a >",
            "<a></ a>",
            "<a b='>'>",
            "<a b=\">",
            "x<y",
            "<oktellxmlmapper><property_simple key=\"a\" value=\"&bogus;\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=\"&#0;\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=\"&#x110000;\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=\"&#-1;\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=\"&#+1;\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=\"&#X41;\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=\"&amp&amp;\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=\"a;&amp;;\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=a/></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key= /></oktellxmlmapper>",
            "<oktellxmlmapper><property_simple key=\"a\"value=\"b\" = \"c\"/></oktellxmlmapper>",
            "<oktellxmlmapper><property_cdata key=\"a\">&x</property_cdata></oktellxmlmapper>",
            "<oktellxmlmapper><property_cdata key=\"a\">&x",
            "<oktellxmlmapper><property_cdata key=\"a\">ok",
            "<oktellxmlmapper><property_cdata key=\"a\"></",
            "<oktellxmlmapper></ oktellxmlmapper>",
            "<oktellxmlmapper></oktellxmlmapper\r\n>",
            "<оkтелл/>",
        ] {
            same(bad);
        }
    }

    /// Pieces that generated documents are made of: the markup the reader tells apart, names
    /// and attributes that matter, entities and references, whitespace and non-ASCII text.
    const PIECES: &[&str] = &[
        "<",
        ">",
        "/",
        "/>",
        "</",
        "!",
        "?",
        "<?",
        "?>",
        "<!--",
        "-->",
        "--",
        "-",
        "<![CDATA[",
        "]]>",
        "]]",
        "]",
        "[",
        "<!DOCTYPE",
        "<!doctype ",
        "<!D",
        "oktellxmlmapper",
        "<oktellxmlmapper>",
        "</oktellxmlmapper>",
        "<property_simple",
        "<property_cdata",
        "</property_cdata>",
        "property_cdata",
        "<data>",
        "</data>",
        " key=",
        " value=",
        " name=",
        "key",
        "=",
        " = ",
        "\"",
        "'",
        "\"a\"",
        "'b'",
        "&",
        ";",
        "&amp;",
        "&lt;",
        "&#",
        "&#x",
        "&#65;",
        "&#x41;",
        "&#0;",
        "&#x110000;",
        "&bogus;",
        "x",
        "1",
        " ",
        "  ",
        "\t",
        "\r\n",
        "\n",
        "я",
        "\u{feff}",
        "\u{fffd}",
        "\0",
        "ab",
    ];

    fn generated(rng: &mut Rng) -> String {
        let base = DOCS[(rng.next() % DOCS.len() as u64) as usize];
        let mut doc = String::new();
        match rng.next() % 3 {
            // A known document with pieces inserted, deleted or replaced.
            0 => {
                let mut chars: Vec<String> = base.chars().map(String::from).collect();
                for _ in 0..1 + rng.next() % 4 {
                    let at = (rng.next() % (chars.len() as u64 + 1)) as usize;
                    let piece = PIECES[(rng.next() % PIECES.len() as u64) as usize].to_string();
                    match rng.next() % 3 {
                        0 => chars.insert(at, piece),
                        1 if at < chars.len() => {
                            chars.remove(at);
                        }
                        _ if at < chars.len() => chars[at] = piece,
                        _ => chars.push(piece),
                    }
                }
                doc = chars.concat();
            }
            // A known document cut short.
            1 => {
                let cut = (rng.next() % (base.len() as u64 + 1)) as usize;
                let cut = (0..=cut)
                    .rev()
                    .find(|&i| base.is_char_boundary(i))
                    .unwrap_or(0);
                doc.push_str(&base[..cut]);
            }
            // Pieces at random, most often inside a mapper.
            _ => {
                if rng.next() % 4 != 0 {
                    doc.push_str("<oktellxmlmapper>");
                }
                for _ in 0..rng.next() % 24 {
                    doc.push_str(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
                }
            }
        }
        doc
    }

    #[test]
    fn generated_documents_read_as_quick_xml_read_them() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut accepted, mut props) = (0, 0);
        for _ in 0..60_000 {
            let doc = generated(&mut rng);
            same(&doc);
            if let Ok(p) = parse_mapper(&doc) {
                accepted += 1;
                props += p.len();
            }
        }
        // The generator reaches both outcomes, and documents with properties.
        assert!(accepted > 2_000 && props > 2_000, "{accepted} {props}");
    }
}
