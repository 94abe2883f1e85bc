//! One bulk run in progress: grouping, scheduling within the budgets and sending (what each
//! answer means for the addresses of a request is in `verdict.rs`).

use super::verdict::{Verdict, account_for, application_verdict, common_verdict};
use super::*;

/// 429 answers in a row after which a run stops (and can be resumed from its journal).
const MAX_RATE_LIMITED_IN_A_ROW: u32 = 10;

/// The longest `Retry-After` a bulk run waits: 15 minutes. A longer one (a service asking for
/// an hour or ten years) stops the run with an error that says so, and the journal resumes
/// it. The run's own budgets already pace it within the hourly limits.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

pub(super) struct Run {
    pub(super) invite: BulkInvite,
    pub(super) started_ms: i64,
    pub(super) single: Budget,
    pub(super) bulk: Budget,
    pub(super) global: Budget,
    pub(super) journal: Option<journal::Journal>,
    pub(super) summary: Summary,
    /// Groups of addresses still to send; a group that failed because of some of its
    /// addresses comes back smaller.
    pub(super) groups: VecDeque<Vec<String>>,
    /// 429 answers since the last answer that was not one.
    pub(super) rate_limited_in_a_row: u32,
    /// How much faster than real time the limits' windows pass.
    pub(super) time_scale: f64,
    /// What the addresses in flight carry beyond the run's options (only those that carry
    /// something), until their outcome.
    pub(super) people: std::collections::HashMap<String, Invitee>,
}

/// Applies the run's options, then `person`'s (which win), to an invitation or a request of
/// the target's kind (`application`: a template, no private metadata; `organization`: private
/// metadata).
macro_rules! with_person {
    ($n:ident, $inv:expr, $person:expr, $target:tt) => {
        with_options!($n, $inv);
        let person: Option<&Invitee> = $person;
        if let Some(d) = person.and_then(|p| p.expires_in_days) {
            $n = $n.expires_in_days(d);
        }
        if let Some(u) = person.and_then(|p| p.redirect_url.clone()) {
            $n = $n.redirect_url(u);
        }
        let none = serde_json::Map::new();
        let public = super::invitee::merged(
            &$inv.public_metadata,
            person.map_or(&none, |p| &p.public_metadata),
        );
        if !public.is_empty() {
            $n = $n.public_metadata(serde_json::Value::Object(public));
        }
        with_person!(@$target $n, $inv, person, none);
    };
    (@organization $n:ident, $inv:expr, $person:ident, $none:ident) => {
        let private = super::invitee::merged(
            &$inv.private_metadata,
            $person.map_or(&$none, |p| &p.private_metadata),
        );
        if !private.is_empty() {
            $n = $n.private_metadata(serde_json::Value::Object(private));
        }
    };
    (@application $n:ident, $inv:expr, $person:ident, $none:ident) => {
        if let Some(t) = $person.and_then(|p| p.template_slug.clone()) {
            $n = $n.template_slug(t);
        }
    };
}

/// Which budgets a request draws on: the key's global one, and the endpoint's if any.
#[derive(Clone, Copy)]
enum Draw {
    Single,
    Bulk,
    GlobalOnly,
}

impl Run {
    pub(super) fn report<F: FnMut(&Outcome)>(
        &mut self,
        outcomes: &[Outcome],
        on_outcome: &mut F,
    ) -> Result<()> {
        if let Some(j) = &mut self.journal {
            j.outcomes(outcomes, now_ms())?;
        }
        self.report_unjournaled(outcomes, on_outcome);
        Ok(())
    }

    /// Reports outcomes without journaling them: their addresses stay in doubt.
    fn report_unjournaled<F: FnMut(&Outcome)>(&mut self, outcomes: &[Outcome], on_outcome: &mut F) {
        for o in outcomes {
            self.people.remove(&o.email);
            self.summary.count(&o.kind);
            on_outcome(o);
        }
    }

    /// The endpoint budget a request draws on besides the key's global one.
    fn endpoint(&mut self, draw: Draw) -> Option<&mut Budget> {
        match draw {
            Draw::Single => Some(&mut self.single),
            Draw::Bulk => Some(&mut self.bulk),
            Draw::GlobalOnly => None,
        }
    }

    /// Waits until the budgets a request draws on allow it, and records the send.
    /// Whether the run was asked to stop.
    pub(super) fn stopped(&self) -> bool {
        self.invite.stop.as_ref().is_some_and(|s| *s.borrow())
    }

    /// Waits for the budgets, then takes them; `false` when the run was asked to stop
    /// meanwhile (nothing taken).
    async fn take_budget(&mut self, draw: Draw) -> bool {
        loop {
            if self.stopped() {
                return false;
            }
            let now = Instant::now();
            let global = self.global.ready_at(now);
            let ready = self
                .endpoint(draw)
                .map_or(global, |b| b.ready_at(now).max(global));
            if ready <= now {
                break;
            }
            let long_wait = ready.duration_since(now) > Duration::from_secs(1);
            if long_wait {
                self.invite.report_progress(super::Progress::Waiting(ready));
            }
            match self.invite.stop.clone() {
                Some(mut stop) => {
                    // Whichever comes first: the budget, or the request to stop.
                    let sleep = std::pin::pin!(tokio::time::sleep_until(ready.into()));
                    let stopped = std::pin::pin!(stop.changed());
                    futures_util::future::select(sleep, stopped).await;
                }
                None => tokio::time::sleep_until(ready.into()).await,
            }
            if long_wait {
                self.invite.report_progress(super::Progress::Sending);
            }
        }
        let now = Instant::now();
        self.global.record(now);
        if let Some(b) = self.endpoint(draw) {
            b.record(now);
        }
        self.summary.requests += 1;
        true
    }

    /// Whether a group of this size should go through the bulk endpoint: always for more than
    /// one address; for one, whichever endpoint frees first.
    pub(super) fn use_bulk(&self, size: usize) -> bool {
        if size > 1 {
            return true;
        }
        let now = Instant::now();
        self.bulk.ready_at(now) < self.single.ready_at(now)
    }

    /// What to send next. Both endpoints are kept busy: when the single endpoint frees before
    /// the bulk one, one address goes alone (a narrowed-down one if any, else a fresh one);
    /// otherwise a narrowed-down group or a full batch of fresh addresses goes in bulk.
    pub(super) fn next_group(&mut self, fresh: &mut VecDeque<String>) -> Option<Vec<String>> {
        let now = Instant::now();
        if self.single.ready_at(now) < self.bulk.ready_at(now) {
            if let Some(pos) = self.groups.iter().position(|g| g.len() == 1) {
                return self.groups.remove(pos);
            }
            if let Some(e) = fresh.pop_back() {
                return Some(vec![e]);
            }
        }
        if let Some(g) = self.groups.pop_front() {
            return Some(g);
        }
        if fresh.is_empty() {
            return None;
        }
        let n = fresh.len().min(BATCH);
        Some(fresh.drain(..n).collect())
    }

    pub(super) async fn send<F: FnMut(&Outcome)>(
        &mut self,
        group: Vec<String>,
        on_outcome: &mut F,
    ) -> Result<()> {
        let bulk = self.use_bulk(group.len());
        let draw = if bulk { Draw::Bulk } else { Draw::Single };
        if !self.take_budget(draw).await {
            // Asked to stop while waiting: nothing sent, nothing in doubt.
            self.summary.interrupted = true;
            return Ok(());
        }
        if let Some(j) = &mut self.journal {
            j.intent(&group, now_ms())?;
        }
        let verdict = match &self.invite.target {
            Target::Application => self.send_application(&group, bulk).await,
            Target::Organization { .. } => self.send_organization(&group, bulk).await,
        };
        match verdict {
            Verdict::Outcomes(outcomes, rest) => {
                self.rate_limited_in_a_row = 0;
                self.report(&outcomes, on_outcome)?;
                if !rest.is_empty() {
                    self.groups.push_front(rest);
                }
            }
            Verdict::Split => {
                let right = group[group.len() / 2..].to_vec();
                let left = group[..group.len() / 2].to_vec();
                self.groups.push_front(right);
                self.groups.push_front(left);
            }
            Verdict::Wait(hint) if hint > MAX_RETRY_AFTER => {
                return Err(Error::new(
                    ErrorKind::Api,
                    format!(
                        "the service asked to wait {} s before the next request (Retry-After), longer than the {} s a run waits; stopping: resume after that with the same journal",
                        hint.as_secs(),
                        MAX_RETRY_AFTER.as_secs()
                    ),
                )
                .with_status(429));
            }
            Verdict::Wait(hint) => {
                self.summary.rate_limited += 1;
                self.rate_limited_in_a_row += 1;
                if self.rate_limited_in_a_row > MAX_RATE_LIMITED_IN_A_ROW {
                    return Err(Error::new(
                        ErrorKind::Api,
                        format!(
                            "the service answered {MAX_RATE_LIMITED_IN_A_ROW} requests in a row with 429 (too many requests); stopping: resume later with the same journal"
                        ),
                    )
                    .with_status(429));
                }
                // A floor that doubles with each 429 in a row (1 s, 2 s, 4 s ... up to a
                // minute), whatever the hint says: a `Retry-After: 0` never means at once.
                // (On the run's clock: an emulator running faster shortens it too.)
                let floor = Duration::from_secs(1 << (self.rate_limited_in_a_row - 1).min(6))
                    .min(Duration::from_secs(60))
                    .div_f64(self.time_scale.max(1.0));
                let until = Instant::now() + hint.max(floor);
                self.invite
                    .report_progress(super::Progress::RateLimited(until));
                self.global.block_until(until);
                if let Some(b) = self.endpoint(draw) {
                    b.block_until(until);
                }
                self.groups.push_front(group);
            }
            Verdict::Failed(e) => {
                let outcomes: Vec<Outcome> = group
                    .into_iter()
                    .map(|email| Outcome {
                        email,
                        kind: OutcomeKind::Failed {
                            error: e.to_string(),
                        },
                    })
                    .collect();
                // A request that may have been executed leaves its addresses in doubt in the
                // journal (their intent without an outcome): the next run looks them up
                // before sending, and reports what this run made as invited.
                if e.may_have_taken_effect() {
                    self.report_unjournaled(&outcomes, on_outcome);
                } else {
                    self.report(&outcomes, on_outcome)?;
                }
            }
            Verdict::Fatal(e) => {
                // A refused key or a forbidden request, not executed: the group is not in
                // doubt, so a journal that records nothing else can be bound to the next run.
                if !e.may_have_taken_effect()
                    && let Some(j) = &mut self.journal
                {
                    j.withdraw(&group, now_ms())?;
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Two attempts per request: the client's own retry (after a 429's `Retry-After`, a
    /// transient failure, or settling an ambiguous create) gets one chance; a failure after
    /// that becomes a wait or the addresses' `failed` outcome, and the run moves on.
    pub(super) fn policy() -> RetryPolicy {
        RetryPolicy::default().max_attempts(2)
    }

    async fn send_application(&mut self, group: &[String], bulk: bool) -> Verdict {
        let inv = &self.invite;
        let people = &self.people;
        let item = |email: &String| {
            let mut n = NewInvitation::new(email.clone());
            with_person!(n, inv, people.get(email), application);
            n
        };
        let result = if bulk {
            self.invite
                .clerk
                .invitations()
                .create_bulk(group.iter().map(item))
                .with_retry(Self::policy())
                .await
        } else {
            let mut req = self.invite.clerk.invitations().create(group[0].clone());
            with_person!(req, inv, people.get(&group[0]), application);
            req.with_retry(Self::policy()).await.map(|i| vec![i])
        };
        match result {
            Ok(created) => {
                let mut outcomes = Vec::with_capacity(group.len());
                for i in created {
                    outcomes.push(Outcome {
                        email: crate::address::normalize(&i.email_address),
                        kind: OutcomeKind::Invited { id: i.id },
                    });
                }
                Verdict::Outcomes(account_for(group, outcomes), Vec::new())
            }
            Err(e) => application_verdict(group, e),
        }
    }

    async fn send_organization(&mut self, group: &[String], bulk: bool) -> Verdict {
        let Target::Organization { id, role, inviter } = &self.invite.target else {
            return Verdict::Fatal(Error::configuration("not an organization run"));
        };
        let inv = &self.invite;
        let org = inv.clerk.organization(id.clone()).invitations();
        let result = if bulk {
            let items = group.iter().map(|email| {
                let person = self.people.get(email);
                let role = person.and_then(|p| p.role.clone()).unwrap_or(role.clone());
                let mut n = NewOrganizationInvitation::new(email.clone(), role);
                if let Some(u) = inviter {
                    n = n.inviter_user_id(u.clone());
                }
                with_person!(n, inv, person, organization);
                n
            });
            // The bulk answer does not say which were there already: one the service stamped
            // before the call began (by its own clock, from the answer's `Date`) was.
            let started = crate::settle::Started::now();
            org.create_bulk(items)
                .with_retry(Self::policy())
                .send_with_http_info()
                .await
                .map(|r| {
                    let before = started.service_start(r.headers());
                    let page = r.into_value();
                    page.data
                        .into_iter()
                        .map(|i| {
                            let existed = before.map(|b| i.created_at < b);
                            (i, existed)
                        })
                        .collect::<Vec<_>>()
                })
        } else {
            let person = self.people.get(&group[0]);
            let role = person.and_then(|p| p.role.clone()).unwrap_or(role.clone());
            let mut req = org.create(group[0].clone(), role);
            if let Some(u) = inviter {
                req = req.inviter_user_id(u.clone());
            }
            with_person!(req, inv, person, organization);
            // A single create says whether the invitation existed before it.
            req.with_retry(Self::policy()).await.map(|c| {
                let existed = c.existed;
                vec![(c.into_inner(), Some(existed))]
            })
        };
        match result {
            Ok(items) => {
                // The service answers an address with a pending invitation with that
                // invitation. Without a `Date` to tell, one created before this run (by this
                // machine's clock, less the allowed skew) was there already.
                let horizon = self.started_ms - CLOCK_SKEW_MS;
                let outcomes = items
                    .into_iter()
                    .map(|(i, existed)| Outcome {
                        email: crate::address::normalize(&i.email_address),
                        kind: if existed.unwrap_or(i.created_at < horizon) {
                            OutcomeKind::AlreadyInvited { id: Some(i.id) }
                        } else {
                            OutcomeKind::Invited { id: i.id }
                        },
                    })
                    .collect();
                Verdict::Outcomes(account_for(group, outcomes), Vec::new())
            }
            Err(e) if e.has_code("already_a_member_in_organization") => {
                if group.len() == 1 {
                    Verdict::Outcomes(
                        vec![Outcome {
                            email: group[0].clone(),
                            kind: OutcomeKind::AlreadyMember,
                        }],
                        Vec::new(),
                    )
                } else {
                    Verdict::Split
                }
            }
            Err(e) => common_verdict(group, e),
        }
    }

    /// After an interrupted run: the invitation a request in doubt created, if any.
    pub(super) async fn find_existing(
        &mut self,
        email: &str,
        sent_at: i64,
    ) -> Result<Option<String>> {
        self.take_budget(Draw::GlobalOnly).await;
        match &self.invite.target {
            // `sent_at` is this machine's time; the look-up carries it onto the service's clock
            // by its own `Date`, so a service clock behind ours hides nothing.
            Target::Application => {
                let found = crate::settle::find_created(&self.invite.clerk, email, sent_at).await?;
                Ok(found.map(|r| r.into_value().id))
            }
            Target::Organization { id, .. } => {
                let asked_at = now_ms();
                let r = self
                    .invite
                    .clerk
                    .organization(id.clone())
                    .invitations()
                    .list()
                    .email_address(email)
                    .limit(*crate::validate::LIMIT_RANGE.end())
                    .send_with_http_info()
                    .await?;
                let since = crate::settle::since_on_service_clock(sent_at, asked_at, r.headers());
                Ok(r.into_value()
                    .data
                    .into_iter()
                    .find(|i| {
                        i.status == InvitationStatus::Pending
                            && crate::address::same(&i.email_address, email)
                            && i.created_at >= since
                    })
                    .map(|i| i.id))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_rate_counts_both_endpoints() {
        let l = BulkLimits::application();
        assert!((l.max_rate() * 3600.0 - 350.0).abs() < 1e-6);
        let o = BulkLimits::organization().time_scale(3600.0);
        assert!((o.max_rate() - 750.0).abs() < 1e-6);
    }
}
