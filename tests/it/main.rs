//! The integration suite: one binary, one module per area.

mod support;

mod decoding;
#[cfg(feature = "emulator")]
mod emulator;
mod errors;
#[cfg(feature = "emulator")]
mod faults;
mod operations;
#[cfg(feature = "emulator")]
mod retries;
#[cfg(feature = "emulator")]
mod schema;
mod spec_coverage;
mod validation;
