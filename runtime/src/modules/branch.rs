//! Branch modules: the synthetic `<pipeline>.branch-<id>` modules the
//! original's compiler emits for `branch { }` (its `DagCompiler`), rebuilt
//! from the DagSpec alone as its `SyntheticModuleFactory.fromDagSpec` does.
//!
//! A module node whose name contains `branch-` and that no registered
//! module answers is a branch module. Its parameters are `cond0`, `expr0`,
//! ..., `cond{n-1}`, `expr{n-1}` and `otherwise` (`n` = the number of
//! `cond*` entries in `consumes`); its one output `out` has the type
//! `produces` gives (String if none, as in the original). It returns the
//! `expr` of the first true `cond`, else `otherwise`.

use std::borrow::Cow;

use asterism_compiler::{CType, DagSpec, ModuleNodeSpec, ModuleSignature};

use crate::modules::module::Module;
use crate::modules::registry::Registry;

/// Whether a module node is one of the original's branch modules.
pub fn is_branch_module(node: &ModuleNodeSpec) -> bool {
    node.metadata.name.contains("branch-")
}

/// The branch module a branch node of a spec calls.
pub fn branch_module(node: &ModuleNodeSpec) -> Module {
    let cases = node
        .consumes
        .keys()
        .filter(|k| k.starts_with("cond"))
        .count();
    let ty = |port: &str, default: CType| node.consumes.get(port).cloned().unwrap_or(default);
    let out = node.produces.get("out").cloned().unwrap_or(CType::String);
    let mut params = Vec::with_capacity(2 * cases + 1);
    for i in 0..cases {
        params.push((format!("cond{i}"), ty(&format!("cond{i}"), CType::Boolean)));
        params.push((format!("expr{i}"), ty(&format!("expr{i}"), out.clone())));
    }
    params.push(("otherwise".to_owned(), ty("otherwise", out.clone())));
    let signature = ModuleSignature::new(&node.metadata.name, params, [("out", out)]);
    Module::raw_sync(signature, move |inputs, outputs| {
        // Inputs in signature order: cond0, expr0, ..., otherwise.
        for i in 0..cases {
            if inputs.bool(2 * i)? {
                return outputs.set(0, inputs.get(2 * i + 1)?.clone());
            }
        }
        outputs.set(0, inputs.get(2 * cases)?.clone())
    })
}

/// `registry`, plus a branch module for every branch node of `spec` that
/// the registry does not answer (borrowed as is when there is none).
pub fn with_branch_modules<'r>(registry: &'r Registry, spec: &DagSpec) -> Cow<'r, Registry> {
    let missing: Vec<&ModuleNodeSpec> = spec
        .modules
        .values()
        .filter(|m| is_branch_module(m) && registry.get(&m.metadata.name).is_none())
        .collect();
    if missing.is_empty() {
        return Cow::Borrowed(registry);
    }
    let mut extended = registry.clone();
    for node in missing {
        extended.register(branch_module(node));
    }
    Cow::Owned(extended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use asterism_compiler::ComponentMetadata;

    fn node(name: &str, cases: usize) -> ModuleNodeSpec {
        let mut consumes: std::collections::BTreeMap<String, CType> = (0..cases)
            .flat_map(|i| {
                [
                    (format!("cond{i}"), CType::Boolean),
                    (format!("expr{i}"), CType::Int),
                ]
            })
            .collect();
        consumes.insert("otherwise".into(), CType::Int);
        ModuleNodeSpec {
            metadata: ComponentMetadata::named(name),
            consumes,
            produces: [("out".to_owned(), CType::Int)].into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_branch_module_has_the_originals_ports_in_case_order() {
        let m = branch_module(&node("p.branch-1234abcd", 2));
        let params: Vec<&str> = m
            .signature()
            .params
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(params, ["cond0", "expr0", "cond1", "expr1", "otherwise"]);
        assert_eq!(m.signature().outputs[0].name, "out");
        assert_eq!(m.signature().outputs[0].ty, CType::Int);
        assert!(is_branch_module(&node("p.branch-1", 0)));
        assert!(!is_branch_module(&node("p.branches", 0)));
    }

    #[test]
    fn a_registered_module_of_the_same_name_is_never_shadowed() {
        let spec = DagSpec {
            modules: [(uuid::Uuid::from_u128(1), node("p.branch-1", 1))].into(),
            ..Default::default()
        };
        let empty = Registry::new();
        assert!(with_branch_modules(&empty, &spec)
            .get("p.branch-1")
            .is_some());
        let mut own = Registry::new();
        own.register(Module::sync("p.branch-1", ["x"], "out", |x: i64| x));
        let reg = with_branch_modules(&own, &spec);
        assert!(matches!(reg, Cow::Borrowed(_)));
        assert_eq!(reg.get("p.branch-1").unwrap().signature().params.len(), 1);
    }
}
