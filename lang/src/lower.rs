//! Lowering: a checked program to a [`DagSpec`], through [`DagBuilder`].
//!
//! As the original's `IRGenerator` and `DagCompiler` do: each input is a
//! data node; each call is a module node with one data node per output
//! field; literals, lists, records, interpolation, `.field`, projection,
//! merge, `if`, `when`, `??`, `and`, `or` and `not` are inline transforms;
//! a variable names the node its value came from, so using it twice shares
//! the node. `branch` becomes a synthetic module `<pipeline>.branch-N`
//! (inputs `cond0`, `expr0`, ..., `otherwise`; output `out`), or, with
//! [`BranchLowering::Conditionals`], a chain of conditional transforms.
//!
//! The builder is seeded from the source text, so the same program always
//! gives the same UUIDs (and `--emit dagspec` is stable).

use std::collections::{HashMap, HashSet};

use asterism_compiler::{CType, DagBuilder, DagSpec, DataKey, InlineTransform, ModuleKey};

use crate::typed::{TCall, TDecl, TExpr, TKind, TProgram};

/// How `branch { ... }` is lowered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BranchLowering {
    /// As the original: one synthetic module `<pipeline>.branch-N` per
    /// branch (the runtime must know such modules).
    #[default]
    Module,
    /// As nested conditional transforms: the same values, no module.
    Conditionals,
}

struct Lower {
    b: DagBuilder,
    dag: String,
    vars: HashMap<String, DataKey>,
    n: usize,
    branches: usize,
    branch: BranchLowering,
    /// Which data nodes already feed which module (the wire format gives a
    /// node one port per module).
    bound: HashSet<(DataKey, ModuleKey)>,
}

/// Lowers a checked program.
pub(crate) fn lower(p: &TProgram, dag: &str, seed: u64, branch: BranchLowering) -> DagSpec {
    let mut l = Lower {
        b: DagBuilder::seeded(dag, seed),
        dag: dag.to_owned(),
        vars: HashMap::new(),
        n: 0,
        branches: 0,
        branch,
        bound: HashSet::new(),
    };
    for d in &p.decls {
        match d {
            TDecl::Input(name, ty) => {
                let k = l.b.input(name.clone(), ty.to_ctype());
                l.vars.insert(name.clone(), k);
            }
            TDecl::Assign(name, e) => {
                let k = l.expr(e);
                l.vars.insert(name.clone(), k);
            }
        }
    }
    for o in &p.outputs {
        if let Some(&k) = l.vars.get(o) {
            l.b.output(o.clone(), k);
        }
    }
    l.b.build()
}

impl Lower {
    fn name(&mut self, kind: &str) -> String {
        self.n += 1;
        format!("{kind}_{}_output", self.n)
    }

    fn transform(
        &mut self,
        kind: &str,
        ty: CType,
        t: InlineTransform,
        inputs: &[(&str, DataKey)],
    ) -> DataKey {
        let name = self.name(kind);
        self.b.transform(name, ty, t, inputs)
    }

    /// Feeds `data` to `module` as `param`; a node that already feeds this
    /// module goes through an identity (record build, field access) first.
    fn bind(&mut self, data: DataKey, module: ModuleKey, param: &str, ty: &CType) {
        let data = if self.bound.contains(&(data, module)) {
            let rec = self.transform(
                "alias",
                CType::product([("v", ty.clone())]),
                InlineTransform::RecordBuild {
                    fields: vec!["v".into()],
                },
                &[("v", data)],
            );
            self.transform(
                "alias",
                ty.clone(),
                InlineTransform::FieldAccess { field: "v".into() },
                &[("source", rec)],
            )
        } else {
            data
        };
        self.bound.insert((data, module));
        self.b.bind(data, module, param);
    }

    fn expr(&mut self, e: &TExpr) -> DataKey {
        crate::with_stack(|| self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &TExpr) -> DataKey {
        let ty = e.ty.to_ctype();
        match &e.kind {
            TKind::Var(n) => self.vars[n],
            TKind::Lit(v) => self.transform(
                "literal",
                ty,
                InlineTransform::Literal { value: v.clone() },
                &[],
            ),
            TKind::List(items) => {
                let keys: Vec<DataKey> = items.iter().map(|i| self.expr(i)).collect();
                let names: Vec<String> = (0..keys.len()).map(|i| format!("elem{i}")).collect();
                let inputs: Vec<(&str, DataKey)> =
                    names.iter().map(String::as_str).zip(keys).collect();
                self.transform(
                    "list",
                    ty,
                    InlineTransform::ListLiteral { len: inputs.len() },
                    &inputs,
                )
            }
            TKind::Record(fields) => {
                let keys: Vec<(String, DataKey)> = fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.expr(v)))
                    .collect();
                let inputs: Vec<(&str, DataKey)> =
                    keys.iter().map(|(k, d)| (k.as_str(), *d)).collect();
                self.transform(
                    "record",
                    ty,
                    InlineTransform::RecordBuild {
                        fields: keys.iter().map(|(k, _)| k.clone()).collect(),
                    },
                    &inputs,
                )
            }
            TKind::Interp(parts, exprs) => {
                let keys: Vec<DataKey> = exprs.iter().map(|x| self.expr(x)).collect();
                let names: Vec<String> = (0..keys.len()).map(|i| format!("expr{i}")).collect();
                let inputs: Vec<(&str, DataKey)> =
                    names.iter().map(String::as_str).zip(keys).collect();
                self.transform(
                    "interpolate",
                    ty,
                    InlineTransform::StringInterpolation {
                        parts: parts.clone(),
                    },
                    &inputs,
                )
            }
            TKind::Call(c) => self.call(c, ty),
            TKind::Field(src, f) => {
                let s = self.expr(src);
                self.transform(
                    "field",
                    ty,
                    InlineTransform::FieldAccess { field: f.clone() },
                    &[("source", s)],
                )
            }
            TKind::Project(src, fields) => {
                let s = self.expr(src);
                self.transform(
                    "project",
                    ty,
                    InlineTransform::Project {
                        fields: fields.clone(),
                    },
                    &[("source", s)],
                )
            }
            TKind::Merge(a, b) => self.pair("merge", ty, InlineTransform::Merge, a, b),
            TKind::And(a, b) => self.pair("and", ty, InlineTransform::And, a, b),
            TKind::Or(a, b) => self.pair("or", ty, InlineTransform::Or, a, b),
            TKind::Coalesce(a, b) => self.pair("coalesce", ty, InlineTransform::Coalesce, a, b),
            TKind::Guard(x, c) => {
                let (x, c) = (self.expr(x), self.expr(c));
                self.transform(
                    "guard",
                    ty,
                    InlineTransform::Guard,
                    &[("expr", x), ("cond", c)],
                )
            }
            TKind::Not(x) => {
                let x = self.expr(x);
                self.transform("not", ty, InlineTransform::Not, &[("operand", x)])
            }
            TKind::Conditional(c, a, b) => {
                let (c, a, b) = (self.expr(c), self.expr(a), self.expr(b));
                self.conditional(ty, c, a, b)
            }
            TKind::Branch(cases, otherwise) => self.branch(cases, otherwise, ty),
        }
    }

    fn conditional(&mut self, ty: CType, c: DataKey, a: DataKey, b: DataKey) -> DataKey {
        self.transform(
            "conditional",
            ty,
            InlineTransform::Conditional,
            &[("cond", c), ("thenBr", a), ("elseBr", b)],
        )
    }

    fn pair(&mut self, kind: &str, ty: CType, t: InlineTransform, a: &TExpr, b: &TExpr) -> DataKey {
        let (a, b) = (self.expr(a), self.expr(b));
        self.transform(kind, ty, t, &[("left", a), ("right", b)])
    }

    fn call(&mut self, c: &TCall, ty: CType) -> DataKey {
        let args: Vec<(String, CType, DataKey)> = c
            .args
            .iter()
            .map(|(p, pty, e)| (p.clone(), pty.to_ctype(), self.expr(e)))
            .collect();
        let fallback = c.fallback.as_ref().map(|f| self.expr(f));
        let m = self.b.module(c.module.clone());
        for (p, pty, k) in &args {
            self.bind(*k, m, p, pty);
        }
        let mut options = c.options.clone();
        options.fallback = fallback.and_then(|k| self.b.data_uuid(k));
        if !options.is_empty() {
            self.b.options(m, options);
        }
        if c.outputs.len() == 1 {
            let (field, oty) = &c.outputs[0];
            let name = format!("{}_output", c.written);
            return self.b.produce(m, field.clone(), name, oty.to_ctype());
        }
        let produced: Vec<(String, DataKey)> = c
            .outputs
            .iter()
            .map(|(field, oty)| {
                let name = format!("{}_{field}_output", c.written);
                (
                    field.clone(),
                    self.b.produce(m, field.clone(), name, oty.to_ctype()),
                )
            })
            .collect();
        let inputs: Vec<(&str, DataKey)> = produced.iter().map(|(f, k)| (f.as_str(), *k)).collect();
        self.transform(
            "record",
            ty,
            InlineTransform::RecordBuild {
                fields: produced.iter().map(|(f, _)| f.clone()).collect(),
            },
            &inputs,
        )
    }

    fn branch(&mut self, cases: &[(TExpr, TExpr)], otherwise: &TExpr, ty: CType) -> DataKey {
        let keys: Vec<(DataKey, DataKey)> = cases
            .iter()
            .map(|(c, v)| (self.expr(c), self.expr(v)))
            .collect();
        let other = self.expr(otherwise);
        match self.branch {
            BranchLowering::Conditionals => keys.iter().rev().fold(other, |acc, &(c, v)| {
                self.conditional(ty.clone(), c, v, acc)
            }),
            BranchLowering::Module => {
                self.branches += 1;
                let m = self
                    .b
                    .module(format!("{}.branch-{}", self.dag, self.branches));
                for (i, (c, v)) in keys.iter().enumerate() {
                    self.bind(*c, m, &format!("cond{i}"), &CType::Boolean);
                    self.bind(*v, m, &format!("expr{i}"), &ty);
                }
                self.bind(other, m, "otherwise", &ty);
                let name = format!("branch_{}_output", self.branches);
                self.b.produce(m, "out", name, ty)
            }
        }
    }
}
