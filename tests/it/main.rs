//! The integration suite: one binary, one module per area.

mod support;

mod decoding;
#[cfg(feature = "emulator")]
mod emulator;
mod errors;
mod operations;
mod spec_coverage;
mod validation;
