//! Settings of an emulator ([`EmulatorBuilder`]), starting it, and the accept loop that serves
//! its connections.

use super::{
    CLERK_RETRY_SCHEDULE, DEFAULT_EMULATOR_KEY, Emulator, Seed, WebhookEndpoint, faults, ratelimit,
    server, state, webhooks,
};
use crate::{Error, Result};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Settings of an [`Emulator`], made by [`Emulator::builder`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clerk_invitations::Result<()> {
/// use clerk_invitations::emulator::{Emulator, Fault};
/// let emu = Emulator::builder().time_scale(3600.0).rate_limits(true).start().await?;
/// emu.seed_organization("org_1", "Acme", "acme", Some(5));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct EmulatorBuilder {
    keys: Vec<String>,
    port: u16,
    rate_limits: bool,
    time_scale: f64,
    record: bool,
    seed: Option<Seed>,
    state_file: Option<std::path::PathBuf>,
    header_read_timeout: Duration,
    max_connections: usize,
    webhooks: Vec<WebhookEndpoint>,
    webhook_retry_schedule: Vec<Duration>,
    hosts: Vec<String>,
    admin_token: Option<AdminToken>,
}

/// The admin token, kept out of `Debug`.
#[derive(Clone)]
struct AdminToken(String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            keys: vec![DEFAULT_EMULATOR_KEY.to_string()],
            port: 0,
            rate_limits: true,
            time_scale: 1.0,
            record: false,
            seed: None,
            state_file: None,
            header_read_timeout: Duration::from_secs(10),
            max_connections: 512,
            webhooks: Vec::new(),
            webhook_retry_schedule: CLERK_RETRY_SCHEDULE.to_vec(),
            hosts: Vec::new(),
            admin_token: None,
        }
    }
}

impl EmulatorBuilder {
    /// The secret keys the emulator accepts (replacing the default `sk_test_emulator`).
    pub fn keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// One more name the emulator answers to as its `Host` (a name, or `name:port`), besides
    /// `127.0.0.1`, `localhost` and `[::1]` with its port: a request naming any other host is
    /// refused (421), so a web page cannot reach it through DNS rebinding. For a name in
    /// `/etc/hosts` or a container network.
    pub fn host(mut self, name: impl Into<String>) -> Self {
        self.hosts.push(name.into());
        self
    }

    /// A token the admin API (`/__emulator/`) requires as `Authorization: Bearer TOKEN`
    /// (default: none; the admin API then answers any local program that sends its writes as
    /// `application/json`).
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(AdminToken(token.into()));
        self
    }

    /// The port to bind on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether Clerk's rate limits apply (default: on). They are those of
    /// [`crate::limits`], counted per secret key in fixed windows: the global limit of a
    /// development instance, or of a production one for keys starting `sk_live_`, and the
    /// per-endpoint limits of the four create operations. A request over a limit is answered
    /// `429 too_many_requests` with `Retry-After` (whole seconds, at least 1) and draws on no
    /// budget.
    pub fn rate_limits(mut self, on: bool) -> Self {
        self.rate_limits = on;
        self
    }

    /// How much faster than real time rate-limit windows pass (default 1). With 3600, an
    /// hourly budget renews every real second, and `Retry-After` counts real seconds.
    /// Values that are not finite and positive are ignored.
    pub fn time_scale(mut self, scale: f64) -> Self {
        if scale.is_finite() && scale > 0.0 {
            self.time_scale = scale;
        }
        self
    }

    /// Keep every request and answer for [`Emulator::exchanges`] (default: off, so a
    /// long-running emulator does not grow).
    pub fn record_exchanges(mut self, on: bool) -> Self {
        self.record = on;
        self
    }

    /// Starts with what `seed` holds (see [`Seed`]); with a state file too, the seed comes on
    /// top of the saved state.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Keeps the state in `path`: loaded on start when the file exists (then it is the state,
    /// and a [`seed`](EmulatorBuilder::seed) is not applied: a seed only fills an emulator that
    /// starts empty), written by [`Emulator::save_state`] (the binary does on shutdown and on
    /// `POST /__emulator/save`) atomically, `0600`, ending with a marker line. A file cut short
    /// (no marker), not a seed document, or with an id twice stops the start with an error
    /// naming the line, and is never saved over.
    pub fn state_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// How long a connection may take to send a request's headers (default 10 s): a client
    /// that sends them slowly, or not at all, is disconnected.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Connections served at once (default 512); more wait to be accepted. With the header
    /// timeout, slow clients cannot hold every place for long.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Delivers Clerk's organization invitation events (`organizationInvitation.created`,
    /// `.accepted`, `.revoked`), signed with `secret` (`whsec_…`), to `url`. May be given
    /// several times. See [`webhooks`](crate::webhooks) for the receiving side.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> clerk_invitations::Result<()> {
    /// use clerk_invitations::emulator::Emulator;
    /// let emu = Emulator::builder()
    ///     .webhook("http://127.0.0.1:3000/webhooks/clerk", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn webhook(mut self, url: impl Into<String>, secret: impl Into<String>) -> Self {
        self.webhooks.push(WebhookEndpoint::new(url, secret));
        self
    }

    /// The waits between attempts of a failed webhook delivery ([`CLERK_RETRY_SCHEDULE`]
    /// unless set); after the last, the delivery is given up. Tests shorten it.
    pub fn webhook_retry_schedule(mut self, schedule: impl Into<Vec<Duration>>) -> Self {
        self.webhook_retry_schedule = schedule.into();
        self
    }

    /// Binds and starts serving in the background of the current tokio runtime.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the port cannot be
    /// bound or the state file cannot be read; [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    /// when the state file is not a seed document, or a webhook's URL or secret is invalid.
    pub async fn start(self) -> Result<Emulator> {
        let mut initial = state::State::default();
        let hub = webhooks::Hub::new(self.webhook_retry_schedule.clone());
        // The state file, when it exists, is the state; the seed fills an emulator that starts
        // without one. A state file that fails to load stops the start (so it is never saved
        // over with less).
        let mut seeds = Vec::new();
        match self.state_file.as_ref().filter(|p| p.exists()) {
            Some(path) => seeds.push(super::state_file::load(path)?),
            None => seeds.extend(self.seed.clone()),
        }
        // Tests commonly talk to the emulator with a reqwest client of their own as well; with
        // the default `rustls` feature that needs the process-wide crypto provider.
        crate::tls::init();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| {
                Error::configuration(format!(
                    "the emulator could not bind 127.0.0.1:{}: {e}",
                    self.port
                ))
                .with_source(e)
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::configuration("the emulator has no address").with_source(e))?;
        // Bound first, so that an endpoint pointing at the emulator itself is told apart.
        hub.set_own_port(addr.port());
        for seed in &seeds {
            initial.apply_seed(seed);
            for endpoint in &seed.webhooks {
                hub.add(endpoint)?;
            }
        }
        for endpoint in &self.webhooks {
            hub.add_permanent(endpoint)?;
        }
        let shared = Arc::new(server::Shared {
            keys: self.keys,
            state: Mutex::new(initial),
            limiter: Mutex::new(ratelimit::Limiter::new(self.rate_limits, self.time_scale)),
            faults: Mutex::new(faults::Faults::default()),
            exchanges: self.record.then(|| Mutex::new(Vec::new())),
            requests: AtomicU64::new(0),
            state_file: self.state_file,
            webhooks: hub,
            origin: server::Origin::new(addr.port(), &self.hosts, self.admin_token.map(|t| t.0)),
        });
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = server::router(shared.clone());
        let limits = ServeLimits {
            header_read_timeout: self.header_read_timeout,
            max_connections: self.max_connections,
        };
        tokio::spawn(serve(listener, app, rx, limits));
        Ok(Emulator {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }
}

/// Accepts connections until `shutdown`, serving each over HTTP/1.1 in its own task. Each
/// request carries a handle that lets fault injection close its connection; shutting down
/// closes every connection, stalled ones included.
struct ServeLimits {
    header_read_timeout: Duration,
    max_connections: usize,
}

async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
    limits: ServeLimits,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let places = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        // A place first, then a connection: past the cap, connections wait in the backlog.
        let place = tokio::select! {
            _ = &mut shutdown => break,
            place = places.clone().acquire_owned() => match place {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait a little and go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let kill = Arc::new(tokio::sync::Notify::new());
        let handle = server::ConnectionKill(kill.clone());
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            request.extensions_mut().insert(handle.clone());
            tower_service::Service::call(&mut app.clone(), request)
        });
        let mut stop = stop_rx.clone();
        let header_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            let _place = place;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .auto_date_header(false)
                .header_read_timeout(header_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                () = kill.notified() => {}
                _ = stop.changed() => {}
            }
        });
    }
    drop(stop_tx);
}
