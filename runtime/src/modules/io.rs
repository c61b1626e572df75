//! What a module's body sees: its inputs ([`ModuleInputs`]), its outputs
//! ([`ModuleOutputs`], [`ModuleOutput`]), its error ([`ModuleError`]) and
//! the future an async body returns ([`BoxFuture`]).
//!
//! These are the module-facing types every other module file builds on
//! (the typed adapters read arguments through [`ModuleInputs`] and report
//! [`ModuleError`]s); they depend on nothing in the runtime but the slot.

use std::future::Future;
use std::pin::Pin;

use asterism_compiler::typecheck::conforms;
use asterism_compiler::{CValue, ModuleSignature, Port, SlotIx, UNBOUND_SLOT};

use crate::state::slot::Slot;

/// A boxed, sendable future, as raw async modules return (also re-exported
/// by the facade, `asterism::BoxFuture`, so a body can be a named function).
///
/// ```
/// use asterism_compiler::{CType, CValue, ModuleSignature, Port};
/// use asterism_runtime::{BoxFuture, Module, ModuleError, ModuleInputs, ModuleOutput};
///
/// fn double(inputs: &ModuleInputs<'_>) -> BoxFuture<Result<ModuleOutput, ModuleError>> {
///     let x = inputs.int(0);
///     Box::pin(async move { Ok(ModuleOutput::One(CValue::Int(x? * 2))) })
/// }
///
/// let sig = ModuleSignature {
///     name: "double".into(),
///     params: vec![Port::new("x", CType::Int)],
///     outputs: vec![Port::new("out", CType::Int)],
///     default_timeout: None,
/// };
/// assert!(Module::raw_async(sig, double).is_async());
/// ```
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// An error a module reports: a message for the result and the logs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ModuleError {
    message: String,
}

impl ModuleError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        ModuleError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<String> for ModuleError {
    fn from(message: String) -> Self {
        ModuleError { message }
    }
}

impl From<&str> for ModuleError {
    fn from(message: &str) -> Self {
        ModuleError::new(message)
    }
}

/// What an async module's future gives back: its output values in output
/// order.
#[derive(Clone, Debug, PartialEq)]
pub enum ModuleOutput {
    /// The one output of a single-output module.
    One(CValue),
    /// Every output, in output order.
    Many(Vec<CValue>),
}

/// Where a module reads its inputs: the execution's slots, or (in the
/// reference executor) a list of values.
#[derive(Clone, Copy)]
enum InputSource<'a> {
    Slots(&'a [Slot<CValue>], &'a [SlotIx]),
    Values(&'a [&'a CValue]),
}

/// A module's inputs, in parameter order.
#[derive(Clone, Copy)]
pub struct ModuleInputs<'a> {
    source: InputSource<'a>,
    signature: &'a ModuleSignature,
}

impl<'a> ModuleInputs<'a> {
    pub(crate) fn from_slots(
        slots: &'a [Slot<CValue>],
        row: &'a [SlotIx],
        signature: &'a ModuleSignature,
    ) -> Self {
        ModuleInputs {
            source: InputSource::Slots(slots, row),
            signature,
        }
    }

    pub(crate) fn from_values(values: &'a [&'a CValue], signature: &'a ModuleSignature) -> Self {
        ModuleInputs {
            source: InputSource::Values(values),
            signature,
        }
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        match self.source {
            InputSource::Slots(_, row) => row.len(),
            InputSource::Values(v) => v.len(),
        }
    }

    /// Whether the module takes no parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parameter `i`'s value, or an error naming the parameter if there is
    /// no such parameter.
    #[inline(always)]
    pub fn get(&self, i: usize) -> Result<&'a CValue, ModuleError> {
        let found = match self.source {
            // The protocol fills every input slot before a node starts; an
            // empty slot here would be an executor bug, reported as an error.
            InputSource::Slots(slots, row) => row
                .get(i)
                .and_then(|s| slots.get(s.ix()))
                .and_then(Slot::get),
            InputSource::Values(v) => v.get(i).copied(),
        };
        found.ok_or_else(|| no_input(self.signature, i))
    }

    #[inline(always)]
    fn typed<T>(
        &self,
        i: usize,
        want: &str,
        pick: impl Fn(&'a CValue) -> Option<T>,
    ) -> Result<T, ModuleError> {
        let v = self.get(i)?;
        pick(v).ok_or_else(|| {
            let name = self
                .signature
                .params
                .get(i)
                .map_or("?", |p| p.name.as_str());
            ModuleError::new(format!(
                "parameter `{name}`: expected {want}, found {}",
                v.tag()
            ))
        })
    }

    /// The error for parameter `i` holding `v` where a `want` was expected.
    #[cold]
    #[inline(never)]
    pub(crate) fn mistyped(&self, i: usize, want: &str, v: &CValue) -> ModuleError {
        let name = self
            .signature
            .params
            .get(i)
            .map_or("?", |p| p.name.as_str());
        ModuleError::new(format!(
            "parameter `{name}`: expected {want}, found {}",
            v.tag()
        ))
    }

    /// Parameter `i` as an `Int`.
    #[inline]
    pub fn int(&self, i: usize) -> Result<i64, ModuleError> {
        self.typed(i, "Int", CValue::as_int)
    }

    /// Parameter `i` as a `Float`.
    #[inline]
    pub fn float(&self, i: usize) -> Result<f64, ModuleError> {
        self.typed(i, "Float", CValue::as_float)
    }

    /// Parameter `i` as a `Boolean`.
    #[inline]
    pub fn bool(&self, i: usize) -> Result<bool, ModuleError> {
        self.typed(i, "Boolean", CValue::as_bool)
    }

    /// Parameter `i` as text.
    #[inline]
    pub fn str(&self, i: usize) -> Result<&'a str, ModuleError> {
        self.typed(i, "String", CValue::as_str)
    }

    /// Parameter `i` as a list's elements.
    #[inline]
    pub fn list(&self, i: usize) -> Result<&'a [CValue], ModuleError> {
        self.typed(i, "List", CValue::as_list)
    }
}

/// Where a module writes its outputs.
enum OutputSink<'a> {
    Slots(&'a [Slot<CValue>], &'a [SlotIx]),
    Collect(&'a mut [Option<CValue>]),
}

/// A module's outputs, in output order; each is written once.
pub struct ModuleOutputs<'a> {
    sink: OutputSink<'a>,
    signature: &'a ModuleSignature,
    written: usize,
    /// Which unbound outputs (the first 64) were written: nobody reads
    /// them, but writing one twice is still an error.
    unbound_written: u64,
}

/// A module output that is not of its port's type: the wrong type outright,
/// or a wrong part inside (with its path).
#[cold]
fn wrong_output(module: &str, port: &Port, value: &CValue) -> ModuleError {
    match asterism_compiler::typecheck::check_value(&port.name, value, &port.ty) {
        Err(e) if value.ctype() == port.ty => ModuleError::new(format!(
            "module `{module}` wrote a {} to output `{}` whose contents are not of its type: {e}",
            port.ty, port.name
        )),
        _ => ModuleError::new(format!(
            "module `{module}` wrote {} to output `{}`, which is {}",
            value.tag(),
            port.name,
            port.ty
        )),
    }
}

impl<'a> ModuleOutputs<'a> {
    pub(crate) fn to_slots(
        slots: &'a [Slot<CValue>],
        row: &'a [SlotIx],
        signature: &'a ModuleSignature,
    ) -> Self {
        ModuleOutputs {
            sink: OutputSink::Slots(slots, row),
            signature,
            written: 0,
            unbound_written: 0,
        }
    }

    pub(crate) fn collect(into: &'a mut [Option<CValue>], signature: &'a ModuleSignature) -> Self {
        ModuleOutputs {
            sink: OutputSink::Collect(into),
            signature,
            written: 0,
            unbound_written: 0,
        }
    }

    /// Writes output `i`. Each output is written once; writing an output
    /// twice, or one the module does not have, is an error.
    #[inline]
    pub fn set(&mut self, i: usize, value: CValue) -> Result<(), ModuleError> {
        if let Some(port) = self.signature.outputs.get(i) {
            if !conforms(&value, &port.ty) {
                return Err(wrong_output(&self.signature.name, port, &value));
            }
        }
        self.write(i, value)
    }

    #[inline]
    fn write(&mut self, i: usize, value: CValue) -> Result<(), ModuleError> {
        let written = match &mut self.sink {
            OutputSink::Slots(slots, row) => match row.get(i) {
                None => false,
                // Nobody reads this output: drop the value (once).
                Some(&s) if s == UNBOUND_SLOT => {
                    let bit = u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i));
                    match bit {
                        Some(bit) if self.unbound_written & bit != 0 => false,
                        Some(bit) => {
                            self.unbound_written |= bit;
                            true
                        }
                        // Past 64 outputs a repeat goes unnoticed here; the
                        // executor still checks every read output is there.
                        None => true,
                    }
                }
                Some(s) => slots[s.ix()].set(value).is_ok(),
            },
            OutputSink::Collect(into) => match into.get_mut(i) {
                Some(slot @ None) => {
                    *slot = Some(value);
                    true
                }
                _ => false,
            },
        };
        if written {
            self.written += 1;
            Ok(())
        } else {
            let name = self
                .signature
                .outputs
                .get(i)
                .map_or("?", |p| p.name.as_str());
            Err(ModuleError::new(format!(
                "module `{}` wrote output {i} (`{name}`) twice, or it has no such output",
                self.signature.name
            )))
        }
    }

    /// Writes output `i` from a typed adapter, whose Rust type already
    /// guarantees the pipeline type: skips the type check.
    #[inline]
    pub(crate) fn set_typed(&mut self, i: usize, value: CValue) -> Result<(), ModuleError> {
        debug_assert!(self
            .signature
            .outputs
            .get(i)
            .is_none_or(|p| value.has_type(&p.ty)));
        self.write(i, value)
    }

    /// How many outputs were written.
    pub fn written(&self) -> usize {
        self.written
    }
}

// An error path, out of line and cold: inline, its formatting and
// allocation would make every read save and restore more registers.
#[cold]
#[inline(never)]
fn no_input(signature: &ModuleSignature, i: usize) -> ModuleError {
    ModuleError::new(format!("module `{}` has no input {i}", signature.name))
}
