//! Webhook deliveries: the emulator posts Clerk's signed invitation events to the endpoints
//! registered with it, as Svix does for Clerk.
//!
//! Each endpoint has one queue, delivered in order: an event is retried (on a non-2xx answer,
//! a connection failure or a 15-second timeout) after each delay of the retry schedule before
//! the next event is sent. Every attempt is recorded; [`Emulator::webhook_deliveries`]
//! (`GET /__emulator/webhooks/deliveries`) lists them.
//!
//! [`Emulator::webhook_deliveries`]: super::Emulator::webhook_deliveries

use super::server::lock;
use super::state::{State, StoredOrganizationInvitation};
use crate::webhooks::Webhook;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Clerk's retry schedule (that of Svix): after a failed attempt, the next comes 5 seconds
/// later, then 5 minutes, 30 minutes, 2 hours, 5 hours, 10 hours and 10 hours.
pub const CLERK_RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// How long one attempt may take, as with Svix.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// An endpoint the emulator delivers events to: its URL and signing secret (`whsec_…`).
///
/// ```
/// use clerk_invitations::emulator::{Seed, WebhookEndpoint};
/// let seed = Seed::from_yaml(
///     "webhooks:\n  - url: http://127.0.0.1:3000/webhooks/clerk\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
/// ).unwrap();
/// assert_eq!(seed.webhooks[0], WebhookEndpoint::new("http://127.0.0.1:3000/webhooks/clerk", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WebhookEndpoint {
    /// Where events are posted.
    pub url: String,
    /// The signing secret, `whsec_` and base64.
    pub secret: String,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl WebhookEndpoint {
    /// An endpoint at `url` signed with `secret`.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Self {
        WebhookEndpoint {
            url: url.into(),
            secret: secret.into(),
        }
    }
}

/// One event sent (or being sent) to one endpoint, with every attempt.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> clerk_invitations::Result<()> {
/// use clerk_invitations::emulator::Emulator;
/// let emu = Emulator::start().await?;
/// for d in emu.webhook_deliveries() {
///     println!("{} {} to {}: {} attempts, delivered: {}", d.id, d.event_type, d.url, d.attempts.len(), d.delivered);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The message id (`svix-id`), the same on every attempt.
    pub id: String,
    /// The event's `type`.
    pub event_type: String,
    /// The endpoint's URL.
    pub url: String,
    /// The attempts so far, oldest first.
    pub attempts: Vec<WebhookAttempt>,
    /// Whether an attempt got a 2xx answer.
    pub delivered: bool,
    /// Whether the schedule ran out without a 2xx answer.
    pub failed: bool,
}

/// One attempt of a [`WebhookDelivery`].
///
/// ```
/// # fn demo(d: &clerk_invitations::emulator::WebhookDelivery) {
/// for a in &d.attempts {
///     match (a.status, &a.error) {
///         (Some(status), _) => println!("answered {status}"),
///         (None, Some(error)) => println!("failed: {error}"),
///         (None, None) => {}
///     }
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WebhookAttempt {
    /// When it was sent, by the emulator's clock (Unix milliseconds).
    pub at_ms: i64,
    /// The endpoint's answer status, if it answered.
    pub status: Option<u16>,
    /// Why it failed without an answer (connection refused, timeout).
    pub error: Option<String>,
}

/// An event on its way: its message id (the same for every endpoint, as with Svix), type and
/// payload.
struct Outgoing {
    id: String,
    event_type: String,
    body: Vec<u8>,
}

struct Endpoint {
    registered: WebhookEndpoint,
    queue: mpsc::UnboundedSender<Outgoing>,
    /// Given when the emulator was started (`--webhook`): a reset keeps it.
    permanent: bool,
    /// Dropped with the endpoint: its worker stops, retries included.
    _stop: tokio::sync::watch::Sender<()>,
}

/// The most endpoints registered at once.
pub const MAX_WEBHOOK_ENDPOINTS: usize = 100;

/// The registered endpoints and the record of deliveries.
pub(crate) struct Hub {
    endpoints: Mutex<Vec<Endpoint>>,
    deliveries: Arc<Mutex<Vec<WebhookDelivery>>>,
    schedule: Vec<Duration>,
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    next_id: std::sync::atomic::AtomicU64,
    /// Dropped with the hub (when the emulator stops): every worker stops, mid-wait included.
    stop: tokio::sync::watch::Sender<()>,
    /// The emulator's own port: an endpoint on loopback with it would call the emulator.
    own_port: std::sync::atomic::AtomicU16,
}

impl Hub {
    pub(crate) fn new(schedule: Vec<Duration>) -> Hub {
        crate::tls::init();
        Hub {
            endpoints: Mutex::new(Vec::new()),
            deliveries: Arc::new(Mutex::new(Vec::new())),
            schedule,
            // As with Svix: a redirect is an answer (a failed attempt), not followed.
            client: reqwest::Client::builder()
                .timeout(ATTEMPT_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            runtime: tokio::runtime::Handle::current(),
            next_id: std::sync::atomic::AtomicU64::new(1),
            stop: tokio::sync::watch::channel(()).0,
            own_port: std::sync::atomic::AtomicU16::new(0),
        }
    }

    pub(crate) fn set_own_port(&self, port: u16) {
        self.own_port
            .store(port, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether `url` is the emulator itself (a loopback address or name with its port).
    fn is_self(&self, url: &reqwest::Url) -> bool {
        let own = self.own_port.load(std::sync::atomic::Ordering::Relaxed);
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
            None => false,
        };
        own != 0 && loopback && url.port_or_known_default() == Some(own)
    }

    /// The endpoint's signer and URL, or why it cannot be registered.
    fn parse(endpoint: &WebhookEndpoint) -> crate::Result<(Webhook, reqwest::Url)> {
        let signer = Webhook::new(&endpoint.secret)
            .map_err(|e| crate::Error::invalid_input(e.to_string()))?;
        let url = reqwest::Url::parse(&endpoint.url)
            .map_err(|e| e.to_string())
            .and_then(|u| match u.scheme() {
                "http" | "https" => Ok(u),
                other => Err(format!("the scheme is {other:?}, not http or https")),
            })
            .map_err(|e| {
                crate::Error::invalid_input(format!("webhook URL {:?}: {e}", endpoint.url))
            })?;
        Ok((signer, url))
    }

    /// Whether `endpoint` can be registered (a valid secret and an http(s) URL).
    pub(crate) fn check(endpoint: &WebhookEndpoint) -> crate::Result<()> {
        Hub::parse(endpoint).map(|_| ())
    }

    /// Registers an endpoint: events from now on are delivered to it. An endpoint already
    /// registered with the same URL and secret is left as it is (a state file and a
    /// `--webhook` flag may both name it).
    pub(crate) fn add(&self, endpoint: &WebhookEndpoint) -> crate::Result<()> {
        self.register(endpoint, false)
    }

    /// [`add`](Hub::add), for an endpoint a reset keeps (given at start).
    pub(crate) fn add_permanent(&self, endpoint: &WebhookEndpoint) -> crate::Result<()> {
        self.register(endpoint, true)
    }

    fn register(&self, endpoint: &WebhookEndpoint, permanent: bool) -> crate::Result<()> {
        let (signer, url) = Hub::parse(endpoint)?;
        if self.is_self(&url) {
            return Err(crate::Error::invalid_input(format!(
                "webhook URL {:?} points at the emulator itself: its deliveries would drive the emulator's own API",
                endpoint.url
            )));
        }
        let mut endpoints = lock(&self.endpoints);
        if let Some(e) = endpoints.iter_mut().find(|e| e.registered == *endpoint) {
            e.permanent |= permanent;
            return Ok(());
        }
        if endpoints.len() >= MAX_WEBHOOK_ENDPOINTS {
            return Err(crate::Error::invalid_input(format!(
                "{MAX_WEBHOOK_ENDPOINTS} webhook endpoints are registered, the most the emulator keeps: remove some first (DELETE /__emulator/webhooks)"
            )));
        }
        let (own_stop, mut own_stopped) = tokio::sync::watch::channel(());
        let (tx, rx) = mpsc::unbounded_channel();
        let worker = Worker {
            url,
            signer,
            client: self.client.clone(),
            schedule: self.schedule.clone(),
            deliveries: self.deliveries.clone(),
        };
        let mut stopped = self.stop.subscribe();
        self.runtime.spawn(async move {
            tokio::select! {
                () = worker.run(rx) => {}
                _ = stopped.changed() => {}
                _ = own_stopped.changed() => {}
            }
        });
        endpoints.push(Endpoint {
            registered: endpoint.clone(),
            queue: tx,
            permanent,
            _stop: own_stop,
        });
        Ok(())
    }

    /// Removes the endpoints with `url` (every one without), stopping their deliveries and
    /// retries; how many were removed.
    pub(crate) fn remove(&self, url: Option<&str>) -> usize {
        let mut endpoints = lock(&self.endpoints);
        let before = endpoints.len();
        endpoints.retain(|e| url.is_some_and(|u| e.registered.url != u));
        before - endpoints.len()
    }

    /// What a reset does to webhooks: the endpoints added since the start (admin API, seeds,
    /// the state file) go, those given at start stay; the record of deliveries is emptied.
    pub(crate) fn reset(&self) {
        lock(&self.endpoints).retain(|e| e.permanent);
        lock(&self.deliveries).clear();
    }

    /// The registered endpoints' URLs.
    pub(crate) fn urls(&self) -> Vec<String> {
        lock(&self.endpoints)
            .iter()
            .map(|e| e.registered.url.clone())
            .collect()
    }

    /// The registered endpoints, secrets included (for the state file).
    pub(crate) fn endpoints(&self) -> Vec<WebhookEndpoint> {
        lock(&self.endpoints)
            .iter()
            .map(|e| e.registered.clone())
            .collect()
    }

    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.deliveries).clone()
    }

    /// Queues an organization invitation event for every endpoint. Called with the state
    /// locked, so that events leave in the order the changes happened.
    pub(crate) fn organization_invitation(
        &self,
        state: &State,
        event_type: &str,
        inv: &StoredOrganizationInvitation,
        user_id: Option<&str>,
    ) {
        let endpoints = lock(&self.endpoints);
        if endpoints.is_empty() {
            return;
        }
        let mut data = state.org_invitation_json(inv, false);
        let org = state.organizations.get(&inv.organization_id).map(|o| {
            json!({
                "id": o.id, "name": o.name, "slug": o.slug,
                "image_url": "https://img.clerk.com/emulator-org", "has_image": false,
            })
        });
        data["data"] = json!({ "public_organization_data": org });
        if let Some(user) = user_id {
            data["user_id"] = json!(user);
        }
        let payload = json!({
            "object": "event",
            "type": event_type,
            "instance_id": "ins_emulator",
            "timestamp": state.now_ms(),
            "event_attributes": {"http_request": {"client_ip": "127.0.0.1", "user_agent": "clerk-emulator"}},
            "data": data,
        });
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        let id = self.message_id();
        for e in endpoints.iter() {
            let _ = e.queue.send(Outgoing {
                id: id.clone(),
                event_type: event_type.to_string(),
                body: body.clone(),
            });
        }
    }

    fn message_id(&self) -> String {
        let n = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("msg_emulator{n:012}")
    }
}

/// Delivers one endpoint's queue, in order.
struct Worker {
    url: reqwest::Url,
    signer: Webhook,
    client: reqwest::Client,
    schedule: Vec<Duration>,
    deliveries: Arc<Mutex<Vec<WebhookDelivery>>>,
}

impl Worker {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
        while let Some(event) = rx.recv().await {
            self.deliver(event).await;
        }
    }

    async fn deliver(&self, event: Outgoing) {
        let id = event.id.clone();
        {
            let mut all = lock(&self.deliveries);
            if all.len() >= super::MAX_RECORDED {
                all.remove(0);
            }
            all.push(WebhookDelivery {
                id: id.clone(),
                event_type: event.event_type.clone(),
                url: self.url.to_string(),
                attempts: Vec::new(),
                delivered: false,
                failed: false,
            });
        }
        let mut waits = self.schedule.iter();
        loop {
            let now = crate::models::now_ms();
            let seconds = now / 1000;
            let signature = self.signer.sign(&id, seconds, &event.body);
            let answer = self
                .client
                .post(self.url.clone())
                .header("content-type", "application/json")
                .header("svix-id", &id)
                .header("svix-timestamp", seconds.to_string())
                .header("svix-signature", signature)
                .body(event.body.clone())
                .send()
                .await;
            let attempt = match &answer {
                Ok(r) => WebhookAttempt {
                    at_ms: now,
                    status: Some(r.status().as_u16()),
                    error: None,
                },
                Err(e) => WebhookAttempt {
                    at_ms: now,
                    status: None,
                    error: Some(if e.is_timeout() {
                        "timed out".to_string()
                    } else {
                        "could not connect or send".to_string()
                    }),
                },
            };
            let ok = answer.is_ok_and(|r| r.status().is_success());
            let next = if ok { None } else { waits.next() };
            {
                let mut all = lock(&self.deliveries);
                let url = self.url.as_str();
                if let Some(d) = all.iter_mut().rev().find(|d| d.id == id && d.url == url) {
                    d.attempts.push(attempt);
                    d.delivered = ok;
                    d.failed = !ok && next.is_none();
                }
            }
            match next {
                Some(wait) => tokio::time::sleep(*wait).await,
                None => return,
            }
        }
    }
}
