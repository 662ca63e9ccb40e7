//! Opaque, prefixed identifiers (`ses_…`, `fil_…`, `job_…`, `evt_…`, `rpl_…`).
//!
//! The body is 26 characters of Crockford base32 encoding 48 bits of
//! milliseconds and 80 random bits (the ULID layout), so ids sort by creation
//! time and cannot be guessed. Parsing checks prefix and alphabet, which lets
//! handlers answer 404 for a malformed id without touching the database.

use std::fmt;

use rand::RngCore;
use serde::{Deserialize, Serialize};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BODY_LEN: usize = 26;

fn new_body() -> String {
    let millis = chrono::Utc::now().timestamp_millis().max(0) as u128;
    let mut random = [0u8; 10];
    rand::rng().fill_bytes(&mut random);
    let mut value = millis << 80;
    for (i, byte) in random.iter().enumerate() {
        value |= u128::from(*byte) << (8 * (9 - i));
    }
    (0..BODY_LEN)
        .rev()
        .map(|i| ALPHABET[((value >> (5 * i)) & 0x1f) as usize] as char)
        .collect()
}

fn is_valid_body(body: &str) -> bool {
    body.len() == BODY_LEN && body.bytes().all(|b| ALPHABET.contains(&b))
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, new_body()))
            }

            /// Accepts only well-formed ids of this type.
            pub fn parse(raw: &str) -> Option<Self> {
                raw.strip_prefix($prefix)
                    .filter(|body| is_valid_body(body))
                    .map(|_| Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw).ok_or_else(|| format!("not a {} id: {raw:?}", $prefix))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

prefixed_id!(SessionId, "ses_");
prefixed_id!(FileId, "fil_");
prefixed_id!(JobId, "job_");
prefixed_id!(EventId, "evt_");
prefixed_id!(ReplayId, "rpl_");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_carry_their_prefix() {
        let id = JobId::generate();
        assert!(id.as_str().starts_with("job_"));
        assert_eq!(id.as_str().len(), 4 + BODY_LEN);
        assert_eq!(JobId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn ids_of_another_type_or_alphabet_are_rejected() {
        let session = SessionId::generate();
        assert_eq!(JobId::parse(session.as_str()), None);
        assert_eq!(SessionId::parse("ses_"), None);
        assert_eq!(
            SessionId::parse("ses_01J9Z5Q2V4N8K3M6P7R9T1W2XU"),
            None,
            "U is not Crockford"
        );
        assert_eq!(
            SessionId::parse("ses_01J9Z5Q2V4N8K3M6P7R9T1W2X"),
            None,
            "too short"
        );
        assert_eq!(SessionId::parse("ses_../../etc/passwd1234567"), None);
    }

    #[test]
    fn ids_sort_by_creation_time() {
        let first = FileId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = FileId::generate();
        assert!(first < second);
    }
}
