//! Runs the clerk-invitations emulator standalone, for tests in any language.
//!
//! ```text
//! clerk-emulator [--port 8080] [--seed seed.yaml] [--state state.yaml] [--key-file FILE]
//!                [--key sk_test_…]... [--no-rate-limits] [--time-scale N]
//!                [--webhook URL --webhook-secret whsec_…]... [--host NAME]...
//!                [--admin-token-file FILE] [--version]
//! ```

use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator, Seed};
use std::process::ExitCode;

const USAGE: &str = "usage: clerk-emulator [--port PORT] [--seed FILE] [--state FILE] [--key-file FILE] [--key SECRET_KEY]... [--no-rate-limits] [--time-scale N] [--webhook URL --webhook-secret SECRET]... [--host NAME]... [--admin-token-file FILE] [--version]

Serves Clerk's invitation endpoints on 127.0.0.1:PORT/v1 (default: a free port) until Ctrl-C
or SIGTERM, and its admin API under /__emulator/ (seed, reset, state, accept, clock, settings,
faults, requests, save, webhooks, webhooks/deliveries).

  --seed FILE        start with the users, organizations and invitations of a seed file (YAML)
  --state FILE       load the state from FILE when it exists (it is then the state: --seed fills
                     only an emulator that starts empty); save it there, 0600, on shutdown and
                     on POST /__emulator/save (atomically). A file cut short or inconsistent
                     stops the start, naming its line, and is never saved over
  --key-file FILE    accept the secret key in FILE (first line)
  --key SECRET_KEY   accept this secret key (repeatable; visible to other users in `ps`: prefer
                     --key-file or CLERK_SECRET_KEY)
  --no-rate-limits   do not apply Clerk's rate limits
  --time-scale N     rate-limit windows pass N times faster (3600: an hour per second)
  --webhook URL      post Clerk's signed organization invitation events (created, accepted,
                     revoked) to URL, retried on Clerk's schedule; repeatable, each followed by
  --webhook-secret SECRET
                     the endpoint's signing secret, whsec_ and base64
  --host NAME        also answer requests whose Host is NAME (repeatable; a name in /etc/hosts
                     or a container network); any other Host but 127.0.0.1, localhost and [::1]
                     with the port is refused (421), so web pages cannot reach the emulator
                     through DNS rebinding
  --admin-token-file FILE
                     require the token in FILE (first line) as `Authorization: Bearer TOKEN` on
                     every admin request (else CLERK_EMULATOR_ADMIN_TOKEN when set)
  --version          print the version

Admin writes (POST and DELETE under /__emulator/) need `Content-Type: application/json` (a YAML
type for a seed): a web page cannot send that cross-site without asking, and is never let.

Without --key or --key-file, the key in CLERK_SECRET_KEY is accepted, else sk_test_emulator.";

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message} (clerk-emulator --help shows every option)");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut port = 0u16;
    let mut keys = Vec::new();
    let mut builder = Emulator::builder().record_exchanges(true);
    let mut keeps_state = false;
    let mut state_path: Option<String> = None;
    let mut seeded = false;
    let mut admin_token: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => return fail("--port needs a number from 0 to 65535"),
            },
            "--key" => match args.next() {
                Some(k) => keys.push(k),
                None => return fail("--key needs a value"),
            },
            "--key-file" => match args.next().map(std::fs::read_to_string) {
                Some(Ok(text)) => match text.lines().next().map(str::trim) {
                    Some(k) if !k.is_empty() => keys.push(k.to_string()),
                    _ => return fail("--key-file: the file holds no key"),
                },
                Some(Err(e)) => return fail(&format!("--key-file: {e}")),
                None => return fail("--key-file needs a file"),
            },
            "--seed" => match args.next().map(|p| Seed::from_file(&p)) {
                Some(Ok(seed)) => {
                    seeded = true;
                    builder = builder.seed(seed);
                }
                Some(Err(e)) => return fail(&e.to_string()),
                None => return fail("--seed needs a file"),
            },
            "--state" => match args.next() {
                Some(p) => {
                    keeps_state = true;
                    state_path = Some(p.clone());
                    builder = builder.state_file(p);
                }
                None => return fail("--state needs a file"),
            },
            "--webhook" => {
                let url = args.next();
                let secret = match (args.next().as_deref(), args.next()) {
                    (Some("--webhook-secret"), Some(secret)) => secret,
                    _ => return fail("--webhook URL must be followed by --webhook-secret SECRET"),
                };
                match url {
                    Some(url) => builder = builder.webhook(url, secret),
                    None => return fail("--webhook needs a URL"),
                }
            }
            "--host" => match args.next() {
                Some(h) if !h.trim().is_empty() => builder = builder.host(h),
                _ => return fail("--host needs a name"),
            },
            "--admin-token-file" => match args.next().map(std::fs::read_to_string) {
                Some(Ok(text)) => match text.lines().next().map(str::trim) {
                    Some(t) if !t.is_empty() => admin_token = Some(t.to_string()),
                    _ => return fail("--admin-token-file: the file holds no token"),
                },
                Some(Err(e)) => return fail(&format!("--admin-token-file: {e}")),
                None => return fail("--admin-token-file needs a file"),
            },
            "-V" | "--version" => {
                println!("clerk-emulator {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "--no-rate-limits" => builder = builder.rate_limits(false),
            "--time-scale" => match args.next().and_then(|p| p.parse::<f64>().ok()) {
                Some(n) if n.is_finite() && n > 0.0 => builder = builder.time_scale(n),
                _ => return fail("--time-scale needs a positive number"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return fail(&format!("unexpected argument `{}`", other.escape_debug())),
        }
    }
    if keys.is_empty() {
        match std::env::var("CLERK_SECRET_KEY") {
            Ok(k) if !k.trim().is_empty() => keys.push(k.trim().to_string()),
            _ => keys.push(DEFAULT_EMULATOR_KEY.to_string()),
        }
    }
    if admin_token.is_none()
        && let Ok(t) = std::env::var("CLERK_EMULATOR_ADMIN_TOKEN")
        && !t.trim().is_empty()
    {
        admin_token = Some(t.trim().to_string());
    }
    if let Some(t) = admin_token {
        builder = builder.admin_token(t);
    }
    let emulator = match builder.keys(keys).port(port).start().await {
        Ok(e) => e,
        Err(e) => {
            use std::error::Error as _;
            let shown = e.to_string();
            let cause = e
                .source()
                .map(|c| c.to_string())
                .filter(|c| !shown.contains(c.as_str()))
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            eprintln!("error: {e}{cause}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(p) = state_path.filter(|p| std::path::Path::new(p).exists()) {
        let note = if seeded {
            " (--seed is not applied: a seed fills only an emulator that starts empty)"
        } else {
            ""
        };
        eprintln!("state restored from {p}{note}");
    }
    // A caller that reads the first line and closes the pipe must not stop the emulator.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "clerk-emulator listening on {}", emulator.base_url());
        let _ = writeln!(out, "export CLERK_API_URL={}", emulator.base_url());
        let _ = out.flush();
    }
    shutdown_signal().await;
    if keeps_state {
        if let Err(e) = emulator.save_state() {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        let _ = std::io::Write::write_all(&mut std::io::stderr(), b"state saved\n");
    }
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM where there is one.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
