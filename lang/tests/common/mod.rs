//! Signatures shaped like the runtime's standard modules (the language
//! crate does not depend on the runtime), for the tests.

use asterism_compiler::{CType, ModuleSignature, Signatures};

pub fn stdlib() -> Signatures {
    let int2 = |n: &str| {
        ModuleSignature::new(
            format!("stdlib.{n}"),
            [("a", CType::Int), ("b", CType::Int)],
            [("out", CType::Int)],
        )
    };
    let cmp = |n: &str| {
        ModuleSignature::new(
            format!("stdlib.{n}"),
            [("a", CType::Int), ("b", CType::Int)],
            [("out", CType::Boolean)],
        )
    };
    let mut v = vec![
        int2("add"),
        int2("subtract"),
        int2("multiply"),
        int2("divide"),
        cmp("gt"),
        cmp("lt"),
        cmp("gte"),
        cmp("lte"),
        cmp("eq-int"),
        ModuleSignature::new(
            "stdlib.eq-string",
            [("a", CType::String), ("b", CType::String)],
            [("out", CType::Boolean)],
        ),
        ModuleSignature::new(
            "stdlib.concat",
            [("a", CType::String), ("b", CType::String)],
            [("out", CType::String)],
        ),
        ModuleSignature::new(
            "stdlib.contains",
            [("value", CType::String), ("substring", CType::String)],
            [("out", CType::Boolean)],
        ),
        ModuleSignature::new(
            "stdlib.trim",
            [("value", CType::String)],
            [("out", CType::String)],
        ),
        ModuleSignature::new(
            "stdlib.not",
            [("value", CType::Boolean)],
            [("out", CType::Boolean)],
        ),
        ModuleSignature::new(
            "stdlib.list-sum",
            [("list", CType::list(CType::Int))],
            [("out", CType::Int)],
        ),
        ModuleSignature::new(
            "Uppercase",
            [("text", CType::String)],
            [("result", CType::String)],
        ),
        ModuleSignature::new(
            "Profile",
            [("id", CType::String)],
            [("name", CType::String), ("age", CType::Int)],
        ),
    ];
    v.push(ModuleSignature::new(
        "Greet",
        [("user", CType::product([("name", CType::String)]))],
        [("out", CType::String)],
    ));
    v.into_iter().collect()
}
