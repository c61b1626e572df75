//! Modules: what a node runs.
//!
//! | file | owns |
//! |---|---|
//! | [`io`] | what a body sees: [`ModuleInputs`](io::ModuleInputs), [`ModuleOutputs`](io::ModuleOutputs), [`ModuleError`](io::ModuleError), [`BoxFuture`](io::BoxFuture) |
//! | [`module`] | [`Module`](module::Module): a name, a signature and a body (sync or async, typed or raw) |
//! | [`typed`] | the adapters that turn ordinary Rust functions into module bodies |
//! | [`each`] | modules whose parameters all have one type: [`Each`](each::Each), `Module::sync_each`, `ModuleInputs::ints` |
//! | [`registry`] | the modules a program can bind, by name |
//! | [`stdlib`] | the standard modules (`stdlib.add`, ...) |
//! | [`branch`] | the original's synthetic branch modules, rebuilt from a spec |

pub mod branch;
pub mod each;
pub mod io;
pub mod module;
pub mod registry;
pub mod stdlib;
pub mod typed;
