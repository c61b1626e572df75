//! The values `onError` gives consumers when every attempt failed.
//!
//! - `skip` / `log`: the output type's zero value (RFC-009: `""`, `0`,
//!   `0.0`, `false`, empty collections, `None` for an optional, a record of
//!   zero fields). For an optional output that is `None`: the missing value
//!   dependants can coalesce. A union has no zero value (which variant?),
//!   so a module with a union output cannot `skip`.
//! - `wrap`: a union `{value: T, error: String}` (the RFC's
//!   `Either<Error, T>`, with named sides) holding the output or the error
//!   message.

use std::collections::BTreeMap;

use asterism_compiler::{CType, CValue, Structure};

/// The zero value of `ty`, or `None` for a union (or a record holding one).
pub fn zero_value(ty: &CType) -> Option<CValue> {
    Some(match ty {
        CType::String => CValue::String(String::new()),
        CType::Int => CValue::Int(0),
        CType::Float => CValue::Float(0.0),
        CType::Boolean => CValue::Boolean(false),
        CType::List(t) => CValue::List(Vec::new(), t.clone()),
        CType::Seq(t) => CValue::Seq(Vec::new(), t.clone()),
        CType::Map(k, v) => CValue::Map(Vec::new(), k.clone(), v.clone()),
        CType::Optional(t) => CValue::None(t.clone()),
        CType::Product(s) => {
            let mut fields = BTreeMap::new();
            for (name, t) in s {
                fields.insert(name.clone(), zero_value(t)?);
            }
            CValue::Product(fields, Box::new(s.clone()))
        }
        CType::Union(_) => return None,
    })
}

/// The tag of a wrapped success.
pub const WRAP_VALUE: &str = "value";
/// The tag of a wrapped failure.
pub const WRAP_ERROR: &str = "error";

pub use asterism_compiler::wrapped_type;

fn wrapped_structure(t: &CType) -> Structure {
    match wrapped_type(t) {
        CType::Union(s) => s,
        _ => unreachable!("a wrapped type is a union"),
    }
}

/// A wrapped success or failure of a module whose output type is `t`.
pub fn wrap(result: Result<CValue, String>, t: &CType) -> CValue {
    match result {
        Ok(v) => CValue::union(v, wrapped_structure(t), WRAP_VALUE),
        Err(message) => CValue::union(CValue::String(message), wrapped_structure(t), WRAP_ERROR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_values_per_rfc_009() {
        assert_eq!(zero_value(&CType::String), Some(CValue::from("")));
        assert_eq!(zero_value(&CType::Int), Some(CValue::Int(0)));
        assert_eq!(zero_value(&CType::Boolean), Some(CValue::Boolean(false)));
        let opt = CType::optional(CType::Int);
        assert_eq!(zero_value(&opt), Some(CValue::none(CType::Int)));
        let list = CType::list(CType::String);
        assert_eq!(zero_value(&list), Some(CValue::list(vec![], CType::String)));
        let rec = CType::product([("a", CType::Int), ("b", CType::String)]);
        let z = zero_value(&rec).unwrap();
        assert!(z.has_type(&rec));
        assert_eq!(zero_value(&wrapped_type(&CType::Int)), None);
    }

    #[test]
    fn a_wrapped_value_has_the_wrapped_type() {
        let t = wrapped_type(&CType::Int);
        let ok = wrap(Ok(CValue::Int(3)), &CType::Int);
        let err = wrap(Err("down".into()), &CType::Int);
        assert!(ok.has_type(&t) && err.has_type(&t));
        assert!(
            matches!(&ok, CValue::Union(v, _, tag) if **v == CValue::Int(3) && &**tag == WRAP_VALUE)
        );
        assert!(matches!(&err, CValue::Union(_, _, tag) if &**tag == WRAP_ERROR));
    }
}
