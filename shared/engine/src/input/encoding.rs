//! XML invoices in another encoding than UTF-8: the XML declaration (or a
//! UTF-16 byte order mark) names it, and the document is decoded to UTF-8
//! once, before parsing, so the parser itself only ever reads UTF-8. The
//! official artefacts read such documents; refusing them would be a verdict
//! the artefacts do not give.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::EngineError;

/// How far into the input an XML declaration is looked for.
const DECLARATION_WINDOW: usize = 256;

/// The input as UTF-8: borrowed when it already is (or is not XML at all),
/// decoded when a byte order mark, the UTF-16 shape of `<?` or the XML
/// declaration says otherwise.
pub(crate) fn to_utf8(bytes: &[u8]) -> Result<Cow<'_, [u8]>, EngineError> {
    let encoding = match bytes {
        [0xFF, 0xFE, ..] | [b'<', 0, b'?', 0, ..] => UTF_16LE,
        [0xFE, 0xFF, ..] | [0, b'<', 0, b'?', ..] => UTF_16BE,
        _ => match declared_encoding(bytes) {
            Some(label) => Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                EngineError::MalformedXml(format!(
                    "the XML declaration names an unknown encoding {label:?}"
                ))
            })?,
            None => return Ok(Cow::Borrowed(bytes)),
        },
    };
    if encoding == UTF_8 {
        return Ok(Cow::Borrowed(bytes));
    }
    // The byte order mark is not part of the document.
    let (without_bom, _) = match Encoding::for_bom(bytes) {
        Some((bom_encoding, len)) if bom_encoding == encoding => (&bytes[len..], len),
        _ => (bytes, 0),
    };
    encoding
        .decode_without_bom_handling_and_without_replacement(without_bom)
        .map(|text| Cow::Owned(text.into_owned().into_bytes()))
        .ok_or_else(|| EngineError::MalformedXml(format!("not valid {} text", encoding.name())))
}

/// The `encoding` of an XML declaration at the very start of `bytes`
/// (ASCII-compatible encodings write it in ASCII).
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(DECLARATION_WINDOW)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let declaration = head.strip_prefix(b"<?xml")?;
    let end = declaration.windows(2).position(|w| w == b"?>")?;
    let declaration = std::str::from_utf8(&declaration[..end]).ok()?;
    let after = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_input_is_borrowed_untouched() {
        // Arrange
        let inputs: [&[u8]; 3] = [
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>",
            b"<a/>",
            b"%PDF-1.7",
        ];
        // Act
        let out: Vec<_> = inputs.iter().map(|i| to_utf8(i).expect("utf-8")).collect();
        // Assert
        assert!(out.iter().all(|o| matches!(o, Cow::Borrowed(_))));
    }

    #[test]
    fn declared_latin1_is_decoded() {
        // Arrange
        let doc = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>Caf\xe9</a>";
        // Act
        let out = to_utf8(doc).expect("decoded");
        // Assert
        assert!(std::str::from_utf8(&out)
            .expect("utf-8")
            .ends_with("<a>Caf\u{e9}</a>"));
    }

    #[test]
    fn utf16_with_and_without_bom_is_decoded() {
        // Arrange
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>\u{20ac}</a>";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be_bom: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        // Act
        let got = [to_utf8(&le).expect("le"), to_utf8(&be_bom).expect("be")];
        // Assert
        for g in got {
            assert_eq!(std::str::from_utf8(&g).expect("utf-8"), text);
        }
    }

    #[test]
    fn unknown_or_broken_encodings_are_malformed_xml() {
        // Arrange
        let unknown = b"<?xml version='1.0' encoding='klingon'?><a/>";
        let odd_utf16 = [0xFF, 0xFE, b'<', 0, b'a'];
        // Act
        let errors = [to_utf8(unknown), to_utf8(&odd_utf16)];
        // Assert
        for e in errors {
            assert_eq!(e.map(|_| ()).map_err(|e| e.code()), Err("malformed_xml"));
        }
    }
}
