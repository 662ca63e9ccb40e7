//! Exact decimal arithmetic for the EN 16931 calculation rules (xs:decimal
//! semantics of the official Schematron: no binary floating point).

use std::cmp::Ordering;

/// A decimal number `mant × 10^-scale`. Values beyond i128 (38 digits) are
/// not representable and parse as `None` (no invoice carries such amounts).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dec {
    mant: i128,
    scale: u32,
}

const MAX_SCALE: u32 = 30;

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Dec {
    pub(crate) const ZERO: Dec = Dec { mant: 0, scale: 0 };

    pub(crate) fn from_int(i: i64) -> Dec {
        Dec {
            mant: i as i128,
            scale: 0,
        }
    }

    /// Parses an xs:decimal lexical value (surrounding whitespace allowed):
    /// optional sign, digits, optional fraction. No exponent.
    pub(crate) fn parse(s: &str) -> Option<Dec> {
        let s = s.trim();
        let (neg, body) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Trailing fraction zeros do not change the value; drop them so the
        // scale stays small.
        let frac = frac.trim_end_matches('0');
        let int = int.trim_start_matches('0');
        if int.len() + frac.len() > 36 || frac.len() as u32 > MAX_SCALE {
            return None;
        }
        let mut mant: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            mant = mant * 10 + (b - b'0') as i128;
        }
        Some(Dec {
            mant: if neg { -mant } else { mant },
            scale: frac.len() as u32,
        })
    }

    fn align(a: Dec, b: Dec) -> Option<(i128, i128, u32)> {
        let scale = a.scale.max(b.scale);
        let am = a.mant.checked_mul(pow10(scale - a.scale)?)?;
        let bm = b.mant.checked_mul(pow10(scale - b.scale)?)?;
        Some((am, bm, scale))
    }

    pub(crate) fn add(self, o: Dec) -> Option<Dec> {
        let (a, b, scale) = Dec::align(self, o)?;
        Some(Dec {
            mant: a.checked_add(b)?,
            scale,
        })
    }

    pub(crate) fn sub(self, o: Dec) -> Option<Dec> {
        let (a, b, scale) = Dec::align(self, o)?;
        Some(Dec {
            mant: a.checked_sub(b)?,
            scale,
        })
    }

    pub(crate) fn mul(self, o: Dec) -> Option<Dec> {
        let d = Dec {
            mant: self.mant.checked_mul(o.mant)?,
            scale: self.scale + o.scale,
        };
        Some(d.normalized())
    }

    /// `self / 100` (exact).
    pub(crate) fn percent(self) -> Dec {
        Dec {
            mant: self.mant,
            scale: self.scale + 2,
        }
        .normalized()
    }

    fn normalized(mut self) -> Dec {
        while self.scale > 0 && self.mant % 10 == 0 {
            self.mant /= 10;
            self.scale -= 1;
        }
        self
    }

    pub(crate) fn abs(self) -> Dec {
        Dec {
            mant: self.mant.abs(),
            scale: self.scale,
        }
    }

    pub(crate) fn is_zero(self) -> bool {
        self.mant == 0
    }

    /// XPath `round($x * 10^digits) div 10^digits`: half rounds towards
    /// positive infinity (`round(-2.5) = -2`).
    pub(crate) fn round_to(self, digits: u32) -> Dec {
        if self.scale <= digits {
            return self;
        }
        let k = self.scale - digits;
        let Some(p) = pow10(k) else {
            return Dec::ZERO;
        };
        let half = p / 2;
        let q = (self.mant + half).div_euclid(p);
        Dec {
            mant: q,
            scale: digits,
        }
        .normalized()
    }

    /// Number of fraction digits as written is checked on the lexical form
    /// elsewhere; this is the value's own minimal scale.
    #[cfg(test)]
    pub(crate) fn scale(self) -> u32 {
        self.scale
    }
}

impl PartialEq for Dec {
    fn eq(&self, o: &Dec) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Dec {}

impl PartialOrd for Dec {
    fn partial_cmp(&self, o: &Dec) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Dec {
    fn cmp(&self, o: &Dec) -> Ordering {
        match Dec::align(*self, *o) {
            Some((a, b, _)) => a.cmp(&b),
            // Overflow while aligning: compare by sign, then by magnitude of
            // the integer parts (cannot overflow).
            None => {
                let ia = self.mant / pow10(self.scale).unwrap_or(1);
                let ib = o.mant / pow10(o.scale).unwrap_or(1);
                ia.cmp(&ib)
            }
        }
    }
}

/// Sum of decimals (`None` on overflow).
pub(crate) fn sum<I: IntoIterator<Item = Dec>>(it: I) -> Option<Dec> {
    it.into_iter().try_fold(Dec::ZERO, Dec::add)
}

/// `string-length(substring-after(s, '.'))`: fraction digits as written.
pub(crate) fn fraction_digits(s: &str) -> usize {
    s.split_once('.').map_or(0, |(_, f)| f.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).expect(s)
    }

    #[test]
    fn parses_and_compares_exactly() {
        // Arrange / Act / Assert
        assert_eq!(d("100.00"), d("100"));
        assert_eq!(d("-0.50"), d("-.5"));
        assert_eq!(d("+1."), d("1"));
        assert!(d("0.1").add(d("0.2")).unwrap() == d("0.3"));
        assert!(d("10.005") > d("10.004"));
        assert_eq!(Dec::parse("1e3"), None);
        assert_eq!(Dec::parse(""), None);
        assert_eq!(Dec::parse("."), None);
        assert_eq!(Dec::parse("12,5"), None);
        assert_eq!(d("1.2300").scale(), 2);
    }

    #[test]
    fn rounds_half_towards_positive_infinity_like_xpath() {
        // Arrange
        let cases = [
            ("2.345", "2.35"),
            ("2.344", "2.34"),
            ("-2.345", "-2.34"),
            ("-2.346", "-2.35"),
            ("7", "7"),
        ];
        for (x, want) in cases {
            // Act
            let got = d(x).round_to(2);
            // Assert
            assert_eq!(got, d(want), "{x}");
        }
        assert_eq!(d("-2.5").round_to(0), d("-2"));
        assert_eq!(d("2.5").round_to(0), d("3"));
    }

    #[test]
    fn multiplies_percentages_exactly() {
        // Arrange
        let base = d("1234.56");
        let rate = d("19").percent();
        // Act
        let tax = base.mul(rate).unwrap().round_to(2);
        // Assert
        assert_eq!(tax, d("234.57"));
        assert_eq!(fraction_digits("1.234"), 3);
        assert_eq!(fraction_digits("12"), 0);
    }
}
