//! `DagBuilder`: build a [`DagSpec`] in code.
//!
//! Nodes are `slotmap` handles, so a handle stays valid (or is reported
//! stale) when other nodes are removed while a graph is being edited. UUIDs
//! are assigned when a node is added: random by default, or from a seed, so
//! that tests and benchmarks can build the same spec twice.
//!
//! ```
//! use asterism_compiler::{CType, DagBuilder};
//! let mut b = DagBuilder::new("sum");
//! let x = b.input("x", CType::Int);
//! let y = b.input("y", CType::Int);
//! let add = b.module("stdlib.add");
//! b.bind(x, add, "a");
//! b.bind(y, add, "b");
//! let sum = b.produce(add, "out", "sum", CType::Int);
//! b.output("sum", sum);
//! let spec = b.build();
//! assert_eq!(spec.modules.len(), 1);
//! ```

use slotmap::{new_key_type, SlotMap};
use uuid::Uuid;

use crate::options::ModuleCallOptions;
use crate::spec::{ComponentMetadata, DagSpec, DataNodeSpec, ModuleConfig, ModuleNodeSpec};
use crate::transform::InlineTransform;
use crate::value::CType;

new_key_type! {
    /// A module node being built.
    pub struct ModuleKey;
    /// A data node being built.
    pub struct DataKey;
}

/// Builds a [`DagSpec`] from handles.
#[derive(Debug)]
pub struct DagBuilder {
    name: String,
    seed: Option<u64>,
    counter: u64,
    modules: SlotMap<ModuleKey, (Uuid, ModuleNodeSpec)>,
    data: SlotMap<DataKey, (Uuid, DataNodeSpec)>,
    in_edges: Vec<(DataKey, ModuleKey)>,
    out_edges: Vec<(ModuleKey, DataKey)>,
    outputs: Vec<(String, DataKey)>,
}

impl DagBuilder {
    /// A builder that gives nodes random UUIDs.
    pub fn new(name: impl Into<String>) -> Self {
        DagBuilder {
            name: name.into(),
            seed: None,
            counter: 0,
            modules: SlotMap::with_key(),
            data: SlotMap::with_key(),
            in_edges: Vec::new(),
            out_edges: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// A builder whose UUIDs follow from `seed`: the same calls give the
    /// same spec.
    pub fn seeded(name: impl Into<String>, seed: u64) -> Self {
        DagBuilder {
            seed: Some(seed),
            ..DagBuilder::new(name)
        }
    }

    fn next_uuid(&mut self) -> Uuid {
        match self.seed {
            None => Uuid::new_v4(),
            Some(seed) => {
                self.counter += 1;
                let hi = splitmix64(seed ^ self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let lo = splitmix64(hi ^ self.counter);
                uuid::Builder::from_random_bytes(
                    ((u128::from(hi) << 64) | u128::from(lo)).to_be_bytes(),
                )
                .into_uuid()
            }
        }
    }

    /// Adds a user input.
    pub fn input(&mut self, name: impl Into<String>, ty: CType) -> DataKey {
        let uuid = self.next_uuid();
        let name = name.into();
        let mut nicknames = std::collections::BTreeMap::new();
        nicknames.insert(uuid, name.clone());
        self.data.insert((
            uuid,
            DataNodeSpec {
                nicknames,
                ..DataNodeSpec::new(name, ty)
            },
        ))
    }

    /// Adds a call of the module named `module_name`.
    pub fn module(&mut self, module_name: impl Into<String>) -> ModuleKey {
        let uuid = self.next_uuid();
        self.modules.insert((
            uuid,
            ModuleNodeSpec {
                metadata: ComponentMetadata::named(module_name),
                ..Default::default()
            },
        ))
    }

    /// Sets a module node's timeout in milliseconds.
    pub fn timeout_ms(&mut self, module: ModuleKey, ms: u64) {
        if let Some((_, m)) = self.modules.get_mut(module) {
            m.config = ModuleConfig {
                module_timeout: Some(ms),
                ..m.config
            };
        }
    }

    /// Sets a module node's call options (retry, cache, ...), replacing any
    /// it had.
    pub fn options(&mut self, module: ModuleKey, options: ModuleCallOptions) {
        if let Some((_, m)) = self.modules.get_mut(module) {
            m.options = options;
        }
    }

    /// Feeds `data` to `module` as its parameter `param`.
    ///
    /// The wire format gives a data node one nickname per module, so one
    /// node can feed a module only one parameter; binding it again replaces
    /// the nickname (and `compile` reports the parameter left unbound).
    ///
    /// # Panics
    /// If either handle was removed.
    pub fn bind(&mut self, data: DataKey, module: ModuleKey, param: impl Into<String>) {
        let m_uuid = self.modules[module].0;
        let param = param.into();
        let ty = self.data[data].1.c_type.clone();
        self.modules[module].1.consumes.insert(param.clone(), ty);
        self.data[data].1.nicknames.insert(m_uuid, param);
        self.in_edges.push((data, module));
    }

    /// Adds the data node that takes `module`'s output `field`.
    ///
    /// # Panics
    /// If the module handle was removed.
    pub fn produce(
        &mut self,
        module: ModuleKey,
        field: impl Into<String>,
        name: impl Into<String>,
        ty: CType,
    ) -> DataKey {
        let uuid = self.next_uuid();
        let m_uuid = self.modules[module].0;
        let field = field.into();
        self.modules[module]
            .1
            .produces
            .insert(field.clone(), ty.clone());
        let mut nicknames = std::collections::BTreeMap::new();
        nicknames.insert(m_uuid, field);
        let key = self.data.insert((
            uuid,
            DataNodeSpec {
                nicknames,
                ..DataNodeSpec::new(name, ty)
            },
        ));
        self.out_edges.push((module, key));
        key
    }

    /// Adds a transform node computed from `inputs` (input name, node).
    ///
    /// # Panics
    /// If an input handle was removed.
    pub fn transform(
        &mut self,
        name: impl Into<String>,
        ty: CType,
        transform: InlineTransform,
        inputs: &[(&str, DataKey)],
    ) -> DataKey {
        let uuid = self.next_uuid();
        let transform_inputs = inputs
            .iter()
            .map(|(n, k)| ((*n).to_owned(), self.data[*k].0))
            .collect();
        self.data.insert((
            uuid,
            DataNodeSpec {
                inline_transform_type: Some(transform.class_name().to_owned()),
                inline_transform: Some(transform),
                transform_inputs,
                ..DataNodeSpec::new(name, ty)
            },
        ))
    }

    /// Declares an output bound to `data`.
    pub fn output(&mut self, name: impl Into<String>, data: DataKey) {
        self.outputs.push((name.into(), data));
    }

    /// Removes a module node and its edges; its handle goes stale.
    pub fn remove_module(&mut self, module: ModuleKey) {
        self.modules.remove(module);
        self.in_edges.retain(|(_, m)| *m != module);
        self.out_edges.retain(|(m, _)| *m != module);
    }

    /// The UUID given to a data node.
    pub fn data_uuid(&self, data: DataKey) -> Option<Uuid> {
        self.data.get(data).map(|d| d.0)
    }

    /// The UUID given to a module node.
    pub fn module_uuid(&self, module: ModuleKey) -> Option<Uuid> {
        self.modules.get(module).map(|m| m.0)
    }

    /// Builds the spec.
    pub fn build(&self) -> DagSpec {
        DagSpec {
            metadata: ComponentMetadata::named(self.name.clone()),
            modules: self.modules.values().cloned().collect(),
            data: self.data.values().cloned().collect(),
            in_edges: self
                .in_edges
                .iter()
                .map(|(d, m)| (self.data[*d].0, self.modules[*m].0))
                .collect(),
            out_edges: self
                .out_edges
                .iter()
                .map(|(m, d)| (self.modules[*m].0, self.data[*d].0))
                .collect(),
            declared_outputs: self.outputs.iter().map(|(n, _)| n.clone()).collect(),
            output_bindings: self
                .outputs
                .iter()
                .filter_map(|(n, d)| self.data.get(*d).map(|d| (n.clone(), d.0)))
                .collect(),
        }
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_builders_give_equal_specs_and_removal_drops_edges() {
        let build = |remove: bool| {
            let mut b = DagBuilder::seeded("t", 7);
            let x = b.input("x", CType::Int);
            let m = b.module("stdlib.abs");
            b.bind(x, m, "value");
            let y = b.produce(m, "out", "y", CType::Int);
            b.output("y", y);
            if remove {
                b.remove_module(m);
            }
            b.build()
        };
        assert_eq!(build(false), build(false));
        let removed = build(true);
        assert!(removed.modules.is_empty());
        assert!(removed.in_edges.is_empty() && removed.out_edges.is_empty());
    }
}
