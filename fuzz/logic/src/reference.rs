//! The readers the core's hand-written ones replaced, kept as they were, for the fuzz target
//! [`crate::parsers`] and the core's own tests to compare with.

use elma365_voip::http::snippet;
use elma365_voip::i18n::{oktell as m, Arg, Text};
use elma365_voip::oktell::xml::Prop;
use quick_xml::events::Event;
use quick_xml::Reader;

/// `elma365_voip::oktell::xml::parse_mapper` as it was written on quick-xml 0.37, with its
/// configuration then: end tags checked, attributes not checked for duplicates, the parser's own
/// error texts left out (the position quick-xml gives instead).
pub fn parse_mapper(text: &str) -> Result<Vec<Prop>, Text> {
    let mut reader = Reader::from_str(text);
    let mut props: Vec<Prop> = Vec::new();
    let mut depth = 0usize;
    let mut root = false;
    let mut open: Option<Prop> = None;
    let fail = |reader: &Reader<&[u8]>| {
        Text::new(m::XML_MALFORMED, vec![Arg::from(reader.buffer_position())])
    };
    loop {
        let event = reader.read_event().map_err(|_| fail(&reader))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let tag = e.name();
                let tag = tag.as_ref();
                if depth == 0 {
                    if tag != b"oktellxmlmapper" {
                        return Err(Text::new(
                            m::XML_ROOT,
                            vec![Arg::from(snippet(&String::from_utf8_lossy(tag), 40))],
                        ));
                    }
                    root = true;
                }
                let prop_tag = tag == b"property_simple" || tag == b"property_cdata";
                let mut p = Prop::default();
                if prop_tag {
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
        return Err(Text::new(m::XML_NO_MAPPER, vec![]));
    }
    if depth != 0 {
        return Err(Text::new(m::XML_UNFINISHED, vec![]));
    }
    Ok(props)
}
