//! asterism facade
pub use asterism_compiler as compiler;
pub use asterism_runtime as runtime;
