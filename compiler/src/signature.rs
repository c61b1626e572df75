//! Module signatures and name resolution.
//!
//! A signature is what the compiler must know of a module: its parameters in
//! order, its output fields in order, and an optional default timeout. The
//! runtime's registry provides them; so can a test, or a service that checks
//! specs without running them.
//!
//! Names resolve as in the original: the exact name first, then the part
//! after the last `.` against the short names (the part after the last `.`)
//! of the registered modules. `"mydag.Uppercase"` finds `Uppercase`;
//! `"x.add"` finds `stdlib.add` when no other module's short name is `add`.

use std::collections::HashMap;
use std::time::Duration;

use crate::value::CType;

/// A named, typed parameter or output field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// The port's name.
    pub name: String,
    /// The port's type.
    pub ty: CType,
}

impl Port {
    /// A port.
    pub fn new(name: impl Into<String>, ty: CType) -> Self {
        Port {
            name: name.into(),
            ty,
        }
    }
}

/// What the compiler knows of a module implementation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleSignature {
    /// The registered name (`"stdlib.add"`).
    pub name: String,
    /// Parameters in call order.
    pub params: Vec<Port>,
    /// Output fields in order.
    pub outputs: Vec<Port>,
    /// A timeout used when the spec gives none.
    pub default_timeout: Option<Duration>,
}

impl ModuleSignature {
    /// A signature from `(name, type)` lists.
    pub fn new<P, O, S, T>(name: impl Into<String>, params: P, outputs: O) -> Self
    where
        P: IntoIterator<Item = (S, CType)>,
        O: IntoIterator<Item = (T, CType)>,
        S: Into<String>,
        T: Into<String>,
    {
        ModuleSignature {
            name: name.into(),
            params: params.into_iter().map(|(n, t)| Port::new(n, t)).collect(),
            outputs: outputs.into_iter().map(|(n, t)| Port::new(n, t)).collect(),
            default_timeout: None,
        }
    }

    /// The position of parameter `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// The position of output field `name`.
    pub fn output_index(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|p| p.name == name)
    }
}

/// The outcome of resolving a module name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution<'a> {
    /// Found: the signature.
    Found(&'a ModuleSignature),
    /// Nothing registered matches, exactly or by short name.
    NotFound,
    /// Several modules share the short name; the candidates.
    Ambiguous(Vec<&'a str>),
}

/// The known modules' signatures, resolvable by name.
#[derive(Clone, Debug, Default)]
pub struct Signatures {
    sigs: Vec<ModuleSignature>,
    exact: HashMap<String, usize>,
    short: HashMap<String, Vec<usize>>,
}

/// The part of a name after its last `.`.
pub fn short_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

impl Signatures {
    /// No signatures.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a signature.
    pub fn insert(&mut self, sig: ModuleSignature) {
        if let Some(&i) = self.exact.get(&sig.name) {
            self.sigs[i] = sig;
            return;
        }
        let i = self.sigs.len();
        self.exact.insert(sig.name.clone(), i);
        self.short
            .entry(short_name(&sig.name).to_owned())
            .or_default()
            .push(i);
        self.sigs.push(sig);
    }

    /// Resolves a module name: exact first, then by short name.
    pub fn resolve(&self, name: &str) -> Resolution<'_> {
        if let Some(&i) = self.exact.get(name) {
            return Resolution::Found(&self.sigs[i]);
        }
        match self.short.get(short_name(name)).map(Vec::as_slice) {
            None | Some([]) => Resolution::NotFound,
            Some([i]) => Resolution::Found(&self.sigs[*i]),
            Some(many) => {
                Resolution::Ambiguous(many.iter().map(|&i| self.sigs[i].name.as_str()).collect())
            }
        }
    }

    /// Every signature, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &ModuleSignature> {
        self.sigs.iter()
    }

    /// How many signatures there are.
    pub fn len(&self) -> usize {
        self.sigs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }
}

impl FromIterator<ModuleSignature> for Signatures {
    fn from_iter<I: IntoIterator<Item = ModuleSignature>>(iter: I) -> Self {
        let mut s = Signatures::new();
        for sig in iter {
            s.insert(sig);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(name: &str) -> ModuleSignature {
        ModuleSignature::new(name, [("a", CType::Int)], [("out", CType::Int)])
    }

    #[test]
    fn exact_name_wins_then_short_name() {
        let s: Signatures = [sig("stdlib.add"), sig("Uppercase"), sig("add")]
            .into_iter()
            .collect();
        assert!(matches!(s.resolve("stdlib.add"), Resolution::Found(x) if x.name == "stdlib.add"));
        assert!(
            matches!(s.resolve("mydag.Uppercase"), Resolution::Found(x) if x.name == "Uppercase")
        );
        assert!(
            matches!(s.resolve("other.add"), Resolution::Ambiguous(c) if c == ["stdlib.add", "add"])
        );
        assert_eq!(s.resolve("nothing"), Resolution::NotFound);
    }
}
