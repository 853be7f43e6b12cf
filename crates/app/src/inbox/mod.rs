//! One inbox per user (待办与消息): what waits on the caller, gathered from the modules (hidden
//! dangers to confirm, accept or rectify, reports to review, overdue work, tips to accept, expert
//! verifications), and the messages addressed to the caller, each read or unread. A module that
//! tells a unit of something posts an `store::UnitPost` in the transaction of its change; the
//! message reaches each of the unit's people, and by the channels each chose (e-mail, SMS, group
//! robots) through `delivery`, which sends from one process of the cluster at a time.

pub mod delivery;

use domain::hidden_dangers::DangerState;
use domain::inbox::Channel;
use domain::message::Message;
use domain::role::Role;
use serde::Serialize;

use crate::policy;
use crate::{Actor, App, AppError, Client, Result};

/// One kind of work waiting on the caller: how many, and where they are listed.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingWork {
    /// `dangers_to_confirm`, `dangers_to_accept`, `dangers_to_rectify`, `alarms_to_acknowledge`,
    /// `reports_to_review`, `overdue_assignments`, `tips_to_accept`, `verifications`.
    pub kind: &'static str,
    pub count: usize,
    pub link: String,
}

/// A message to the caller.
#[derive(Debug, Clone, Serialize)]
pub struct InboxMessage {
    pub id: i64,
    pub urgent: bool,
    pub message: Message,
    pub link: String,
    pub created_at: i64,
    pub read: bool,
}

/// A page of the caller's messages, newest first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MessagePage {
    pub items: Vec<InboxMessage>,
    /// Of all the caller's messages (or the unread ones, when only those were asked for).
    pub total: i64,
    pub unread: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The caller's inbox.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inbox {
    /// Only kinds with something waiting, in the order above.
    pub waiting: Vec<WaitingWork>,
    pub messages: MessagePage,
}

/// A channel as the caller chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelChoice {
    pub channel: Channel,
    pub address: String,
    pub urgent_only: bool,
    /// `zh-CN` or `en`.
    pub lang: String,
}

/// A channel the caller chose, and whether it is verified (only then do messages go there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChosenChannel {
    pub choice: ChannelChoice,
    pub verified: bool,
}

/// A channel's code: its digits, how long it holds, how many wrong tries it takes, and how soon
/// saving the same address again sends another.
pub const CHANNEL_CODE_DIGITS: usize = 6;
pub const CHANNEL_CODE_VALID_MS: i64 = 30 * 60_000;
pub const CHANNEL_CODE_TRIES_MAX: i64 = 5;
pub const CHANNEL_CODE_RESEND_AFTER_MS: i64 = 60_000;

/// Most messages on one page.
pub const MESSAGES_PER_PAGE_MAX: i64 = store::MESSAGES_PER_PAGE_MAX;

/// The message that tells a deadline notice (a reminder or an escalation) of `source`
/// (`danger`, `tip`, `work_plan`) about record `id` to a unit's people; an escalation is urgent.
pub(crate) fn notice_post(unit_id: i64, source: &str, kind: &str, id: i64, due_on: &str, message: &str, link: String) -> store::UnitPost {
    store::UnitPost {
        unit_id,
        only_user_id: None,
        topic: format!("{source}:{kind}:{id}:{due_on}"),
        urgent: kind == "escalation",
        message: message.to_owned(),
        link,
        except_user_id: None,
    }
}

/// The message that tells a unit's people of a move `actor` made (the actor is not told).
pub(crate) fn event_post(unit_id: i64, topic: &str, urgent: bool, message: &Message, link: String, actor: &Actor) -> store::UnitPost {
    store::UnitPost { unit_id, only_user_id: None, topic: topic.to_owned(), urgent, message: message.to_stored(), link, except_user_id: Some(actor.user_id) }
}

/// The message that tells one person (`user_id`, of unit `unit_id`) of a move `actor` made.
pub(crate) fn personal_post(unit_id: i64, user_id: i64, topic: &str, urgent: bool, message: &Message, link: String, actor: &Actor) -> store::UnitPost {
    store::UnitPost { only_user_id: Some(user_id), ..event_post(unit_id, topic, urgent, message, link, actor) }
}

impl App {
    /// The caller's inbox: what waits on it, and a page of its messages. Each part is what the
    /// caller may already read in its module; a part the caller has no access to is absent.
    pub async fn inbox(&self, actor: &Actor, client: &Client, unread_only: bool, page: i64, per_page: i64) -> Result<Inbox> {
        let waiting = self.figures.waiting(self.store.changes_committed(), actor.user_id, self.waiting_work(actor, client)).await?;
        let waiting = waiting.as_ref().clone();
        let messages = self.messages(actor, unread_only, page, per_page).await?;
        Ok(Inbox { waiting, messages })
    }

    /// A page of the caller's own messages.
    pub async fn messages(&self, actor: &Actor, unread_only: bool, page: i64, per_page: i64) -> Result<MessagePage> {
        let per_page = per_page.clamp(1, MESSAGES_PER_PAGE_MAX);
        let page = page.max(1);
        let rows = self.store.inbox_messages(actor.user_id, unread_only, per_page, (page - 1).saturating_mul(per_page)).await?;
        let (total, unread) = self.message_counts(actor).await?;
        Ok(MessagePage {
            items: rows
                .into_iter()
                .map(|row| InboxMessage {
                    id: row.id,
                    urgent: row.urgent,
                    message: Message::from_stored(&row.message),
                    link: row.link,
                    created_at: row.created_at,
                    read: row.read_at.is_some(),
                })
                .collect(),
            total: if unread_only { unread } else { total },
            unread,
            page,
            per_page,
        })
    }

    /// How many messages the caller has, and how many unread: shown on every page, so kept (see
    /// `app::figures`).
    pub async fn message_counts(&self, actor: &Actor) -> Result<(i64, i64)> {
        let store = &self.store;
        self.figures.message_counts(store.changes_committed(), actor.user_id, async { Ok(store.inbox_message_counts(actor.user_id).await?) }).await
    }

    /// Marks the caller's messages read: those named (at most a page), or all. A message of
    /// someone else's is left alone, as if it did not exist. Returns how many changed.
    pub async fn mark_messages_read(&self, actor: &Actor, ids: Option<&[i64]>) -> Result<u64> {
        if let Some(ids) = ids
            && ids.len() as i64 > MESSAGES_PER_PAGE_MAX
        {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "ids",
                message: domain::message!("inbox.too_many_ids", max = MESSAGES_PER_PAGE_MAX),
            }]));
        }
        let changed = self.store.mark_messages_read(actor.user_id, ids).await?;
        self.figures.forget_message_counts(self.store.changes_committed(), actor.user_id).await;
        Ok(changed)
    }

    /// Opens one of the caller's messages: marks it read and gives where it points (a path on
    /// this site). Someone else's message, or none, gives `None` and changes nothing.
    pub async fn open_message(&self, actor: &Actor, id: i64) -> Result<Option<String>> {
        let Some(link) = self.store.inbox_message_link(actor.user_id, id).await? else { return Ok(None) };
        self.store.mark_messages_read(actor.user_id, Some(&[id])).await?;
        self.figures.forget_message_counts(self.store.changes_committed(), actor.user_id).await;
        // Only a path on this site: never `//host` or `/\host`, which browsers take elsewhere.
        Ok(Some(link).filter(|link| link.starts_with('/') && !link.starts_with("//") && !link.starts_with("/\\")))
    }

    /// The channels the caller chose (each with whether it is verified), and those this server
    /// can send on.
    pub async fn channels(&self, actor: &Actor) -> Result<(Vec<ChosenChannel>, Vec<Channel>)> {
        let chosen = self
            .store
            .inbox_channels(actor.user_id)
            .await?
            .into_iter()
            .map(|row| ChosenChannel {
                verified: row.verified_at.is_some(),
                choice: ChannelChoice { channel: row.channel, address: row.address, urgent_only: row.urgent_only, lang: row.lang },
            })
            .collect();
        Ok((chosen, self.delivery.channels()))
    }

    /// Checks the code the caller typed for `channel`: right, the channel is verified (and
    /// audited) and messages go there from now on; wrong or too late, it says so in words.
    pub async fn verify_channel(&self, actor: &Actor, client: &Client, channel: Channel, code: &str) -> Result<()> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).take(CHANNEL_CODE_DIGITS + 1).collect();
        let hash = self.store.channel_code_hash(actor.user_id, channel, &code);
        let event = crate::audit_event(
            Some(actor),
            client,
            "inbox.channel_verify",
            format!("user:{}", actor.user_id),
            domain::audit::Outcome::Success,
            serde_json::json!({"channel": channel.key()}),
        );
        let valid_from = store::now_ms() - CHANNEL_CODE_VALID_MS;
        let field = channel.key();
        let refused = |message| Err(AppError::Invalid(vec![domain::enterprises::FieldError { field, message }]));
        match self.store.verify_inbox_channel(actor.user_id, channel, &hash, valid_from, CHANNEL_CODE_TRIES_MAX, &event).await? {
            store::ChannelVerification::Verified => Ok(()),
            store::ChannelVerification::Wrong { tries_left } => {
                let failed = crate::audit_event(
                    Some(actor),
                    client,
                    "inbox.channel_verify",
                    format!("user:{}", actor.user_id),
                    domain::audit::Outcome::Failure,
                    serde_json::json!({"channel": channel.key(), "tries_left": tries_left}),
                );
                self.store.record_audit(&failed).await?;
                refused(domain::message!("inbox.code_wrong", left = tries_left))
            }
            store::ChannelVerification::Expired => refused(domain::message!("inbox.code_expired")),
            store::ChannelVerification::NoCode => refused(domain::message!("inbox.code_none")),
        }
    }

    /// Replaces the caller's channels. Each address is checked for its channel, and a channel
    /// this server cannot send on is refused; a refusal names the field (`email`, `sms`, …).
    pub async fn set_channels(&self, actor: &Actor, client: &Client, choices: &[ChannelChoice]) -> Result<()> {
        let offered = self.delivery.channels();
        let mut problems = Vec::new();
        let mut rows = Vec::new();
        for choice in choices {
            let field = choice.channel.key();
            if rows.iter().any(|row: &store::InboxChannelRow| row.channel == choice.channel) {
                problems.push(domain::enterprises::FieldError { field, message: domain::message!("inbox.channel_twice") });
                continue;
            }
            if !offered.contains(&choice.channel) {
                problems.push(domain::enterprises::FieldError { field, message: domain::message!("inbox.channel_not_configured") });
                continue;
            }
            if !matches!(choice.lang.as_str(), "zh-CN" | "en") {
                problems.push(domain::enterprises::FieldError { field, message: domain::message!("inbox.unknown_language") });
                continue;
            }
            match choice.channel.parse_address(&choice.address) {
                Some(address) => rows.push(store::InboxChannelRow {
                    channel: choice.channel,
                    address,
                    urgent_only: choice.urgent_only,
                    lang: choice.lang.clone(),
                    verified_at: None,
                    code_sent_at: None,
                }),
                None => {
                    let message = match choice.channel {
                        Channel::Email => domain::message!("inbox.bad_email"),
                        Channel::Sms => domain::message!("inbox.bad_mobile"),
                        Channel::Wecom => domain::message!("inbox.bad_robot_key"),
                        Channel::Dingtalk => domain::message!("inbox.bad_dingtalk_key"),
                    };
                    problems.push(domain::enterprises::FieldError { field, message });
                }
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        // Where messages will go, masked: the audit log keeps no address one could write to.
        let channels: Vec<serde_json::Value> =
            rows.iter().map(|row| serde_json::json!({"channel": row.channel.key(), "address": row.channel.masked_address(&row.address)})).collect();
        let event = crate::audit_event(
            Some(actor),
            client,
            "inbox.channels",
            format!("user:{}", actor.user_id),
            domain::audit::Outcome::Success,
            serde_json::json!({"channels": channels}),
        );
        // A channel keeps its verification while its address stays; a new address is verified by
        // a code sent there (again on a later save, once a minute at most, while it waits).
        let existing = self.store.inbox_channels(actor.user_id).await?;
        let now = store::now_ms();
        let mut codes = Vec::new();
        for row in &mut rows {
            let before = existing.iter().find(|e| e.channel == row.channel && e.address == row.address);
            row.verified_at = before.and_then(|e| e.verified_at);
            let sent_lately = before.and_then(|e| e.code_sent_at).is_some_and(|at| now - at < CHANNEL_CODE_RESEND_AFTER_MS);
            if row.verified_at.is_none() && !sent_lately {
                let code: String = (0..CHANNEL_CODE_DIGITS).map(|_| char::from(b'0' + rand::random_range(0..10u8))).collect();
                codes.push(store::ChannelCode {
                    channel: row.channel,
                    code_hash: self.store.channel_code_hash(actor.user_id, row.channel, &code),
                    notice: domain::message!(
                        "inbox.channel_code_sent",
                        channel_zh = row.channel.label(false),
                        channel_en = row.channel.label(true),
                        address = row.channel.masked_address(&row.address)
                    )
                    .to_stored(),
                    sent_text: domain::message!("inbox.channel_code", code = code, minutes = CHANNEL_CODE_VALID_MS / 60_000).to_stored(),
                });
            }
        }
        Ok(self.store.set_inbox_channels(actor.user_id, &rows, &codes, &event).await?)
    }

    /// What waits on the caller, by kind: counted from the modules, kept for at most
    /// `figures::FRESH_FOR` (see `app::figures`).
    async fn waiting_work(&self, actor: &Actor, client: &Client) -> Result<Vec<WaitingWork>> {
        let mut waiting = Vec::new();
        let mut push = |kind: &'static str, count: usize, link: String| {
            if count > 0 {
                waiting.push(WaitingWork { kind, count, link });
            }
        };
        let dangers_seen = policy::enterprise_visibility(actor) != domain::access::Visibility::Nothing;
        if actor.role == Role::Expert {
            let assigned = self.danger_list(actor, client, &Default::default(), false).await.unwrap_or_default();
            let count = assigned.iter().filter(|d| d.state == DangerState::PendingAcceptance).count();
            push("verifications", count, format!("/experts/{}", actor.user_id));
        } else if dangers_seen {
            let in_state = |state: DangerState| store::DangerFilter { state: Some(state.key().to_owned()), ..Default::default() };
            if actor.enterprise_id.is_some() {
                let mut count = 0;
                for state in [DangerState::Confirmed, DangerState::Planned, DangerState::Rectifying] {
                    count += self.danger_total(actor, client, &in_state(state)).await.map_or(0, |total| total as usize);
                }
                push("dangers_to_rectify", count, "/dangers".into());
            } else if matches!(actor.role, Role::Regulator | Role::Inspector | Role::CommitteeOffice) {
                let reported = self.danger_total(actor, client, &in_state(DangerState::Reported)).await.map_or(0, |total| total as usize);
                push("dangers_to_confirm", reported, "/dangers?state=reported".into());
                let pending = self.danger_total(actor, client, &in_state(DangerState::PendingAcceptance)).await.map_or(0, |total| total as usize);
                push("dangers_to_accept", pending, "/dangers?state=pending_acceptance".into());
            }
        }
        if policy::allows(actor, policy::Action::HandleAlarm) && dangers_seen {
            let raised = store::AlarmFilter { state: Some("raised".into()), ..Default::default() };
            let count = self.alarm_total(actor, client, &raised).await.map_or(0, |total| total as usize);
            push("alarms_to_acknowledge", count, "/monitoring#alarm-live".into());
        }
        if policy::assignment_scope(actor) != domain::access::AssignmentScope::Nothing {
            let to_review = self.assignments_to_review(actor, client).await.map(|list| list.len()).unwrap_or(0);
            push("reports_to_review", to_review, "/assignments?review=1".into());
            let overdue = self.assignment_total(actor, client, true).await.map_or(0, |total| total as usize);
            push("overdue_assignments", overdue, "/assignments?overdue=1".into());
        }
        if actor.region_path.is_some() && matches!(actor.role, Role::CommitteeOffice | Role::Regulator | Role::Department) {
            let tips = self.tips(actor, client).await.unwrap_or_default();
            let received = tips.iter().filter(|t| t.state == domain::tips::TipState::Received).count();
            push("tips_to_accept", received, "/tips".into());
        }
        Ok(waiting)
    }
}

/// Tells the emergency bureau of the tier an unacknowledged alarm has gone up to (the county's,
/// the city's or the province's), by an urgent message, once per alarm and tier. It listens to
/// the monitor's notices in this process, and every minute catches up on escalated alarms whose
/// bureaus were not told (a notice missed, a restart); a message posted twice (by two processes)
/// is kept once.
pub fn spawn_alarm_escalation_messages(app: App) {
    let Ok((mut notices, slot)) = app.subscribe_alarms(None) else {
        tracing::error!("no live-notice slot left for the alarm escalation messages");
        return;
    };
    tokio::spawn(async move {
        let _slot = slot;
        let mut sweep = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            let received = tokio::select! {
                received = notices.recv() => received,
                _ = sweep.tick() => {
                    if let Err(error) = app.tell_missed_alarm_escalations().await {
                        tracing::warn!(%error, "could not catch up on escalated alarms");
                    }
                    continue;
                }
            };
            let notice = match received {
                Ok(notice) => notice,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "alarm escalation messages fell behind; notices were skipped");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let ids = &notice.alarm_ids[..notice.alarm_ids.len().min(1000)];
            for alarm in app.alarms_for_delivery(ids).await {
                if alarm.escalation_tier == "enterprise" || alarm.state != "raised" {
                    continue;
                }
                if let Err(error) = app.tell_alarm_escalation(&alarm).await {
                    tracing::warn!(%error, alarm = alarm.id, "could not tell of an escalated alarm");
                }
            }
        }
    });
}

impl App {
    /// Posts the messages that tell of `alarm`'s escalation: to the bureau of each tier from the
    /// county up to the one it has reached (a notice read late, after a second escalation, still
    /// tells the tiers passed), each once.
    async fn tell_alarm_escalation(&self, alarm: &store::AlarmRow) -> Result<()> {
        const TIERS: [(&str, &str, &str); 3] = [("county", "县级", "county"), ("city", "市级", "city"), ("province", "省级", "province")];
        let reached = TIERS.iter().position(|(tier, _, _)| *tier == alarm.escalation_tier).unwrap_or(TIERS.len() - 1);
        let what = format!("#{} {} · {} · {}({})", alarm.id, alarm.enterprise_name, alarm.source_name, alarm.sensor_name, alarm.sensor_code);
        // The alarm's region is its enterprise's county; each tier is one step further up.
        let mut code = Some(alarm.region_code.clone());
        let mut posts: Vec<store::UnitPost> = Vec::new();
        for (tier, tier_zh, tier_en) in &TIERS[..=reached] {
            let Some(current) = code.clone() else { break };
            let topic = format!("alarm:{}:{tier}", alarm.id);
            if self.store.topic_told(&topic).await? {
                // Told already (by this process or another): nothing to write.
            } else if let Some(bureau) = self.bureau_to_tell(&current).await? {
                let message = domain::message!("inbox.alarm_escalated", tier_zh = tier_zh, tier_en = tier_en, what = what);
                posts.push(store::UnitPost {
                    unit_id: bureau.id,
                    only_user_id: None,
                    topic,
                    urgent: true,
                    message: message.to_stored(),
                    link: format!("/alarms/{}", alarm.id),
                    except_user_id: None,
                });
            }
            code = self.store.region(&current).await.ok().and_then(|region| region.parent_code).map(|parent| parent.to_string());
        }
        self.store.post_to_units(&posts).await?;
        Ok(())
    }

    /// Tells of every raised alarm that has gone up a tier and whose bureaus were not told yet:
    /// a catch-up for notices this process missed (fell behind, or was not running). Returns how
    /// many alarms were looked at.
    pub async fn tell_missed_alarm_escalations(&self) -> Result<usize> {
        let filter = store::AlarmFilter { state: Some("raised".into()), escalated: true, ..Default::default() };
        let alarms = self.store.alarms(&domain::access::Visibility::Everything, &filter, 1000).await?;
        for alarm in &alarms {
            self.tell_alarm_escalation(alarm).await?;
        }
        Ok(alarms.len())
    }
}
