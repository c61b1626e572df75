//! Which data node types a module port accepts: its own type, and lists and
//! sequences in place of each other (the original has `List<T> <: Seq<T>`,
//! and its runtime hands a `Seq` to a module declared over `List` as the
//! same list; modules here read both through one accessor).

use crate::value::CType;

/// Whether a data node of type `given` may bind to a port of type `port`.
pub fn port_accepts(port: &CType, given: &CType) -> bool {
    match (port, given) {
        (CType::List(p) | CType::Seq(p), CType::List(g) | CType::Seq(g)) => port_accepts(p, g),
        (CType::Optional(p), CType::Optional(g)) => port_accepts(p, g),
        (CType::Map(pk, pv), CType::Map(gk, gv)) => port_accepts(pk, gk) && port_accepts(pv, gv),
        (CType::Product(p), CType::Product(g)) | (CType::Union(p), CType::Union(g)) => {
            p.len() == g.len()
                && p.iter()
                    .zip(g)
                    .all(|((pn, pt), (gn, gt))| pn == gn && port_accepts(pt, gt))
        }
        _ => port == given,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_sequences_stand_for_each_other() {
        let list = CType::list(CType::Int);
        let seq = CType::Seq(Box::new(CType::Int));
        assert!(port_accepts(&list, &seq));
        assert!(port_accepts(&seq, &list));
        assert!(!port_accepts(&seq, &CType::list(CType::String)));
        let rec = |t: CType| CType::product([("xs", t)]);
        assert!(port_accepts(&rec(list.clone()), &rec(seq.clone())));
        assert!(!port_accepts(&CType::Int, &CType::Float));
    }
}
