//! Numbers as the JVM treats them, for the original's behaviour where Rust's
//! differs: `Double.toString` (`3.0`, `1.0E7`) and `Math.round` (halves
//! round up, towards positive infinity; saturating; NaN is 0).

/// Java's `Double.toString(d)`: the shortest digits that read back to `d`,
/// in plain notation (`3.0`, `0.001`) for magnitudes in [10^-3, 10^7) and
/// computerized scientific notation (`1.0E7`, `1.5E-4`) outside it.
pub fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // `{:e}` gives the shortest round-trip digits: `-1.2345e-5`, `1e7`.
    let sci = format!("{:e}", d.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if d < 0.0 {
        out.push('-');
    }
    if (-3..7).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

/// Java's `Math.round(double)`: the closest integer, halves rounding up
/// (`-2.5` -> `-2`, `2.5` -> `3`); NaN gives 0 and values past the range
/// give `i64::MIN` / `i64::MAX`.
pub fn round(d: f64) -> i64 {
    let floor = d.floor();
    // d - floor(d) is exact for every finite double.
    let r = if d - floor >= 0.5 { floor + 1.0 } else { floor };
    // `as` saturates and maps NaN to 0, as the JVM's d2l does.
    r as i64
}

/// Java's `(long) d` (`d2l`): truncation towards zero, saturating, NaN 0.
pub fn to_long(d: f64) -> i64 {
    d as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_prints_them() {
        for (d, want) in [
            (3.0, "3.0"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.5e-5, "1.5E-5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::MAX, "1.7976931348623157E308"),
            (3.25, "3.25"),
            (125.5, "125.5"),
        ] {
            assert_eq!(double_to_string(d), want, "{d:?}");
        }
    }

    #[test]
    fn round_is_math_round() {
        for (d, want) in [
            (-2.5, -2),
            (2.5, 3),
            (-0.5, 0),
            (0.49999999999999994, 0),
            (-3.7, -4),
            (3.2, 3),
            (f64::NAN, 0),
            (1e300, i64::MAX),
            (-1e300, i64::MIN),
        ] {
            assert_eq!(round(d), want, "{d:?}");
        }
        assert_eq!(to_long(-3.9), -3);
        assert_eq!(to_long(f64::INFINITY), i64::MAX);
    }
}
