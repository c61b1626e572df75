//! The sequence transforms of the original's `InlineTransform.scala`, in
//! their single-execution behaviour: `Collect` (a sequence as a list),
//! `Interleave` (alternate two lists) and `Zip` (pair two lists). Streaming
//! modes (chunking, non-deterministic merge) are the original's plan for
//! streams and do not apply to one execution. Errors are the message of a
//! `TransformError`, which the caller wraps.

use crate::value::{CType, CValue};

/// The elements of a list or sequence, or an error naming the transform.
fn elements<'v>(kind: &str, side: &str, v: &'v CValue) -> Result<&'v [CValue], String> {
    v.as_list()
        .ok_or_else(|| format!("{kind}: {side} is {}, not a List or Seq", v.tag()))
}

/// The element type a list-typed node declares, else `fallback`'s.
fn elem_of(out_type: &CType, fallback: impl FnOnce() -> CType) -> CType {
    match out_type {
        CType::List(e) | CType::Seq(e) => (**e).clone(),
        _ => fallback(),
    }
}

/// `Collect`: a list or sequence as a list; any other value as a list of
/// one.
pub(crate) fn collect(source: &CValue, out_type: &CType) -> CValue {
    match source {
        CValue::List(vs, e) | CValue::Seq(vs, e) => {
            CValue::list(vs.clone(), elem_of(out_type, || (**e).clone()))
        }
        other => CValue::list(vec![other.clone()], elem_of(out_type, || other.ctype())),
    }
}

/// `Interleave`: `l0, r0, l1, r1, ...`, stopping at the shorter list.
pub(crate) fn interleave(
    left: &CValue,
    right: &CValue,
    out_type: &CType,
) -> Result<CValue, String> {
    let (l, r) = (
        elements("Interleave", "left", left)?,
        elements("Interleave", "right", right)?,
    );
    let mut out = Vec::with_capacity(2 * l.len().min(r.len()));
    for (a, b) in l.iter().zip(r) {
        out.push(a.clone());
        out.push(b.clone());
    }
    let elem = elem_of(out_type, || match left {
        CValue::List(_, e) | CValue::Seq(_, e) => (**e).clone(),
        other => other.ctype(),
    });
    Ok(match out_type {
        CType::Seq(_) => CValue::seq(out, elem),
        _ => CValue::list(out, elem),
    })
}

/// `Zip`: records `{_1: l_i, _2: r_i}` (the field names of the original's
/// Scala pairs), stopping at the shorter list.
pub(crate) fn zip(left: &CValue, right: &CValue, out_type: &CType) -> Result<CValue, String> {
    let (l, r) = (
        elements("Zip", "left", left)?,
        elements("Zip", "right", right)?,
    );
    let elem_type = |v: &CValue| match v {
        CValue::List(_, e) | CValue::Seq(_, e) => (**e).clone(),
        other => other.ctype(),
    };
    let elem = elem_of(out_type, || {
        CType::product([("_1", elem_type(left)), ("_2", elem_type(right))])
    });
    let CType::Product(structure) = &elem else {
        return Err(format!(
            "Zip: the node's elements are declared {elem}; declare them {{_1: .., _2: ..}}"
        ));
    };
    let pairs = l
        .iter()
        .zip(r)
        .map(|(a, b)| {
            let fields = [("_1".to_owned(), a.clone()), ("_2".to_owned(), b.clone())];
            CValue::product(fields.into_iter().collect(), structure.clone())
        })
        .collect();
    Ok(match out_type {
        CType::Seq(_) => CValue::seq(pairs, elem),
        _ => CValue::list(pairs, elem),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> CValue {
        CValue::list(v.iter().map(|i| CValue::Int(*i)).collect(), CType::Int)
    }

    #[test]
    fn collect_passes_lists_and_wraps_the_rest() {
        let out = CType::list(CType::Int);
        assert_eq!(collect(&ints(&[1, 2, 3]), &out), ints(&[1, 2, 3]));
        assert_eq!(collect(&CValue::Int(42), &out), ints(&[42]));
        assert_eq!(collect(&ints(&[]), &out), ints(&[]));
        let seq = CValue::seq(vec![CValue::Int(1)], CType::Int);
        assert_eq!(collect(&seq, &out), ints(&[1]));
    }

    #[test]
    fn interleave_and_zip_stop_at_the_shorter() {
        let out = CType::list(CType::Int);
        assert_eq!(
            interleave(&ints(&[1, 2, 3]), &ints(&[10, 20]), &out).unwrap(),
            ints(&[1, 10, 2, 20])
        );
        let pair = CType::product([("_1", CType::Int), ("_2", CType::Int)]);
        let zipped = zip(&ints(&[1, 2]), &ints(&[10, 20, 30]), &CType::list(pair)).unwrap();
        assert_eq!(
            zipped.as_list().unwrap(),
            &[
                CValue::record([("_1", CValue::Int(1)), ("_2", CValue::Int(10))]),
                CValue::record([("_1", CValue::Int(2)), ("_2", CValue::Int(20))]),
            ]
        );
        assert!(zip(&CValue::Int(1), &ints(&[]), &out).is_err());
    }
}
