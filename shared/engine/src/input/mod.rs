//! Bytes in: the XML parser, the PDF attachment reader and the detection of
//! what a document is.

pub(crate) mod detect;
pub(crate) mod encoding;
pub(crate) mod pdf;
pub(crate) mod xml;
