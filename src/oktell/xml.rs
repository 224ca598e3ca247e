//! Oktell's XML answers (`oktellxmlmapper`, from `execsvcscript`, `tst_getuserstate`, ...), read with
//! quick-xml after decoding the bytes: Oktell writes `encoding="utf-16"` and may send UTF-16.
//!
//! The shim hands a response body over as UTF-8 text, except when the content type says XML or
//! UTF-16: then it passes the raw bytes, one Latin-1 character per byte, and marks the response with
//! the [`RAW_BODY_HEADER`] header, so that the core can decode UTF-16 itself.

use crate::http::{HttpResponse, RAW_BODY_HEADER};
use crate::i18n::{oktell as m, t, Text};
use quick_xml::events::Event;
use quick_xml::Reader;

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
pub fn parse_mapper(text: &str) -> Result<Vec<Prop>, Text> {
    let mut reader = Reader::from_str(text);
    let mut props: Vec<Prop> = Vec::new();
    let mut depth = 0usize;
    let mut root = false;
    let mut open: Option<Prop> = None;
    // The parser's own error texts are left out on purpose: their formatting code is large.
    let fail = |reader: &Reader<&[u8]>| t!(m::XML_MALFORMED, reader.buffer_position());
    loop {
        let event = reader.read_event().map_err(|_| fail(&reader))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let tag = e.name();
                let tag = tag.as_ref();
                if depth == 0 {
                    if tag != b"oktellxmlmapper" {
                        return Err(t!(
                            m::XML_ROOT,
                            crate::http::snippet(&String::from_utf8_lossy(tag), 40)
                        ));
                    }
                    root = true;
                }
                let prop_tag = tag == b"property_simple" || tag == b"property_cdata";
                let mut p = Prop::default();
                if prop_tag {
                    // Unchecked: the duplicate-name check is quadratic in the number of
                    // attributes (a repeated attribute's last value wins).
                    for attr in e.attributes().with_checks(false) {
                        let attr = attr.map_err(|_| fail(&reader))?;
                        let value = attr
                            .unescape_value()
                            .map_err(|_| fail(&reader))?
                            .into_owned();
                        match attr.key.as_ref() {
                            b"key" => p.key = value,
                            b"value" => p.value = value,
                            b"name" => p.name = value,
                            _ => {}
                        }
                    }
                }
                if matches!(event, Event::Empty(_)) {
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
            Event::Text(t) => {
                if let Some(p) = open.as_mut() {
                    let text = t.unescape().map_err(|_| fail(&reader))?;
                    p.value.push_str(text.trim());
                }
            }
            Event::CData(t) => {
                if let Some(p) = open.as_mut() {
                    p.value.push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if let Some(p) = open.take() {
                    props.push(p);
                }
            }
            Event::Eof => break,
            _ => {}
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

/// The property with `key`, if any.
pub fn prop<'a>(props: &'a [Prop], key: &str) -> Option<&'a Prop> {
    props.iter().find(|p| p.key == key)
}
