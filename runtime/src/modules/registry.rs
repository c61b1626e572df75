//! `Registry`: module implementations by name, consulted when a plan is
//! bound into a [`Program`](crate::Program) and never during a run.

use std::collections::HashMap;

use asterism_compiler::{compile, CompileErrors, DagSpec, Plan, Signatures};

use crate::modules::module::Module;
use crate::options::bind::CacheBackends;
use crate::options::cache::CacheBackend;

/// Module implementations by registered name.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    modules: HashMap<String, Module>,
    /// Registration order, so that signatures list deterministically.
    order: Vec<String>,
    /// Cache backends the `cacheBackend` option can name.
    caches: CacheBackends,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry holding the standard modules (see [`crate::modules::stdlib`]).
    pub fn with_stdlib() -> Self {
        let mut r = Registry::new();
        for m in crate::modules::stdlib::modules() {
            r.register(m);
        }
        r
    }

    /// Adds a module, replacing any module of the same name.
    pub fn register(&mut self, module: Module) -> &mut Self {
        let name = module.name().to_owned();
        if self.modules.insert(name.clone(), module).is_none() {
            self.order.push(name);
        }
        self
    }

    /// Registers a cache backend that modules' `cacheBackend` option can
    /// name (`"memory"` is always there; e.g. the Redis backend of the
    /// `redis` feature).
    pub fn register_cache_backend(
        &mut self,
        backend: std::sync::Arc<dyn CacheBackend>,
    ) -> &mut Self {
        self.caches.register(backend);
        self
    }

    /// The cache backends modules can name.
    pub fn cache_backends(&self) -> &CacheBackends {
        &self.caches
    }

    /// The module registered as `name`.
    pub fn get(&self, name: &str) -> Option<&Module> {
        self.modules.get(name)
    }

    /// How many modules are registered.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// Every module's signature, for [`compile`].
    pub fn signatures(&self) -> Signatures {
        self.order
            .iter()
            .map(|n| self.modules[n].signature().clone())
            .collect()
    }

    /// Compiles a spec against this registry's signatures.
    pub fn compile(&self, spec: &DagSpec) -> Result<Plan, CompileErrors> {
        compile(spec, &self.signatures())
    }
}
