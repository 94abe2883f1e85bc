//! The integration suite: one binary, one module per area.

#[cfg(feature = "cli")]
mod pty;
mod support;

#[cfg(feature = "emulator")]
mod breaks;
#[cfg(feature = "emulator")]
mod bulk;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_lying_lists;
#[cfg(feature = "cli")]
mod cli_operator;
#[cfg(feature = "cli")]
mod cli_roster;
#[cfg(feature = "cli")]
mod cli_roster_input;
#[cfg(feature = "cli")]
mod cli_terminal;
#[cfg(feature = "cli")]
mod cli_webhook;

mod calls;
mod decoding;
#[cfg(feature = "emulator")]
mod delete;
#[cfg(feature = "emulator")]
mod emulator;
#[cfg(feature = "emulator")]
mod emulator_organizations;
#[cfg(feature = "emulator")]
mod emulator_product;
#[cfg(feature = "emulator")]
mod emulator_safety;
#[cfg(feature = "emulator")]
mod emulator_test_author;
mod errors;
#[cfg(feature = "emulator")]
mod exactly_once;
#[cfg(feature = "emulator")]
mod faults;
#[cfg(feature = "emulator")]
mod fuzz;
mod operations;
#[cfg(feature = "emulator")]
mod retries;
#[cfg(feature = "emulator")]
mod schema;
#[cfg(feature = "emulator")]
mod simulation;
mod spec_build;
#[cfg(feature = "emulator")]
mod spec_coverage;
mod validation;
#[cfg(feature = "webhooks")]
mod webhooks;
#[cfg(feature = "emulator")]
mod webhooks_emulator;
