//! The inbox's records: messages per person with their read state, the channels each person
//! chose beyond the page, and the deliveries on those channels waiting to be sent. A message to
//! a unit reaches the people of `unit_recipients` (see migration 0021) in the same transaction as
//! the change it tells of, and so do its deliveries: nothing is told of a change that did not
//! happen, and nothing that happened goes untold.
//!
//! A channel's address (an e-mail address, a phone number, a robot's key and 钉钉 secret) is
//! sealed at rest (`ADDRESS_PURPOSE`), and so is a delivery's own text (a code). A delivery copies
//! its channel's address as stored, and an address saved again unchanged keeps its stored form,
//! so that "the address this delivery waits for is still chosen" is a comparison of stored values.

use domain::audit::AuditEvent;
use domain::inbox::Channel;
use sqlx::FromRow;

use crate::{Result, Store, StoreError, now_ms, with_pool, with_writer};

/// A message addressed to a unit's people, or to one of them.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPost {
    pub unit_id: i64,
    /// The one person of the unit it is for (an expert assigned by name); all of them when none.
    pub only_user_id: Option<i64>,
    /// Unique per person: the same topic is never told twice to one person.
    pub topic: String,
    pub urgent: bool,
    /// A stored `domain::message::Message`.
    pub message: String,
    pub link: String,
    /// The person whose move this tells of, who needs no message about it.
    pub except_user_id: Option<i64>,
}

/// Posts `$post` (a `&UnitPost`) in transaction `$tx` at `$now`: a message to each of the unit's
/// people who has not had this topic, and a delivery for each channel they chose (all messages,
/// or the urgent ones only). Evaluates to the number of messages added.
macro_rules! post_to_unit {
    ($tx:expr, $post:expr, $now:expr) => {{
        let post: &$crate::inbox::UnitPost = $post;
        let added = sqlx::query(
            "INSERT INTO inbox_messages (user_id, topic, urgent, message, link, created_at) \
             SELECT r.user_id, $2, $3, $4, $5, $6 FROM unit_recipients r WHERE r.unit_id = $1 AND r.user_id <> $7 AND ($8 = 0 OR r.user_id = $8) \
             ON CONFLICT (user_id, topic) DO NOTHING",
        )
        .bind(post.unit_id)
        .bind(&post.topic)
        .bind(post.urgent)
        .bind(&post.message)
        .bind(&post.link)
        .bind($now)
        .bind(post.except_user_id.unwrap_or(0))
        .bind(post.only_user_id.unwrap_or(0))
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if added > 0 {
            sqlx::query(
                "INSERT INTO inbox_deliveries (message_id, channel, address, lang, state, attempts, next_attempt_at) \
                 SELECT m.id, c.channel, c.address, c.lang, 'pending', 0, $3 FROM inbox_messages m JOIN inbox_channels c ON c.user_id = m.user_id \
                 WHERE m.topic = $1 AND m.created_at = $3 AND m.user_id IN (SELECT user_id FROM unit_recipients WHERE unit_id = $2) \
                 AND c.verified_at IS NOT NULL \
                 AND (m.urgent OR NOT c.urgent_only) \
                 AND NOT EXISTS (SELECT 1 FROM inbox_deliveries d WHERE d.message_id = m.id AND d.channel = c.channel)",
            )
            .bind(&post.topic)
            .bind(post.unit_id)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
        added
    }};
}
pub(crate) use post_to_unit;

/// What channel addresses are sealed for, in `inbox_channels` and the deliveries that copy them.
const ADDRESS_PURPOSE: &str = "inbox channel address";
/// What a delivery's own text (a code sent to verify a channel) is sealed for.
const DELIVERY_TEXT_PURPOSE: &str = "inbox delivery text";

/// Most messages listed on one page.
pub const MESSAGES_PER_PAGE_MAX: i64 = 200;
/// Why a delivery was never sent: its person removed the channel (or changed its address) first.
pub const CHANNEL_REMOVED: &str = "the channel was removed before it was sent";
/// Why a delivery was never sent: its address or text cannot be opened with this server's key.
pub const UNOPENABLE: &str = "its address or text cannot be opened with this server's key";
/// Most deliveries taken for sending at once.
pub const DELIVERIES_TAKEN_MAX: i64 = 100;

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct InboxMessageRow {
    pub id: i64,
    pub topic: String,
    pub urgent: bool,
    pub message: String,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct InboxChannelRow {
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub address: String,
    pub urgent_only: bool,
    /// `zh-CN` or `en`: the language the messages on this channel are written in.
    pub lang: String,
    /// When its person typed back the code sent there (0: chosen before codes were asked);
    /// none while it waits, and no message goes to it then.
    pub verified_at: Option<i64>,
    /// When the last code was sent to it.
    pub code_sent_at: Option<i64>,
}

/// A code to send to a channel just chosen: its keyed hash (see `Store::channel_code_hash`), the
/// inbox message that says a code was sent (without it) and the text the address receives.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelCode {
    pub channel: Channel,
    pub code_hash: String,
    /// A stored `domain::message::Message`.
    pub notice: String,
    /// A stored `domain::message::Message` holding the code.
    pub sent_text: String,
}

/// A channel's verification as stored: verified_at, code_hash, code_sent_at, code_attempts.
type CodeState = (Option<i64>, Option<String>, Option<i64>, i64);

/// What came of a code typed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelVerification {
    Verified,
    /// Wrong; this many tries are left for this code.
    Wrong {
        tries_left: i64,
    },
    /// Too old, or tried too often: a new one must be sent.
    Expired,
    /// The channel is not chosen, or no code waits for it.
    NoCode,
}

/// A delivery waiting to be sent, with the message it carries.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub address: String,
    pub lang: String,
    pub attempts: i64,
    pub message: String,
    pub link: String,
    pub urgent: bool,
}

/// A due delivery as stored: its address sealed, and its own text (sealed) or its message's.
#[derive(FromRow)]
struct StoredDelivery {
    id: i64,
    #[sqlx(try_from = "String")]
    channel: Channel,
    address: String,
    lang: String,
    attempts: i64,
    own_message: Option<String>,
    message: String,
    link: String,
    urgent: bool,
}

/// How many deliveries stand in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

impl Store {
    /// Posts messages to units' people in one transaction; returns how many messages were added.
    pub async fn post_to_units(&self, posts: &[UnitPost]) -> Result<u64> {
        if posts.is_empty() {
            return Ok(0);
        }
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let mut added = 0;
            for post in posts {
                added += post_to_unit!(tx, post, now);
            }
            Ok(added)
        })
    }

    /// A page of a person's messages, newest first; only the unread ones if `unread_only`.
    pub async fn inbox_messages(&self, user_id: i64, unread_only: bool, limit: i64, offset: i64) -> Result<Vec<InboxMessageRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, topic, urgent, message, link, created_at, read_at FROM inbox_messages \
                 WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL) ORDER BY id DESC LIMIT $3 OFFSET $4",
            )
            .bind(user_id)
            .bind(unread_only)
            .bind(limit.clamp(1, MESSAGES_PER_PAGE_MAX))
            .bind(offset.max(0))
            .fetch_all(pool)
            .await?)
        })
    }

    /// How many messages a person has, and how many of them are unread.
    pub async fn inbox_message_counts(&self, user_id: i64) -> Result<(i64, i64)> {
        with_pool!(self, |pool| {
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox_messages WHERE user_id = $1").bind(user_id).fetch_one(pool).await?;
            let unread: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM inbox_messages WHERE user_id = $1 AND read_at IS NULL").bind(user_id).fetch_one(pool).await?;
            Ok((total, unread))
        })
    }

    /// Marks a person's messages read: those named, or all of them when `ids` is `None`. Another
    /// person's message is left as it is. Returns how many changed. Read state changes no figure
    /// but the person's own unread count, which `app::inbox` forgets itself.
    pub async fn mark_messages_read(&self, user_id: i64, ids: Option<&[i64]>) -> Result<u64> {
        let now = now_ms();
        let changed = with_writer!(self, |pool| {
            match ids {
                None => sqlx::query("UPDATE inbox_messages SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
                    .bind(now)
                    .bind(user_id)
                    .execute(pool)
                    .await?
                    .rows_affected(),
                Some(ids) => {
                    let mut changed = 0;
                    for id in ids {
                        changed += sqlx::query("UPDATE inbox_messages SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at IS NULL")
                            .bind(now)
                            .bind(user_id)
                            .bind(id)
                            .execute(pool)
                            .await?
                            .rows_affected();
                    }
                    changed
                }
            }
        });
        Ok(changed)
    }

    /// Where one of a person's messages points, if it is theirs.
    pub async fn inbox_message_link(&self, user_id: i64, id: i64) -> Result<Option<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT link FROM inbox_messages WHERE user_id = $1 AND id = $2").bind(user_id).bind(id).fetch_optional(pool).await?)
        })
    }

    /// The channels a person chose.
    pub async fn inbox_channels(&self, user_id: i64) -> Result<Vec<InboxChannelRow>> {
        let rows: Vec<InboxChannelRow> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT channel, address, urgent_only, lang, verified_at, code_sent_at FROM inbox_channels WHERE user_id = $1 ORDER BY channel")
                .bind(user_id)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(|row| Ok(InboxChannelRow { address: self.open_column(ADDRESS_PURPOSE, row.address.clone())?, ..row })).collect()
    }

    /// Replaces a person's channels, audited (where messages go is worth knowing afterwards),
    /// each with the verification state `channels` gives it. For each of `codes` the code is
    /// recorded (as its hash) and sent to the channel's address, and the person's inbox says so.
    /// Deliveries still waiting for a channel or address no longer chosen are not sent: they are
    /// kept as failed, saying why.
    pub async fn set_inbox_channels(&self, user_id: i64, channels: &[InboxChannelRow], codes: &[ChannelCode], event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(
            self,
            |tx| {
                let now = now_ms();
                let kept: Vec<&str> = channels.iter().map(|c| c.channel.key()).collect();
                let existing: Vec<(String, String)> =
                    sqlx::query_as("SELECT channel, address FROM inbox_channels WHERE user_id = $1").bind(user_id).fetch_all(&mut *tx).await?;
                for (gone, _) in existing.iter().filter(|(c, _)| !kept.contains(&c.as_str())) {
                    sqlx::query("DELETE FROM inbox_channels WHERE user_id = $1 AND channel = $2").bind(user_id).bind(gone).execute(&mut *tx).await?;
                }
                // Each address as it will be stored: unchanged, as it was (the deliveries waiting
                // for it hold that form); changed or new, sealed afresh.
                let stored_addresses: Vec<String> = channels
                    .iter()
                    .map(|channel| {
                        existing
                            .iter()
                            .find(|(key, stored)| {
                                key == channel.channel.key()
                                    && self.open_column(ADDRESS_PURPOSE, stored.clone()).is_ok_and(|address| address == channel.address)
                            })
                            .map(|(_, stored)| stored.clone())
                            .unwrap_or_else(|| self.seal_column(ADDRESS_PURPOSE, &channel.address))
                    })
                    .collect();
                for (channel, stored_address) in channels.iter().zip(&stored_addresses) {
                    sqlx::query(
                        "INSERT INTO inbox_channels (user_id, channel, address, urgent_only, lang, verified_at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (user_id, channel) DO UPDATE SET address = excluded.address, urgent_only = excluded.urgent_only, \
                         lang = excluded.lang, verified_at = excluded.verified_at",
                    )
                    .bind(user_id)
                    .bind(channel.channel.key())
                    .bind(stored_address)
                    .bind(channel.urgent_only)
                    .bind(&channel.lang)
                    .bind(channel.verified_at)
                    .execute(&mut *tx)
                    .await?;
                }
                for code in codes {
                    let Some((channel, stored_address)) = channels.iter().zip(&stored_addresses).find(|(c, _)| c.channel == code.channel) else {
                        continue;
                    };
                    sqlx::query("UPDATE inbox_channels SET code_hash = $1, code_sent_at = $2, code_attempts = 0 WHERE user_id = $3 AND channel = $4")
                        .bind(&code.code_hash)
                        .bind(now)
                        .bind(user_id)
                        .bind(code.channel.key())
                        .execute(&mut *tx)
                        .await?;
                    let message_id: i64 = sqlx::query_scalar(
                        "INSERT INTO inbox_messages (user_id, topic, urgent, message, link, created_at) VALUES ($1, $2, FALSE, $3, '/inbox/channels', $4) \
                         ON CONFLICT (user_id, topic) DO UPDATE SET message = excluded.message RETURNING id",
                    )
                    .bind(user_id)
                    .bind(format!("channel_code:{}:{now}", code.channel.key()))
                    .bind(&code.notice)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO inbox_deliveries (message_id, channel, address, lang, state, attempts, next_attempt_at, own_message) \
                         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6)",
                    )
                    .bind(message_id)
                    .bind(code.channel.key())
                    .bind(stored_address)
                    .bind(&channel.lang)
                    .bind(now)
                    .bind(self.seal_column(DELIVERY_TEXT_PURPOSE, &code.sent_text))
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "UPDATE inbox_deliveries SET state = 'failed', last_error = $2 WHERE state = 'pending' \
                     AND message_id IN (SELECT id FROM inbox_messages WHERE user_id = $1) \
                     AND NOT EXISTS (SELECT 1 FROM inbox_channels c WHERE c.user_id = $1 AND c.channel = inbox_deliveries.channel AND c.address = inbox_deliveries.address)",
                )
                .bind(user_id)
                .bind(CHANNEL_REMOVED)
                .execute(&mut *tx)
                .await?;
                crate::audit::append_audit!(tx, event);
                Ok(())
            },
            counts_change = false
        )
    }

    /// The keyed hash a channel's code is kept and compared by (bound to the person and the
    /// channel, so that a code cannot serve another).
    pub fn channel_code_hash(&self, user_id: i64, channel: Channel, code: &str) -> String {
        let subject = format!("{user_id}:{}:{code}", channel.key());
        match &self.sealer {
            Some(sealer) => sealer.lookup_hash("channel code", &subject),
            None => {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(subject.as_bytes()))
            }
        }
    }

    /// Checks a code typed back for a channel: right and in time (sent after `valid_from`, fewer
    /// than `attempts_max` wrong tries), the channel is verified and `event` recorded; wrong, the
    /// try is counted.
    pub async fn verify_inbox_channel(
        &self,
        user_id: i64,
        channel: Channel,
        code_hash: &str,
        valid_from: i64,
        attempts_max: i64,
        event: &AuditEvent,
    ) -> Result<ChannelVerification> {
        crate::in_transaction!(
            self,
            |tx| {
                let row: Option<CodeState> =
                    sqlx::query_as("SELECT verified_at, code_hash, code_sent_at, code_attempts FROM inbox_channels WHERE user_id = $1 AND channel = $2")
                        .bind(user_id)
                        .bind(channel.key())
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some((verified_at, expected, sent_at, attempts)) = row else { return Ok(ChannelVerification::NoCode) };
                if verified_at.is_some() {
                    return Ok(ChannelVerification::Verified);
                }
                let (Some(expected), Some(sent_at)) = (expected, sent_at) else { return Ok(ChannelVerification::NoCode) };
                if sent_at < valid_from || attempts >= attempts_max {
                    return Ok(ChannelVerification::Expired);
                }
                if expected != code_hash {
                    sqlx::query("UPDATE inbox_channels SET code_attempts = code_attempts + 1 WHERE user_id = $1 AND channel = $2")
                        .bind(user_id)
                        .bind(channel.key())
                        .execute(&mut *tx)
                        .await?;
                    return Ok(ChannelVerification::Wrong { tries_left: attempts_max - attempts - 1 });
                }
                sqlx::query("UPDATE inbox_channels SET verified_at = $1, code_hash = NULL WHERE user_id = $2 AND channel = $3")
                    .bind(now_ms())
                    .bind(user_id)
                    .bind(channel.key())
                    .execute(&mut *tx)
                    .await?;
                crate::audit::append_audit!(tx, event);
                Ok(ChannelVerification::Verified)
            },
            counts_change = false
        )
    }

    /// Takes the deliveries due at `now`, oldest first, at most `limit` (bounded by
    /// `DELIVERIES_TAKEN_MAX`): each is claimed until `claimed_until` by moving its next attempt
    /// there, row by row and only if still due, so that two processes never send one delivery
    /// twice (a claim not followed by an attempt's record simply falls due again).
    pub async fn take_due_deliveries(&self, now: i64, claimed_until: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
        let due: Vec<StoredDelivery> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT d.id, d.channel, d.address, d.lang, d.attempts, d.own_message, m.message, m.link, m.urgent FROM inbox_deliveries d \
                 JOIN inbox_messages m ON m.id = d.message_id WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
                 ORDER BY d.next_attempt_at, d.id LIMIT $2",
            )
            .bind(now)
            .bind(limit.clamp(1, DELIVERIES_TAKEN_MAX))
            .fetch_all(pool)
            .await?
        });
        let mut taken = Vec::with_capacity(due.len());
        for row in due {
            let claimed = with_writer!(self, |pool| {
                sqlx::query("UPDATE inbox_deliveries SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending' AND next_attempt_at <= $3")
                    .bind(claimed_until)
                    .bind(row.id)
                    .bind(now)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
            if claimed != 1 {
                continue;
            }
            let opened = self.open_column(ADDRESS_PURPOSE, row.address).and_then(|address| {
                let message = match row.own_message {
                    Some(own) => self.open_column(DELIVERY_TEXT_PURPOSE, own)?,
                    None => row.message,
                };
                Ok((address, message))
            });
            match opened {
                Ok((address, message)) => taken.push(DeliveryRow {
                    id: row.id,
                    channel: row.channel,
                    address,
                    lang: row.lang,
                    attempts: row.attempts,
                    message,
                    link: row.link,
                    urgent: row.urgent,
                }),
                // Sealed under another key, or damaged: given up, saying why, and the others go.
                Err(error) => {
                    tracing::error!(delivery = row.id, %error, "a delivery cannot be opened and is given up");
                    self.record_delivery_attempt(row.id, Err((UNOPENABLE, None))).await?;
                }
            }
        }
        Ok(taken)
    }

    /// Records one attempt at a delivery: sent, or failed with `error` and tried again at
    /// `retry_at` (`None`: given up, kept as failed).
    pub async fn record_delivery_attempt(&self, id: i64, outcome: std::result::Result<(), (&str, Option<i64>)>) -> Result<()> {
        let now = now_ms();
        with_writer!(self, |pool| {
            let changed = match outcome {
                // A delivery withdrawn with its channel while it was being sent did go out: so says its record.
                Ok(()) => sqlx::query(
                    "UPDATE inbox_deliveries SET state = 'sent', attempts = attempts + 1, sent_at = $1, last_error = NULL \
                     WHERE id = $2 AND (state = 'pending' OR (state = 'failed' AND last_error = $3))",
                )
                .bind(now)
                .bind(id)
                .bind(CHANNEL_REMOVED)
                .execute(pool)
                    .await?
                    .rows_affected(),
                Err((error, retry_at)) => sqlx::query(
                    "UPDATE inbox_deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $4 AND state = 'pending'",
                )
                .bind(if retry_at.is_some() { "pending" } else { "failed" })
                .bind(retry_at.unwrap_or(now))
                .bind(error.chars().take(500).collect::<String>())
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected(),
            };
            if changed != 1 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    /// Seals the channel addresses and delivery texts stored before sealing began; returns how
    /// many values were sealed. A channel's pending deliveries take the same stored address as
    /// the channel, so that none of them is taken for withdrawn. Part of `seal_legacy_secrets`.
    pub(crate) async fn seal_legacy_inbox(&self) -> Result<u64> {
        if self.sealer.is_none() {
            return Ok(0);
        }
        crate::in_plain_transaction!(self, |tx| {
            let mut sealed = 0;
            let channels: Vec<(i64, String, String)> =
                sqlx::query_as("SELECT user_id, channel, address FROM inbox_channels WHERE address NOT LIKE 'sealed1:%'").fetch_all(&mut *tx).await?;
            for (user_id, channel, address) in &channels {
                let stored = self.seal_column(ADDRESS_PURPOSE, address);
                // Only if the channel still holds that address (another process may have sealed
                // or changed it since): then its waiting deliveries take the same stored form.
                let changed = sqlx::query("UPDATE inbox_channels SET address = $1 WHERE user_id = $2 AND channel = $3 AND address = $4")
                    .bind(&stored)
                    .bind(user_id)
                    .bind(channel)
                    .bind(address)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    continue;
                }
                sqlx::query(
                    "UPDATE inbox_deliveries SET address = $1 WHERE address = $2 AND channel = $3 \
                         AND message_id IN (SELECT id FROM inbox_messages WHERE user_id = $4)",
                )
                .bind(&stored)
                .bind(address)
                .bind(channel)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                sealed += 1;
            }
            // What is left: deliveries whose channel has since changed or gone.
            let deliveries: Vec<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT id, address, own_message FROM inbox_deliveries \
                     WHERE address NOT LIKE 'sealed1:%' OR own_message NOT LIKE 'sealed1:%'",
            )
            .fetch_all(&mut *tx)
            .await?;
            for (id, address, own_message) in &deliveries {
                let seal = |purpose: &str, text: &str| if crate::keys::Sealer::is_sealed(text) { text.to_owned() } else { self.seal_column(purpose, text) };
                sqlx::query("UPDATE inbox_deliveries SET address = $1, own_message = $2 WHERE id = $3")
                    .bind(seal(ADDRESS_PURPOSE, address))
                    .bind(own_message.as_deref().map(|text| seal(DELIVERY_TEXT_PURPOSE, text)))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sealed += 1;
            }
            Ok(sealed)
        })
    }

    /// How many deliveries are pending, sent and failed.
    pub async fn delivery_counts(&self) -> Result<DeliveryCounts> {
        with_pool!(self, |pool| {
            let rows: Vec<(String, i64)> = sqlx::query_as("SELECT state, COUNT(*) FROM inbox_deliveries GROUP BY state").fetch_all(pool).await?;
            let mut counts = DeliveryCounts::default();
            for (state, count) in rows {
                match state.as_str() {
                    "pending" => counts.pending = count,
                    "sent" => counts.sent = count,
                    _ => counts.failed += count,
                }
            }
            Ok(counts)
        })
    }

    /// Whether anyone has been told of `topic` (a cheap check before a write).
    pub async fn topic_told(&self, topic: &str) -> Result<bool> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar::<_, i64>("SELECT id FROM inbox_messages WHERE topic = $1 LIMIT 1").bind(topic).fetch_optional(pool).await?.is_some())
        })
    }

    /// The people a unit's messages reach (for checks against the policy).
    pub async fn unit_recipients(&self, unit_id: i64) -> Result<Vec<i64>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT user_id FROM unit_recipients WHERE unit_id = $1 ORDER BY user_id").bind(unit_id).fetch_all(pool).await?)
        })
    }
}
