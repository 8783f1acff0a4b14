//! The arithmetic of `INCRBYFLOAT` and `HINCRBYFLOAT`: Redis does it in C's `long double`,
//! which on x86-64 is the x87 80-bit extended format (a 64-bit significand), and prints the
//! result with `%.17Lf`, trailing zeros cut. Doing it in `f64` instead gives other answers
//! (`0.1 + 0.2` is `0.30000000000000004`, where Redis says `0.3`), so this module does it in
//! software the way glibc and the x87 do: [`LongDouble::parse`] is `strtold` (decimal and
//! hexadecimal, correctly rounded) with Redis's checks (`string2ld`), [`LongDouble::add`]
//! rounds the exact sum to nearest-even, [`LongDouble::to_human`] is Redis's `ld2string` in
//! its human mode, exact to the last digit.

use std::cmp::Ordering;

/// The smallest exponent of the integer significand: a subnormal's `1 * 2^-16445`.
const MIN_EXP: i64 = -16445;
/// The largest: `(2^64 - 1) * 2^16320` is the largest finite value (about 1.19e4932).
const MAX_EXP: i64 = 16320;
/// Redis's `MAX_LONG_DOUBLE_CHARS`: longer text is not a number.
const MAX_CHARS: usize = 5 * 1024;

/// An x87 extended-precision value: `m * 2^e` with a sign, or infinite or NaN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LongDouble {
    neg: bool,
    m: u64,
    e: i64,
    class: Class,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Class {
    #[default]
    Finite,
    Inf,
    Nan,
}

impl LongDouble {
    fn inf(neg: bool) -> LongDouble {
        LongDouble {
            neg,
            m: 0,
            e: 0,
            class: Class::Inf,
        }
    }

    fn zero(neg: bool) -> LongDouble {
        LongDouble {
            neg,
            ..LongDouble::default()
        }
    }

    pub(crate) fn is_finite(&self) -> bool {
        self.class == Class::Finite
    }

    /// Redis's `string2ld`: the whole of `s` as `strtold` reads it, not starting with a
    /// space, not NaN, and neither overflowing nor underflowing to zero.
    pub(crate) fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_CHARS || s[0].is_ascii_whitespace() || s[0] == 0x0b {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::inf(neg));
        }
        if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            parse_hex(&body[2..], neg)
        } else {
            parse_decimal(body, neg)
        }
    }

    /// `self + other`, rounded to nearest-even as the x87 does.
    pub(crate) fn add(self, other: LongDouble) -> LongDouble {
        match (self.class, other.class) {
            (Class::Nan, _) | (_, Class::Nan) => {
                return LongDouble {
                    class: Class::Nan,
                    ..self
                }
            }
            (Class::Inf, Class::Inf) if self.neg != other.neg => {
                return LongDouble {
                    class: Class::Nan,
                    ..self
                }
            }
            (Class::Inf, _) => return self,
            (_, Class::Inf) => return other,
            _ => {}
        }
        if self.m == 0 && other.m == 0 {
            return LongDouble::zero(self.neg && other.neg);
        }
        if self.m == 0 {
            return other;
        }
        if other.m == 0 {
            return self;
        }
        let e = self.e.min(other.e);
        let a = Big::from(self.m).shl((self.e - e) as usize);
        let b = Big::from(other.m).shl((other.e - e) as usize);
        if self.neg == other.neg {
            return round(a.add(&b), e, false, self.neg);
        }
        match a.cmp(&b) {
            Ordering::Equal => LongDouble::zero(false),
            Ordering::Greater => round(a.sub(&b), e, false, self.neg),
            Ordering::Less => round(b.sub(&a), e, false, other.neg),
        }
    }

    /// Redis's `ld2string` in `LD_STR_HUMAN` mode: `%.17Lf`, then the trailing zeros (and a
    /// trailing point) cut, and `-0` written `0`.
    pub(crate) fn to_human(self) -> String {
        match self.class {
            Class::Inf => return if self.neg { "-inf" } else { "inf" }.into(),
            Class::Nan => return "nan".into(),
            Class::Finite => {}
        }
        const SCALE: u64 = 100_000_000_000_000_000; // 10^17
        let m = Big::from(self.m);
        let (mut int, mut frac) = if self.e >= 0 {
            (m.shl(self.e as usize), 0)
        } else {
            let s = (-self.e) as usize;
            let int = m.shr(s);
            let f = m.sub(&int.shl(s));
            let mut t = f;
            t.mul_small(1_000_000_000);
            t.mul_small(100_000_000);
            let digits = t.shr(s);
            let rest = t.sub(&digits.shl(s));
            let mut frac = digits.to_u128() as u64;
            // Round to nearest, ties to even, on the exact remainder (as glibc's printf).
            let up = match rest.shl(1).cmp(&Big::from(1).shl(s)) {
                Ordering::Greater => true,
                Ordering::Equal => frac % 2 == 1,
                Ordering::Less => false,
            };
            if up {
                frac += 1;
            }
            (int, frac)
        };
        if frac == SCALE {
            frac = 0;
            int = int.add(&Big::from(1));
        }
        let mut text = String::new();
        if self.neg {
            text.push('-');
        }
        text.push_str(&int.to_decimal());
        if frac != 0 {
            let digits = format!("{frac:017}");
            text.push('.');
            text.push_str(digits.trim_end_matches('0'));
        }
        if text == "-0" {
            text = "0".into();
        }
        text
    }
}

/// Reads the decimal digits of `s[*i..]`, at most one point among them: the digits, how many
/// came after the point, and whether there were any.
fn mantissa(s: &[u8], i: &mut usize, radix: u32) -> (Vec<u8>, i64, bool) {
    let mut digits = Vec::new();
    let mut after_point = 0;
    let mut seen_point = false;
    let mut any = false;
    while *i < s.len() {
        let c = s[*i];
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (c as char).to_digit(radix) {
            any = true;
            if !(digits.is_empty() && d == 0) {
                digits.push(d as u8);
            }
            if seen_point {
                after_point += 1;
            }
        } else {
            break;
        }
        *i += 1;
    }
    // Leading zeros before the point were skipped but count nowhere; those after it count
    // in `after_point` (the scale), which is right whether or not they were kept.
    (digits, after_point, any)
}

/// An exponent `[+-]digits` (after `e` or `p`), clamped far beyond any finite value.
fn exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: i64 = 0;
    for d in digits {
        n = (n * 10 + i64::from(d - b'0')).min(1 << 40);
    }
    Some(if neg { -n } else { n })
}

fn parse_decimal(s: &[u8], neg: bool) -> Option<LongDouble> {
    let mut i = 0;
    let (mut digits, after_point, any) = mantissa(s, &mut i, 10);
    if !any {
        return None;
    }
    let mut e10 = 0;
    if i < s.len() {
        if s[i] | 0x20 != b'e' {
            return None;
        }
        e10 = exponent(&s[i + 1..])?;
    }
    // The value is `digits * 10^e10`.
    let mut e10 = e10 - after_point;
    while digits.last() == Some(&0) {
        digits.pop();
        e10 += 1;
    }
    if digits.is_empty() {
        return Some(LongDouble::zero(neg));
    }
    // Far out of range either way (the value is below 10^magnitude): a range error.
    let magnitude = digits.len() as i64 + e10;
    if !(-4960..=4940).contains(&magnitude) {
        return None;
    }
    let mut d = Big::from(0);
    for &digit in &digits {
        d.mul_small(10);
        d = d.add(&Big::from(u64::from(digit)));
    }
    if e10 >= 0 {
        for _ in 0..e10 {
            d.mul_small(10);
        }
        return in_range(round(d, 0, false, neg));
    }
    let mut m = Big::from(1);
    for _ in 0..-e10 {
        m.mul_small(10);
    }
    // q = d * 2^k / m with 66 or 67 bits, the remainder a sticky bit.
    let k = 66 + m.bit_len() as i64 - d.bit_len() as i64;
    let (num, den) = if k >= 0 {
        (d.shl(k as usize), m)
    } else {
        (d, m.shl((-k) as usize))
    };
    let (q, inexact) = num.div_small_quotient(&den);
    in_range(round(Big::from_u128(q), -k, inexact, neg))
}

/// A non-zero number rounded: `strtold`'s range errors (overflow to infinity, underflow to
/// zero) are refused by Redis.
fn in_range(v: LongDouble) -> Option<LongDouble> {
    (v.is_finite() && v.m != 0).then_some(v)
}

fn parse_hex(s: &[u8], neg: bool) -> Option<LongDouble> {
    let mut i = 0;
    let (digits, after_point, any) = mantissa(s, &mut i, 16);
    if !any {
        return None;
    }
    let mut e2 = 0;
    if i < s.len() {
        if s[i] | 0x20 != b'p' {
            return None;
        }
        e2 = exponent(&s[i + 1..])?;
    }
    if digits.is_empty() {
        return Some(LongDouble::zero(neg));
    }
    let mut h = Big::from(0);
    for &digit in &digits {
        h.mul_small(16);
        h = h.add(&Big::from(u64::from(digit)));
    }
    let e = e2 - 4 * after_point;
    if !(MIN_EXP - 200..=MAX_EXP + 200).contains(&(e + h.bit_len() as i64)) {
        return None;
    }
    in_range(round(h, e, false, neg))
}

/// `n * 2^e`, plus something below `n`'s last bit if `inexact`, rounded to the nearest
/// extended value (ties to even), subnormals included; infinite past the largest, zero below
/// half the smallest.
fn round(n: Big, e: i64, inexact: bool, neg: bool) -> LongDouble {
    if n.is_zero() {
        return LongDouble::zero(neg);
    }
    let bits = n.bit_len() as i64;
    let shift = (bits - 64).max(MIN_EXP - e);
    let (mut m, mut e) = if shift <= 0 {
        ((n.to_u128() as u64) << (-shift), e + shift)
    } else {
        let s = shift as usize;
        let kept = n.shr(s).to_u128() as u64;
        let half = n.bit(s - 1);
        let rest = inexact || n.any_below(s - 1);
        let up = half && (rest || kept & 1 == 1);
        let (m, carry) = kept.overflowing_add(u64::from(up));
        if carry {
            (1 << 63, e + shift + 1)
        } else {
            (m, e + shift)
        }
    };
    if m == 0 {
        return LongDouble::zero(neg);
    }
    if e > MAX_EXP {
        return LongDouble::inf(neg);
    }
    // Keep the top bit set where the exponent allows (a canonical form for comparisons).
    while m < 1 << 63 && e > MIN_EXP {
        m <<= 1;
        e -= 1;
    }
    LongDouble {
        neg,
        m,
        e,
        class: Class::Finite,
    }
}

/// Just enough of an unsigned big integer: little-endian 32-bit limbs, no high zero limbs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl From<u64> for Big {
    fn from(v: u64) -> Big {
        Big::from_u128(u128::from(v))
    }
}

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big(limbs)
    }

    fn trim(mut self) -> Big {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> usize {
        match self.0.last() {
            None => 0,
            Some(top) => self.0.len() * 32 - top.leading_zeros() as usize,
        }
    }

    fn bit(&self, i: usize) -> bool {
        self.0.get(i / 32).is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    /// Whether any bit below bit `i` is set.
    fn any_below(&self, i: usize) -> bool {
        let (whole, part) = (i / 32, i % 32);
        self.0.iter().take(whole).any(|&l| l != 0)
            || (part > 0
                && self
                    .0
                    .get(whole)
                    .is_some_and(|l| l & ((1 << part) - 1) != 0))
    }

    /// The low 128 bits.
    fn to_u128(&self) -> u128 {
        self.0
            .iter()
            .take(4)
            .enumerate()
            .fold(0, |acc, (i, &l)| acc | u128::from(l) << (32 * i))
    }

    fn shl(&self, n: usize) -> Big {
        if self.is_zero() {
            return Big(Vec::new());
        }
        let (whole, part) = (n / 32, n % 32);
        let mut out = vec![0u32; whole];
        let mut carry = 0u32;
        for &l in &self.0 {
            if part == 0 {
                out.push(l);
            } else {
                out.push(l << part | carry);
                carry = l >> (32 - part);
            }
        }
        out.push(carry);
        Big(out).trim()
    }

    fn shr(&self, n: usize) -> Big {
        let (whole, part) = (n / 32, n % 32);
        if whole >= self.0.len() {
            return Big(Vec::new());
        }
        let src = &self.0[whole..];
        let out = (0..src.len())
            .map(|i| {
                let lo = src[i] >> part;
                let hi = if part > 0 {
                    src.get(i + 1).map_or(0, |h| h << (32 - part))
                } else {
                    0
                };
                lo | hi
            })
            .collect();
        Big(out).trim()
    }

    fn add(&self, other: &Big) -> Big {
        let n = self.0.len().max(other.0.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let s = u64::from(self.0.get(i).copied().unwrap_or(0))
                + u64::from(other.0.get(i).copied().unwrap_or(0))
                + carry;
            out.push(s as u32);
            carry = s >> 32;
        }
        out.push(carry as u32);
        Big(out).trim()
    }

    /// `self - other`, `self >= other`.
    fn sub(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let mut d =
                i64::from(self.0[i]) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = 0;
            if d < 0 {
                d += 1 << 32;
                borrow = 1;
            }
            out.push(d as u32);
        }
        Big(out).trim()
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    fn mul_small(&mut self, k: u32) {
        let mut carry = 0u64;
        for l in &mut self.0 {
            let p = u64::from(*l) * u64::from(k) + carry;
            *l = p as u32;
            carry = p >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// Divides by a small number in place; the remainder.
    fn div_small(&mut self, k: u32) -> u32 {
        let mut rem = 0u64;
        for l in self.0.iter_mut().rev() {
            let cur = rem << 32 | u64::from(*l);
            *l = (cur / u64::from(k)) as u32;
            rem = cur % u64::from(k);
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        rem as u32
    }

    /// `self / den` for a quotient known to fit in 128 bits (shift-and-subtract), and
    /// whether there was a remainder.
    fn div_small_quotient(&self, den: &Big) -> (u128, bool) {
        let mut rem = self.clone();
        let mut q = 0u128;
        let top = (self.bit_len() as i64 - den.bit_len() as i64).clamp(0, 127) as usize;
        for i in (0..=top).rev() {
            let d = den.shl(i);
            if rem.cmp(&d) != Ordering::Less {
                rem = rem.sub(&d);
                q |= 1 << i;
            }
        }
        (q, !rem.is_zero())
    }

    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_small(1_000_000_000));
        }
        let mut text = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
        for c in chunks.iter().rev() {
            text.push_str(&format!("{c:09}"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(values: &[&str]) -> String {
        values
            .iter()
            .map(|v| LongDouble::parse(v.as_bytes()).unwrap())
            .fold(LongDouble::default(), LongDouble::add)
            .to_human()
    }

    #[test]
    fn sums_print_as_redis_prints_them() {
        // Each expectation is redis-server 7.0.15's INCRBYFLOAT answer.
        assert_eq!(sum(&["0.1", "0.1", "0.1"]), "0.3");
        assert_eq!(sum(&["0.1", "0.2"]), "0.3");
        assert_eq!(sum(&["10.5", "0.1"]), "10.6");
        assert_eq!(sum(&["1e-20"]), "0");
        assert_eq!(sum(&["-1e-20"]), "0");
        assert_eq!(sum(&["1e20"]), "100000000000000000000");
        assert_eq!(sum(&["1.23456789012345678901"]), "1.23456789012345679");
        assert_eq!(sum(&["0x1.8p1"]), "3");
        assert_eq!(sum(&[".5"]), "0.5");
        assert_eq!(sum(&["5."]), "5");
        assert_eq!(sum(&["+1.5"]), "1.5");
        assert_eq!(sum(&["-0"]), "0");
        assert_eq!(sum(&["0e-5000"]), "0");
        assert_eq!(sum(&["3.6e-4951"]), "0");
        assert_eq!(sum(&["0.000000000000000005"]), "0");
        assert_eq!(sum(&["0.000000000000000015"]), "0.00000000000000002");
        assert_eq!(sum(&["0.000000000000000025"]), "0.00000000000000002");
        assert_eq!(sum(&["5.0e3", "-5000"]), "0");
        assert_eq!(sum(&["1.5", "-3"]), "-1.5");
        assert_eq!(
            sum(&["1e308", "1e308"]),
            "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096"
        );
    }

    #[test]
    fn what_string2ld_refuses() {
        for bad in [
            "", " 1", "1 ", "1e", "0x", "nan", "-nan", "abc", "1e5000", "1e-5000", ".", "1..2",
            "--1", "1e+", "0x1p", "1f",
        ] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        assert!(!LongDouble::parse(b"infinity").unwrap().is_finite());
        assert!(!LongDouble::parse(b"-INF").unwrap().is_finite());
        let huge = LongDouble::parse(b"1e4932").unwrap();
        assert!(!huge.add(huge).is_finite(), "overflow is infinite");
    }
}
