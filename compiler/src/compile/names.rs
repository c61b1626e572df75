//! The names of everything in a spec, by dense index, for error messages.

use uuid::Uuid;

use crate::plan::NodeRef;
use crate::spec::DagSpec;

/// Names of everything in a spec, by dense index, for error messages.
pub(super) struct Names<'s> {
    pub(super) spec: &'s DagSpec,
    pub(super) module_uuid: Vec<Uuid>,
    pub(super) slot_uuid: Vec<Uuid>,
}

impl Names<'_> {
    pub(super) fn module(&self, m: usize) -> NodeRef {
        let uuid = self.module_uuid[m];
        NodeRef {
            uuid,
            name: self.spec.modules[&uuid].metadata.name.clone(),
        }
    }

    pub(super) fn data(&self, d: usize) -> NodeRef {
        let uuid = self.slot_uuid[d];
        NodeRef {
            uuid,
            name: self.spec.data[&uuid].name.clone(),
        }
    }
}
