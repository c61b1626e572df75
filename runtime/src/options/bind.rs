//! Options at bind time: every module node's options (the plan's, with the
//! runtime config's by module name laid over them) resolved once into a
//! table indexed by module, with the state shared by every execution.
//!
//! The table is built only for plans that have options (a plan without
//! any gets an empty table and its runs never look at it), and a node with
//! a plain policy gets no entry, so the executor's per-node test is one
//! load of a pointer the node record already carries.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use asterism_compiler::{CType, ModuleCallOptions, ModuleIx, Plan};
use uuid::Uuid;

use super::cache::{CacheBackend, MemoryCache};
use super::counters::OptionCounts;
use super::policy::{
    resolve, ModuleRef, OptionError, OptionErrors, OptionWarning, ResolveContext, MEMORY_BACKEND,
};
use super::runner::PolicyNode;

/// The cache backends a program can name, by name. `"memory"` is always
/// there (one in-memory cache per program unless a service registers its
/// own under that name).
#[derive(Clone, Debug, Default)]
pub struct CacheBackends {
    by_name: BTreeMap<String, Arc<dyn CacheBackend>>,
}

impl CacheBackends {
    /// Only the default memory backend (made on first use).
    pub fn new() -> CacheBackends {
        CacheBackends::default()
    }

    /// Adds (or replaces) a backend under its [`name`](CacheBackend::name).
    pub fn register(&mut self, backend: Arc<dyn CacheBackend>) -> &mut Self {
        self.by_name.insert(backend.name().to_owned(), backend);
        self
    }

    /// Whether a backend of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        name == MEMORY_BACKEND || self.by_name.contains_key(name)
    }

    fn get_or_memory(&mut self, name: &str) -> Option<Arc<dyn CacheBackend>> {
        if name == MEMORY_BACKEND && !self.by_name.contains_key(name) {
            self.by_name
                .insert(name.to_owned(), Arc::new(MemoryCache::default()));
        }
        self.by_name.get(name).cloned()
    }
}

/// One module's option counters, named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleOptionCounts {
    /// The module node's UUID.
    pub uuid: Uuid,
    /// The module node's name.
    pub name: String,
    /// The counters.
    pub counts: OptionCounts,
}

/// Every module's applied options, indexed by module.
#[derive(Default)]
pub struct ProgramOptions {
    nodes: Box<[Option<Arc<PolicyNode>>]>,
}

impl fmt::Debug for ProgramOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgramOptions")
            .field("with_options", &self.nodes.iter().flatten().count())
            .finish()
    }
}

/// The options of module `m`: the plan's, overlaid with the config's for
/// the module's registered name, then its node name (the first found).
pub fn effective_options(
    plan: &Plan,
    m: ModuleIx,
    overrides: &BTreeMap<String, ModuleCallOptions>,
) -> Option<ModuleCallOptions> {
    let names = [plan.module_signature(m).name.as_str(), plan.module_name(m)];
    let over = names.iter().find_map(|n| overrides.get(*n));
    match (plan.module_options(m), over) {
        (None, None) => None,
        (Some(o), None) => Some(o.clone()),
        (None, Some(o)) => Some(o.clone()),
        (Some(base), Some(o)) => Some(base.overlaid_with(o)),
    }
}

/// Checks every module's options; every error and warning of the plan.
pub fn check(
    plan: &Plan,
    overrides: &BTreeMap<String, ModuleCallOptions>,
    backends: &CacheBackends,
) -> (Vec<OptionError>, Vec<OptionWarning>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for_each_resolved(plan, overrides, backends, |_, r| match r {
        Ok((_, w)) => warnings.extend(w),
        Err(e) => errors.extend(e.0),
    });
    (errors, warnings)
}

fn for_each_resolved(
    plan: &Plan,
    overrides: &BTreeMap<String, ModuleCallOptions>,
    backends: &CacheBackends,
    mut each: impl FnMut(ModuleIx, Result<super::policy::Resolved, OptionErrors>),
) {
    let data_types: BTreeMap<Uuid, CType> = (0..plan.slot_count() as u32)
        .map(asterism_compiler::SlotIx)
        .map(|s| (plan.slot_uuid(s), plan.slot_type(s).clone()))
        .collect();
    let data_type = |u: Uuid| data_types.get(&u).cloned();
    let inputs: std::collections::BTreeSet<Uuid> = plan
        .inputs()
        .iter()
        .map(|d| plan.slot_uuid(d.slot))
        .collect();
    let is_input = |u: Uuid| inputs.contains(&u);
    let has_backend = |n: &str| backends.contains(n);
    for m in (0..plan.module_count() as u32).map(ModuleIx) {
        let Some(options) = effective_options(plan, m, overrides) else {
            continue;
        };
        let outputs: Vec<CType> = plan
            .module_signature(m)
            .outputs
            .iter()
            .map(|p| p.ty.clone())
            .collect();
        let output_nodes: Vec<Option<CType>> = plan
            .node_outputs(plan.module_node(m))
            .iter()
            .map(|&s| (s != asterism_compiler::UNBOUND_SLOT).then(|| plan.slot_type(s).clone()))
            .collect();
        let cx = ResolveContext {
            module: ModuleRef {
                uuid: plan.module_uuid(m),
                name: plan.module_name(m).to_owned(),
            },
            outputs: &outputs,
            output_nodes: &output_nodes,
            is_input: &is_input,
            data_type: &data_type,
            has_backend: &has_backend,
        };
        each(m, resolve(&options, &cx));
    }
}

impl ProgramOptions {
    /// Resolves every module's options and builds their shared state.
    /// Returns the table and the warnings, or every error of the plan.
    ///
    /// `timeouts` are the modules' own timeouts (spec, definition, config):
    /// with options, a module's own timeout bounds each attempt unless the
    /// options say `timeoutMs` (the run's deadline bounds the whole call).
    pub fn bind(
        plan: &Plan,
        overrides: &BTreeMap<String, ModuleCallOptions>,
        backends: &CacheBackends,
        timeouts: &[Option<std::time::Duration>],
    ) -> Result<(ProgramOptions, Vec<OptionWarning>), OptionErrors> {
        let mut backends = backends.clone();
        let mut nodes: Vec<Option<Arc<PolicyNode>>> = Vec::new();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut resolved = Vec::new();
        for_each_resolved(plan, overrides, &backends, |m, r| match r {
            Ok((policy, w)) => {
                warnings.extend(w);
                if !policy.is_plain() {
                    resolved.push((m, policy));
                }
            }
            Err(e) => errors.extend(e.0),
        });
        if !errors.is_empty() {
            return Err(OptionErrors(errors));
        }
        if !resolved.is_empty() {
            nodes.resize_with(plan.module_count(), || None);
        }
        for (m, mut policy) in resolved {
            policy.timeout = policy.timeout.or(timeouts.get(m.ix()).copied().flatten());
            let backend = policy
                .cache
                .as_ref()
                .and_then(|c| backends.get_or_memory(&c.backend));
            let module = ModuleRef {
                uuid: plan.module_uuid(m),
                name: plan.module_name(m).to_owned(),
            };
            nodes[m.ix()] = Some(Arc::new(PolicyNode::new(module, policy, backend)));
        }
        Ok((
            ProgramOptions {
                nodes: nodes.into_boxed_slice(),
            },
            warnings,
        ))
    }

    /// Module `m`'s applied options, if it has any that change a call.
    #[inline]
    pub fn node(&self, m: ModuleIx) -> Option<&PolicyNode> {
        self.nodes.get(m.ix()).and_then(|n| n.as_deref())
    }

    /// Module `m`'s applied options, shared (for its node record).
    pub(crate) fn shared(&self, m: ModuleIx) -> Option<Arc<PolicyNode>> {
        self.nodes.get(m.ix()).and_then(Clone::clone)
    }

    /// Whether no module has options.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The counters of every module with options, in module order.
    pub fn counts(&self) -> Vec<ModuleOptionCounts> {
        self.nodes
            .iter()
            .flatten()
            .map(|n| ModuleOptionCounts {
                uuid: n.module().uuid,
                name: n.module().name.clone(),
                counts: n.counters().snapshot(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::cache::{CacheError, CacheFuture, CacheKey, CachedOutput};
    use crate::Registry;
    use asterism_compiler::{DagBuilder, DagSpec};

    fn plan_with(options: ModuleCallOptions) -> Plan {
        let mut b = DagBuilder::new("p");
        let x = b.input("x", CType::Int);
        let y = b.input("y", CType::Int);
        let add = b.module("stdlib.add");
        b.bind(x, add, "a");
        b.bind(y, add, "b");
        let sum = b.produce(add, "out", "sum", CType::Int);
        b.output("sum", sum);
        b.options(add, options);
        Registry::with_stdlib().compile(&b.build()).unwrap()
    }

    #[test]
    fn a_plan_without_options_binds_an_empty_table() {
        let plan = plan_with(ModuleCallOptions::default());
        let (t, w) =
            ProgramOptions::bind(&plan, &BTreeMap::new(), &CacheBackends::new(), &[]).unwrap();
        assert!(t.is_empty() && w.is_empty());
        assert!(t.node(ModuleIx(0)).is_none());
        // Plain options (priority at its default) add no entry either.
        let plan = plan_with(ModuleCallOptions {
            priority: Some(50),
            ..Default::default()
        });
        let (t, _) =
            ProgramOptions::bind(&plan, &BTreeMap::new(), &CacheBackends::new(), &[]).unwrap();
        assert!(t.is_empty());
    }

    #[test]
    fn options_from_the_builder_the_spec_json_and_the_config() {
        let plan = plan_with(ModuleCallOptions {
            retry: Some(2),
            cache_ms: Some(1000),
            ..Default::default()
        });
        let (t, _) =
            ProgramOptions::bind(&plan, &BTreeMap::new(), &CacheBackends::new(), &[]).unwrap();
        let n = t.node(ModuleIx(0)).unwrap();
        assert_eq!(n.policy().retries, 2);
        assert!(n.policy().cache.is_some());

        // The DagSpec extension: an `options` object on the module node.
        let mut b = DagBuilder::new("p");
        let x = b.input("x", CType::Int);
        let y = b.input("y", CType::Int);
        let add = b.module("stdlib.add");
        b.bind(x, add, "a");
        b.bind(y, add, "b");
        let sum = b.produce(add, "out", "sum", CType::Int);
        b.output("sum", sum);
        let mut spec = serde_json::to_value(b.build()).unwrap();
        for (_, m) in spec["modules"].as_object_mut().unwrap() {
            m["options"] = serde_json::json!({"retry": 4, "timeoutMs": 50});
        }
        let spec: DagSpec = serde_json::from_value(spec).unwrap();
        let plan = Registry::with_stdlib().compile(&spec).unwrap();
        let overrides = BTreeMap::from([(
            "stdlib.add".to_owned(),
            ModuleCallOptions {
                retry: Some(1),
                ..Default::default()
            },
        )]);
        let (t, _) = ProgramOptions::bind(&plan, &overrides, &CacheBackends::new(), &[]).unwrap();
        let p = t.node(ModuleIx(0)).unwrap().policy();
        assert_eq!(p.retries, 1, "the config overrides the spec");
        assert_eq!(
            p.timeout,
            Some(std::time::Duration::from_millis(50)),
            "the spec's other options stay"
        );
    }

    #[test]
    fn every_problem_of_the_plan_names_its_module() {
        let plan = plan_with(ModuleCallOptions {
            retry: Some(-2),
            fallback: Some(Uuid::from_u128(77)),
            cache_ms: Some(5),
            cache_backend: Some("redis".into()),
            ..Default::default()
        });
        let (errors, _) = check(&plan, &BTreeMap::new(), &CacheBackends::new());
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors
            .iter()
            .all(|e| e.module.name == plan.module_name(ModuleIx(0))));
        let err =
            ProgramOptions::bind(&plan, &BTreeMap::new(), &CacheBackends::new(), &[]).unwrap_err();
        assert_eq!(err.0, errors);
        // A registered backend is accepted.
        let mut backends = CacheBackends::new();
        backends.register(Arc::new(Named));
        let plan = plan_with(ModuleCallOptions {
            cache_ms: Some(5),
            cache_backend: Some("redis".into()),
            ..Default::default()
        });
        let (t, _) = ProgramOptions::bind(&plan, &BTreeMap::new(), &backends, &[]).unwrap();
        assert_eq!(t.counts().len(), 1);
    }

    /// A backend registered as "redis" (never called here).
    #[derive(Debug)]
    struct Named;
    impl CacheBackend for Named {
        fn name(&self) -> &str {
            "redis"
        }
        fn get<'a>(
            &'a self,
            _: &'a CacheKey,
        ) -> CacheFuture<'a, Result<Option<CachedOutput>, CacheError>> {
            unreachable!()
        }
        fn put<'a>(
            &'a self,
            _: &'a CacheKey,
            _: &'a CachedOutput,
            _: std::time::Duration,
        ) -> CacheFuture<'a, Result<(), CacheError>> {
            unreachable!()
        }
        fn get_blocking(&self, _: &CacheKey) -> Result<Option<CachedOutput>, CacheError> {
            unreachable!()
        }
        fn put_blocking(
            &self,
            _: &CacheKey,
            _: &CachedOutput,
            _: std::time::Duration,
        ) -> Result<(), CacheError> {
            unreachable!()
        }
    }
}
