//! Exact decimal arithmetic for the EN 16931 calculation rules (xs:decimal
//! semantics of the official Schematron: no binary floating point).

use std::cmp::Ordering;

use num_bigint::BigInt;

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

    /// The nearest `xs:double`: XPath's promotion of a decimal compared
    /// with a double. Rust's float parsing rounds correctly.
    pub(crate) fn to_f64(self) -> f64 {
        format!("{}e-{}", self.mant, self.scale)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// Compares with the exact binary value of a finite double, as a
    /// comparison with `xs:decimal($d)` does (the cast keeps every binary
    /// digit: `xs:decimal(1234.56e0 - 1)` is 1233.5599999999999454…).
    /// `None` for NaN and the infinities, which the cast refuses.
    pub(crate) fn cmp_exact_f64(self, d: f64) -> Option<Ordering> {
        if !d.is_finite() {
            return None;
        }
        let nearest = self.to_f64();
        if nearest != d {
            // Rounding is monotonic: a double on either side of the nearest
            // double is on the same side of the decimal itself.
            return nearest.partial_cmp(&d);
        }
        // self = mant / 10^scale, d = m × 2^e: compare
        // mant × 2^max(0, -e) with m × 2^max(0, e) × 10^scale.
        let (m, e) = binary_parts(d);
        let lhs = BigInt::from(self.mant) << (-e).max(0) as usize;
        let rhs = (m << e.max(0) as usize) * BigInt::from(10u32).pow(self.scale);
        Some(lhs.cmp(&rhs))
    }

    /// `round(xs:decimal($d) * 10^digits) div 10^digits` of a double: its
    /// exact binary value rounded, halves towards positive infinity (the
    /// sum 1.005 of doubles is 1.00499999999999989…, so 1.00, where its
    /// shortest form would round to 1.01). `None` for NaN and the
    /// infinities, which the cast refuses, and beyond 38 digits.
    pub(crate) fn round_f64(d: f64, digits: u32) -> Option<Dec> {
        if !d.is_finite() || digits > MAX_SCALE {
            return None;
        }
        let (m, e) = binary_parts(d);
        let scaled = m * BigInt::from(10u32).pow(digits);
        // floor(scaled × 2^e + 1/2); a right shift of a BigInt rounds
        // towards negative infinity.
        let rounded = if e >= 0 {
            scaled << e as usize
        } else {
            let q = (-e) as usize;
            ((scaled << 1usize) + (BigInt::from(1u32) << q)) >> (q + 1)
        };
        Some(
            Dec {
                mant: i128::try_from(rounded).ok()?,
                scale: digits,
            }
            .normalized(),
        )
    }

    /// Number of fraction digits as written is checked on the lexical form
    /// elsewhere; this is the value's own minimal scale.
    #[cfg(test)]
    pub(crate) fn scale(self) -> u32 {
        self.scale
    }
}

/// A finite double as `m × 2^e` exactly (signed `m`).
fn binary_parts(d: f64) -> (BigInt, i64) {
    let bits = d.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    let m = BigInt::from(m);
    (if d.is_sign_negative() { -m } else { m }, e)
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

    #[test]
    fn compares_with_a_doubles_exact_binary_value() {
        // Arrange: 1234.56e0 - 1 is the double nearest 1233.56, but its
        // binary value is below it (Saxon: `xs:decimal(1234.56e0 - 1)` =
        // 1233.55999999999994543031789362430572509765625).
        let below = 1234.56_f64 - 1.0;
        let above = 100.03_f64 - 1.0; // 99.030000000000001136868377216160297393798828125
                                      // Act / Assert
        assert_eq!(below, 1233.56_f64);
        assert_eq!(d("1233.56").cmp_exact_f64(below), Some(Ordering::Greater));
        assert_eq!(d("99.03").cmp_exact_f64(above), Some(Ordering::Less));
        assert_eq!(d("1233.5").cmp_exact_f64(1233.5), Some(Ordering::Equal));
        assert_eq!(d("-0.1").cmp_exact_f64(-0.1), Some(Ordering::Greater));
        assert_eq!(d("0").cmp_exact_f64(-0.0), Some(Ordering::Equal));
        assert_eq!(
            d("10000000000000000000000").cmp_exact_f64(1e22),
            Some(Ordering::Equal)
        );
        assert_eq!(d("5").cmp_exact_f64(f64::INFINITY), None);
        assert_eq!(d("5").cmp_exact_f64(f64::NAN), None);
        assert_eq!(d("1233.56").to_f64(), 1233.56);
        assert_eq!(d("-12.5").to_f64(), -12.5);
    }

    #[test]
    fn rounds_a_doubles_exact_binary_value() {
        // Arrange / Act / Assert: Saxon gives
        // round(xs:decimal(1.005e0) * 100) div 100 = 1 (1.005e0 is
        // 1.00499999999999989…) and 1.015e0 (1.0149999999999999023…) 1.01.
        assert_eq!(Dec::round_f64(1.005, 2), Some(d("1")));
        assert_eq!(Dec::round_f64(1.015, 2), Some(d("1.01")));
        assert_eq!(Dec::round_f64(0.125, 2), Some(d("0.13")));
        assert_eq!(Dec::round_f64(-0.125, 2), Some(d("-0.12")));
        assert_eq!(Dec::round_f64(0.1 + 0.2, 2), Some(d("0.3")));
        assert_eq!(Dec::round_f64(1e20, 2), Some(d("100000000000000000000")));
        assert_eq!(Dec::round_f64(f64::NAN, 2), None);
        assert_eq!(Dec::round_f64(1e300, 2), None);
    }
}
