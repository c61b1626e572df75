//! Lowering: what each construct becomes in the DagSpec (modules, data
//! nodes, inline transforms, options), and the example values kept.

mod common;

use asterism_compiler::{CType, CValue, DagSpec, DataNodeSpec, InlineTransform};
use asterism_lang::{compile_with, BranchLowering, Compiled, Options};
use uuid::Uuid;

fn lower(source: &str) -> Compiled {
    compile_with(source, &common::stdlib(), &Options::default()).unwrap_or_else(|d| panic!("{d}"))
}

fn transforms(spec: &DagSpec) -> Vec<&InlineTransform> {
    spec.data
        .values()
        .filter_map(|d| d.inline_transform.as_ref())
        .collect()
}

fn module<'a>(spec: &'a DagSpec, name: &str) -> (Uuid, &'a asterism_compiler::ModuleNodeSpec) {
    spec.modules
        .iter()
        .find(|(_, m)| m.metadata.name == name)
        .map(|(id, m)| (*id, m))
        .unwrap_or_else(|| panic!("no module {name}"))
}

/// The data node feeding `module` as `param`.
fn feeding<'a>(spec: &'a DagSpec, module: Uuid, param: &str) -> &'a DataNodeSpec {
    spec.data
        .values()
        .find(|d| d.nicknames.get(&module).map(String::as_str) == Some(param))
        .unwrap_or_else(|| panic!("nothing feeds {param}"))
}

#[test]
fn named_arguments_map_through_the_signature() {
    let c = lower("x = add(b: 1, a: 2)\nout x\n");
    let (id, m) = module(&c.spec, "stdlib.add");
    assert_eq!(m.consumes.len(), 2);
    assert_eq!(
        feeding(&c.spec, id, "a").inline_transform,
        Some(InlineTransform::Literal {
            value: CValue::Int(2)
        })
    );
}

#[test]
fn one_node_fed_twice_to_a_module_goes_through_an_alias() {
    let c = lower("in x: Int\ny = x * x\nout y\n");
    let (id, _) = module(&c.spec, "stdlib.multiply");
    let a = feeding(&c.spec, id, "a");
    let b = feeding(&c.spec, id, "b");
    assert_ne!(a, b);
    assert!(transforms(&c.spec).contains(&&InlineTransform::FieldAccess { field: "v".into() }));
}

#[test]
fn operators_desugar_as_the_original_does() {
    let c = lower("in a: Int\nin b: Int\nx = a != b\ny = a <= b\nout x\nout y\n");
    module(&c.spec, "stdlib.eq-int");
    module(&c.spec, "stdlib.lte");
    assert!(transforms(&c.spec).contains(&&InlineTransform::Not));
    let c = lower("x = {a: 1} + {b: 2}\nout x\n");
    assert!(c.spec.modules.is_empty());
    assert!(transforms(&c.spec).contains(&&InlineTransform::Merge));
    let out = &c.spec.data[&c.spec.output_bindings["x"]];
    assert_eq!(
        out.c_type,
        CType::product([("a", CType::Int), ("b", CType::Int)])
    );
}

#[test]
fn a_module_with_several_outputs_gives_a_record() {
    let c = lower("in id: String\np = Profile(id)\nn = p.name\nout n\n");
    let (_, m) = module(&c.spec, "Profile");
    assert_eq!(m.produces.len(), 2);
    assert!(transforms(&c.spec).iter().any(
        |t| matches!(t, InlineTransform::RecordBuild { fields } if fields == &["name", "age"])
    ));
}

#[test]
fn a_record_with_extra_fields_is_projected_to_the_parameter() {
    let c = lower("x = Greet({name: \"a\", age: 3})\nout x\n");
    let (id, m) = module(&c.spec, "Greet");
    assert_eq!(
        m.consumes["user"],
        CType::product([("name", CType::String)])
    );
    assert_eq!(
        feeding(&c.spec, id, "user").inline_transform,
        Some(InlineTransform::Project {
            fields: vec!["name".into()]
        })
    );
}

#[test]
fn branch_as_conditionals() {
    let opts = Options {
        branch: BranchLowering::Conditionals,
        ..Options::default()
    };
    let c = compile_with(
        "in a: Int\nx = branch { a > 2 -> 1, a > 1 -> 2, otherwise -> 3 }\nout x\n",
        &common::stdlib(),
        &opts,
    )
    .unwrap();
    let n = transforms(&c.spec)
        .iter()
        .filter(|t| ***t == InlineTransform::Conditional)
        .count();
    assert_eq!(n, 2);
    assert!(c
        .spec
        .modules
        .values()
        .all(|m| !m.metadata.name.contains("branch")));
}

#[test]
fn examples_become_values_of_the_input_type() {
    let c = lower(
        "type P = { name: String, tags: List<String> }\n@example({ name: \"a\", tags: [\"x\"] })\nin p: P\n@example(4)\nin n: Optional<Int>\n@example([])\nin xs: List<Int>\nin none: Optional<String>\ns = list-sum(xs)\nm = n ?? s\nq = none ?? p.name\nout m\nout q\n",
    );
    let p = &c.examples[0];
    assert_eq!(p.0, "p");
    assert_eq!(
        p.1.ctype(),
        CType::product([
            ("name", CType::String),
            ("tags", CType::list(CType::String))
        ])
    );
    assert_eq!(
        c.examples[1],
        ("n".into(), CValue::some(CValue::Int(4), CType::Int))
    );
    assert_eq!(
        c.examples[2],
        ("xs".into(), CValue::list(vec![], CType::Int))
    );
    let inputs = c.example_inputs();
    assert_eq!(inputs.len(), 4);
    assert_eq!(inputs[3], ("none".into(), CValue::none(CType::String)));
}

#[test]
fn options_sit_on_the_module_node() {
    let c = lower(
        "in a: String\nin d: String\nx = trim(a) with retry: 3, timeout: 2s, delay: 100ms, backoff: linear, cache: 5min, cache_backend: \"memory\", throttle: 100/1min, concurrency: 2, on_error: skip, lazy, priority: 10, fallback: d\nout x\n",
    );
    let (id, m) = module(&c.spec, "stdlib.trim");
    let o = &m.options;
    assert_eq!(o.retry, Some(3));
    assert_eq!(o.timeout_ms, Some(2_000));
    assert_eq!(o.delay_ms, Some(100));
    assert_eq!(o.backoff.as_deref(), Some("linear"));
    assert_eq!(o.cache_ms, Some(300_000));
    assert_eq!(o.cache_backend.as_deref(), Some("memory"));
    assert_eq!(
        (o.throttle_count, o.throttle_per_ms),
        (Some(100), Some(60_000))
    );
    assert_eq!(o.concurrency, Some(2));
    assert_eq!(o.on_error.as_deref(), Some("skip"));
    assert_eq!(o.lazy_eval, Some(true));
    assert_eq!(o.priority, Some(10));
    assert_eq!(c.spec.data[&o.fallback.unwrap()].name, "d");
    assert_eq!(c.module_options().keys().collect::<Vec<_>>(), [&id]);
}
