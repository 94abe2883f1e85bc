//! Runs the clerk-invitations emulator standalone.
//!
//! ```text
//! clerk-emulator [--port 8080] [--key sk_test_emulator]... [--no-rate-limits] [--time-scale N]
//! ```

use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator};
use std::process::ExitCode;

const USAGE: &str = "usage: clerk-emulator [--port PORT] [--key SECRET_KEY]... [--no-rate-limits] [--time-scale N]\n\n\
Serves Clerk's invitation endpoints on 127.0.0.1:PORT/v1 (default: a free port) until Ctrl-C.\n\
Accepts the given secret keys (default: sk_test_emulator).\n\
Clerk's rate limits apply unless --no-rate-limits; --time-scale 3600 makes an hour's budget\n\
renew every second.";

#[tokio::main]
async fn main() -> ExitCode {
    let mut port = 0u16;
    let mut keys = Vec::new();
    let mut builder = Emulator::builder();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => {
                    eprintln!("error: --port needs a number from 0 to 65535\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--key" => match args.next() {
                Some(k) => keys.push(k),
                None => {
                    eprintln!("error: --key needs a value\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--no-rate-limits" => builder = builder.rate_limits(false),
            "--time-scale" => match args.next().and_then(|p| p.parse::<f64>().ok()) {
                Some(n) if n.is_finite() && n > 0.0 => builder = builder.time_scale(n),
                _ => {
                    eprintln!("error: --time-scale needs a positive number\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("error: unexpected argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if keys.is_empty() {
        keys.push(DEFAULT_EMULATOR_KEY.to_string());
    }
    let emulator = match builder.keys(keys).port(port).start().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("clerk-emulator listening on {}", emulator.base_url());
    println!("export CLERK_API_URL={}", emulator.base_url());
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
