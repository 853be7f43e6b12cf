//! MQTT ingest of telemetry: owns the subscription to the broker and hands each message's readings
//! to `App::ingest`, the same door the HTTP API uses.
//!
//! - **Topics.** An enterprise publishes to `{topic_prefix}/{its unified social credit code}` with
//!   the credit code as its username at the broker, whose ACL lets it write that one topic only
//!   (`deploy/mosquitto/acl`). So the last topic level tells who wrote, and `App::ingest` rejects
//!   readings of sensors that are not that enterprise's.
//! - **Payloads.** A JSON array (first non-whitespace byte `[`) as `domain::monitoring::parse_json`
//!   reads it, otherwise UTF-8 lines `CODE VALUE TS_MS` as `parse_lines` reads them; at most
//!   `app::monitoring::BATCH_READINGS_MAX` readings.
//! - **Durability.** QoS 1 with manual acknowledgements on a persistent session: a message is
//!   acknowledged once its readings are stored, or once it is refused for good as bad input, and
//!   acknowledgements go out in the order the messages came. Messages of one enterprise that
//!   arrive together (already read from the connection) are gathered into one batch, up to
//!   [`GATHER_MESSAGES_MAX`]; batches are checked and ruled one after another
//!   (`App::stage_ingest`), and up to [`PIPELINE_MAX`] of them are stored at once (sharing the
//!   monitor's group commits). When the ingest queue is full the same
//!   message is retried, after a growing pause, before any other is read; when storage fails it and
//!   the messages after it are left unacknowledged and the connection is renewed, so that the
//!   broker sends them again. A message delivered twice does no harm: its readings come back as
//!   duplicates or out of order.
//! - **Bounds.** Packets up to [`MAX_PACKET_BYTES`], a bounded request channel (acknowledgements it
//!   cannot take yet wait in order, at most one per message the broker has in flight), at most
//!   [`PIPELINE_MAX`] messages being stored, a bounded cache of credit codes, rate-limited logs. Reconnection backs off up to
//!   30 s and subscribes again whenever the broker has no session for us (rumqttc does not).

mod settings;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app::{App, AppError};
use domain::monitoring::{BatchError, RawReading, RejectReason};
use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, Outgoing, Packet, Publish, QoS, StateError, SubscribeReasonCode};

pub use settings::{DEFAULT_PORT, MqttSettings, SettingsError};

/// The largest packet anwei reads. The broker must refuse larger ones (mosquitto's
/// `max_packet_size`, set in `deploy/mosquitto/anwei.conf`): with MQTT 3.1.1 a broker cannot know a
/// subscriber's limit, and a message the client cannot read would come back after every reconnect.
pub const MAX_PACKET_BYTES: usize = 8 * 1024 * 1024;
/// anwei only sends subscriptions, acknowledgements and pings.
const MAX_OUTGOING_PACKET_BYTES: usize = 64 * 1024;
/// Requests to the event loop: the subscription and acknowledgements. The broker sends no more
/// unacknowledged messages than its in-flight window (mosquitto's `max_inflight_messages`, 20 by
/// default and in `deploy/mosquitto/anwei.conf`), so no more acknowledgements than that can wait.
const REQUEST_CHANNEL_CAPACITY: usize = 64;
/// Messages whose batches are being stored at once (each holds an ingest slot of the monitor's
/// `INGEST_QUEUE_MAX`, shared with HTTP): enough to keep the monitor's writer committing groups.
pub const PIPELINE_MAX: usize = 6;
/// Messages gathered into one batch at most (with 100 readings a message, 10,000 readings).
pub const GATHER_MESSAGES_MAX: usize = 100;
/// Outgoing QoS 1 messages in flight; anwei publishes none, so the smallest sensible window.
const INFLIGHT_MAX: u16 = 8;
/// The broker drops a silent connection after one and a half times this.
const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// Credit codes remembered with their enterprise id; a province has some thousands of enterprises
/// with major hazard sources.
const CREDIT_CODE_CACHE_MAX: usize = 10_000;
const RECONNECT_DELAY_MIN: Duration = Duration::from_millis(500);
const RECONNECT_DELAY_MAX: Duration = Duration::from_secs(30);
/// A full ingest queue drains within moments (HTTP batches finish), so retry soon.
const BUSY_DELAY_MIN: Duration = Duration::from_millis(50);
const BUSY_DELAY_MAX: Duration = Duration::from_secs(2);
/// A failing database is unlikely to recover at once; wait longer before the message comes back.
const STORAGE_DELAY_MIN: Duration = Duration::from_secs(1);
const STORAGE_DELAY_MAX: Duration = Duration::from_secs(30);
/// At most one log line per kind of bad message in this time.
const LOG_EVERY: Duration = Duration::from_secs(10);
/// How long a clean disconnect at shutdown may take.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Why `run` stopped other than by shutdown. Connection trouble is not among them: it is retried.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    #[error("invalid MQTT settings: {0}")]
    Settings(#[from] SettingsError),
}

/// Why a whole message was refused (and acknowledged, since sending it again cannot help).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadMessage {
    /// The topic's last level is not the credit code of an enterprise anwei knows.
    UnknownEnterprise,
    /// A topic outside `{topic_prefix}/+`, e.g. from a subscription under a former prefix that the
    /// broker's session still holds.
    UnexpectedTopic,
    NotUtf8,
    /// Starts with `[` but is not a JSON array.
    BadJson,
    TooManyReadings,
}

impl BadMessage {
    pub const ALL: [BadMessage; 5] = [Self::UnknownEnterprise, Self::UnexpectedTopic, Self::NotUtf8, Self::BadJson, Self::TooManyReadings];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownEnterprise => "unknown_enterprise",
            Self::UnexpectedTopic => "unexpected_topic",
            Self::NotUtf8 => "not_utf8",
            Self::BadJson => "bad_json",
            Self::TooManyReadings => "too_many_readings",
        }
    }

    fn of(error: &BatchError) -> Self {
        match error {
            BatchError::TooMany { .. } => Self::TooManyReadings,
            BatchError::NotUtf8 { .. } => Self::NotUtf8,
            BatchError::NotAnArray | BatchError::Json { .. } => Self::BadJson,
        }
    }
}

/// Counters since start, shared with whoever wants to watch the ingest (tests, a status page).
#[derive(Debug, Default)]
pub struct Stats {
    messages_received: AtomicU64,
    messages_ingested: AtomicU64,
    bad_messages: [AtomicU64; BadMessage::ALL.len()],
    busy_retries: AtomicU64,
    storage_failures: AtomicU64,
    connections: AtomicU64,
    subscriptions: AtomicU64,
}

impl Stats {
    /// Messages taken from the broker (a redelivered message counts again).
    pub fn messages_received(&self) -> u64 {
        self.messages_received.load(Ordering::Relaxed)
    }

    /// Messages whose batch `App::ingest` took (its readings stored or rejected one by one).
    pub fn messages_ingested(&self) -> u64 {
        self.messages_ingested.load(Ordering::Relaxed)
    }

    pub fn bad_messages(&self, reason: BadMessage) -> u64 {
        self.bad_messages[reason as usize].load(Ordering::Relaxed)
    }

    /// Retries of a message because the ingest queue was full.
    pub fn busy_retries(&self) -> u64 {
        self.busy_retries.load(Ordering::Relaxed)
    }

    /// Messages left unacknowledged because storage failed.
    pub fn storage_failures(&self) -> u64 {
        self.storage_failures.load(Ordering::Relaxed)
    }

    /// Connections the broker accepted.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Subscriptions the broker granted.
    pub fn subscriptions(&self) -> u64 {
        self.subscriptions.load(Ordering::Relaxed)
    }

    fn bump(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Subscribes and ingests until `shutdown` completes; see the module documentation.
pub async fn run(app: App, settings: MqttSettings, shutdown: impl Future<Output = ()>) -> Result<(), MqttError> {
    run_with_stats(app, settings, Arc::default(), shutdown).await
}

/// [`run`], counting into `stats`.
pub async fn run_with_stats(app: App, settings: MqttSettings, stats: Arc<Stats>, shutdown: impl Future<Output = ()>) -> Result<(), MqttError> {
    let address = settings.broker_address()?;
    let mut options = MqttOptions::new(settings.client_id.clone(), address.host, address.port);
    options
        .set_keep_alive(KEEP_ALIVE)
        // A persistent session under a stable id (validated non-empty, which rumqttc asserts):
        // the broker keeps the subscription and queues messages while anwei is away.
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_max_packet_size(MAX_PACKET_BYTES, MAX_OUTGOING_PACKET_BYTES)
        .set_inflight(INFLIGHT_MAX)
        .set_request_channel_capacity(REQUEST_CHANNEL_CAPACITY);
    if let Some(username) = &settings.username {
        options.set_credentials(username.clone(), settings.password.clone().unwrap_or_default());
    }
    let (client, mut eventloop) = AsyncClient::new(options, REQUEST_CHANNEL_CAPACITY);
    let filter = format!("{}/+", settings.topic_prefix);
    let mut ingestor = Ingestor {
        app,
        stats: stats.clone(),
        topic_prefix: settings.topic_prefix.clone(),
        enterprises: HashMap::new(),
        log: LogLimiter::default(),
        rollbacks_seen: None,
    };
    let mut shutdown = std::pin::pin!(shutdown);
    let mut reconnect_delay = Backoff::new(RECONNECT_DELAY_MIN, RECONNECT_DELAY_MAX);
    let mut storage_delay = Backoff::new(STORAGE_DELAY_MIN, STORAGE_DELAY_MAX);
    // Whether the broker holds our subscription as far as we know; a fresh process subscribes
    // even when the broker reports a session, since the session may hold another prefix.
    let mut subscribed = false;
    let mut connected = false;
    tracing::info!(url = %settings.url, client_id = %settings.client_id, %filter, "MQTT ingest starting");
    // Messages whose batches are being stored, oldest first, and acknowledgements not yet taken by
    // the event loop: acknowledgements go out in the order the messages came, as MQTT requires.
    let mut pipeline: VecDeque<InFlight> = VecDeque::new();
    let mut gathering = Gathering::default();
    let mut acks: VecDeque<Publish> = VecDeque::new();
    loop {
        while let Some(ack) = acks.front() {
            if client.try_ack(ack).is_err() {
                // The request channel is full; the event loop takes them as it runs.
                break;
            }
            acks.pop_front();
        }
        let front_storing = pipeline.front().is_some_and(|m| m.durable.is_some());
        let event = tokio::select! {
            biased;
            () = shutdown.as_mut() => break,
            () = front_stored(&mut pipeline), if front_storing => {
                if acknowledge_stored(&mut pipeline, &mut acks, &ingestor.stats).await {
                    storage_delay.reset();
                } else {
                    if redeliver_later(&mut pipeline, &mut acks, &mut gathering, &mut ingestor, &mut storage_delay, &mut shutdown, &mut eventloop).await {
                        break;
                    }
                    connected = false;
                }
                continue;
            }
            event = eventloop.poll(), if pipeline.len() < PIPELINE_MAX => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(connack))) => {
                connected = true;
                Stats::bump(&stats.connections);
                tracing::info!(session_present = connack.session_present, "connected to the MQTT broker");
                // rumqttc does not subscribe again by itself; without a session (first start, a
                // broker restarted without persistence, an expired session) nobody would.
                if !connack.session_present || !subscribed {
                    subscribed = false;
                    if let Err(error) = client.try_subscribe(filter.as_str(), QoS::AtLeastOnce) {
                        tracing::warn!(%error, "could not queue the MQTT subscription; reconnecting");
                        eventloop.clean();
                        connected = false;
                    }
                }
            }
            Ok(Event::Incoming(Packet::SubAck(suback))) => {
                if suback.return_codes.iter().all(|code| matches!(code, SubscribeReasonCode::Success(_))) {
                    subscribed = true;
                    reconnect_delay.reset();
                    Stats::bump(&stats.subscriptions);
                    tracing::info!(%filter, "subscribed");
                } else {
                    let delay = reconnect_delay.next();
                    tracing::error!(%filter, retry_in_ms = delay.as_millis(), "the broker refused the subscription: check its ACL (deploy/mosquitto/acl)");
                    if sleep_unless_shutdown(delay, &mut shutdown).await {
                        break;
                    }
                    // A new connection subscribes again.
                    eventloop.clean();
                    connected = false;
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                reconnect_delay.reset();
                // Messages of one enterprise that arrive together are ingested as one batch: the
                // gathering goes to the monitor when no further message is already read, or when it
                // is full, or when another enterprise's message comes.
                let mut disposition = Disposition::Done;
                match ingestor.admit(&publish).await {
                    Admission::Enterprise(enterprise_id) => {
                        if gathering.enterprise_id != enterprise_id && !gathering.messages.is_empty() {
                            disposition = ingestor.stage(&mut gathering, &mut pipeline, &mut shutdown).await;
                        }
                        gathering.enterprise_id = enterprise_id;
                        gathering.messages.push(publish);
                    }
                    Admission::Refused => {
                        disposition = ingestor.stage(&mut gathering, &mut pipeline, &mut shutdown).await;
                        pipeline.push_back(InFlight { durable: None, stored: None, acks: vec![ack_of(&publish)], messages_ingested: 0 });
                    }
                    Admission::StorageFailed => disposition = Disposition::Redeliver,
                }
                let more_read = matches!(eventloop.state.events.front(), Some(Event::Incoming(Packet::Publish(_))));
                if disposition == Disposition::Done && !gathering.messages.is_empty() && (!more_read || gathering.messages.len() >= GATHER_MESSAGES_MAX) {
                    disposition = ingestor.stage(&mut gathering, &mut pipeline, &mut shutdown).await;
                }
                let redeliver = match disposition {
                    Disposition::Done => false,
                    Disposition::Redeliver => true,
                    Disposition::Stopped => break,
                };
                if redeliver || !acknowledge_stored(&mut pipeline, &mut acks, &ingestor.stats).await {
                    if redeliver_later(&mut pipeline, &mut acks, &mut gathering, &mut ingestor, &mut storage_delay, &mut shutdown, &mut eventloop).await {
                        break;
                    }
                    connected = false;
                } else {
                    storage_delay.reset();
                }
            }
            Ok(Event::Incoming(Packet::PingResp)) => reconnect_delay.reset(),
            Ok(_) => {}
            Err(error) => {
                // rumqttc has dropped the connection and will open a new one on the next poll.
                connected = false;
                let delay = reconnect_delay.next();
                if let ConnectionError::MqttState(StateError::Deserialization(rumqttc::mqttbytes::Error::PayloadSizeLimitExceeded(bytes))) = &error {
                    tracing::error!(
                        bytes,
                        max = MAX_PACKET_BYTES,
                        "the broker sent a packet larger than anwei reads; it will send it again after every reconnect: set max_packet_size {MAX_PACKET_BYTES} in the broker (deploy/mosquitto/anwei.conf)"
                    );
                } else {
                    tracing::warn!(%error, retry_in_ms = delay.as_millis(), "MQTT connection failed");
                }
                if sleep_unless_shutdown(delay, &mut shutdown).await {
                    break;
                }
            }
        }
    }
    if connected {
        disconnect(&client, &mut eventloop).await;
    }
    tracing::info!(
        received = stats.messages_received(),
        ingested = stats.messages_ingested(),
        storage_failures = stats.storage_failures(),
        "MQTT ingest stopped"
    );
    Ok(())
}

/// Says goodbye so that the broker keeps the session without waiting for the keep-alive to lapse.
/// Messages received but not yet handled stay unacknowledged and come back on the next start.
async fn disconnect(client: &AsyncClient, eventloop: &mut EventLoop) {
    if client.try_disconnect().is_err() {
        return;
    }
    let sent = tokio::time::timeout(DISCONNECT_TIMEOUT, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    if sent.await.is_err() {
        tracing::warn!("the MQTT disconnect did not go out in time");
    }
}

/// Sleeps for `delay` unless `shutdown` completes first, and says whether it did. Once it has, the
/// caller must not poll `shutdown` again.
async fn sleep_unless_shutdown<F: Future<Output = ()>>(delay: Duration, shutdown: &mut Pin<&mut F>) -> bool {
    tokio::select! {
        biased;
        () = shutdown.as_mut() => true,
        () = tokio::time::sleep(delay) => false,
    }
}

/// A message whose batch is being stored (or that was refused for good), waiting for its turn to
/// be acknowledged.
struct InFlight {
    /// The storing of its batch, while under way; None once finished or when it was refused.
    durable: Option<tokio::task::JoinHandle<Result<app::monitoring::IngestOutcome, AppError>>>,
    /// How the storing ended, once it has.
    stored: Option<StoreOutcome>,
    /// The messages it answers for, in the order they came.
    acks: Vec<Publish>,
    /// How many of them had readings stored.
    messages_ingested: u64,
}

/// Messages of one enterprise, in order, waiting to be ingested as one batch.
#[derive(Default)]
struct Gathering {
    enterprise_id: i64,
    messages: Vec<Publish>,
}

type StoreOutcome = Result<Result<app::monitoring::IngestOutcome, AppError>, tokio::task::JoinError>;

/// What an acknowledgement needs of a message (its packet id), without its payload.
fn ack_of(publish: &Publish) -> Publish {
    let mut ack = Publish::new(publish.topic.clone(), publish.qos, Vec::<u8>::new());
    ack.pkid = publish.pkid;
    ack
}

/// Leaves everything in hand unacknowledged, so that the broker sends it again (it does so only on
/// a new connection): pauses, longer while storage keeps failing, then renews the connection.
/// True when shutdown came during the pause.
async fn redeliver_later<F: Future<Output = ()>>(
    pipeline: &mut VecDeque<InFlight>,
    acks: &mut VecDeque<Publish>,
    gathering: &mut Gathering,
    ingestor: &mut Ingestor,
    storage_delay: &mut Backoff,
    shutdown: &mut Pin<&mut F>,
    eventloop: &mut EventLoop,
) -> bool {
    pipeline.clear();
    acks.clear();
    gathering.messages.clear();
    ingestor.rollbacks_seen = None;
    if sleep_unless_shutdown(storage_delay.next(), shutdown).await {
        return true;
    }
    eventloop.clean();
    false
}

/// Resolves once the oldest message's batch is stored (or failed); pending when none is storing.
async fn front_stored(pipeline: &mut VecDeque<InFlight>) {
    let Some(front) = pipeline.front_mut() else { return std::future::pending().await };
    let Some(handle) = front.durable.as_mut() else { return std::future::pending().await };
    let outcome = handle.await;
    front.durable = None;
    front.stored = Some(outcome);
}

/// Moves the messages at the front whose batches are stored (or that were refused) to the
/// acknowledgements, in order; false when the front's batch could not be stored, in which case it
/// and everything after it must come again.
async fn acknowledge_stored(pipeline: &mut VecDeque<InFlight>, acks: &mut VecDeque<Publish>, stats: &Stats) -> bool {
    while let Some(front) = pipeline.front_mut() {
        if let Some(handle) = front.durable.take_if(|handle| handle.is_finished()) {
            front.stored = Some(handle.await);
        }
        if front.durable.is_some() {
            return true;
        }
        if let Some(stored) = front.stored.take() {
            match stored {
                Ok(Ok(outcome)) => {
                    stats.messages_ingested.fetch_add(front.messages_ingested, Ordering::Relaxed);
                    tracing::debug!(accepted = outcome.accepted, rejected = outcome.rejected_total, "MQTT batch stored");
                }
                Ok(Err(error)) => {
                    let failures = Stats::bump(&stats.storage_failures);
                    tracing::error!(%error, failures, "could not store an MQTT message; it stays with the broker and comes back after a reconnect");
                    return false;
                }
                Err(error) => {
                    let failures = Stats::bump(&stats.storage_failures);
                    tracing::error!(%error, failures, "storing an MQTT message failed; it comes back after a reconnect");
                    return false;
                }
            }
        }
        if let Some(done) = pipeline.pop_front() {
            acks.extend(done.acks);
        }
    }
    true
}

/// Who may have written a message, by its topic.
enum Admission {
    Enterprise(i64),
    /// Refused for good (counted and logged): acknowledge it in its turn.
    Refused,
    /// The enterprise could not be looked up: leave it for the broker to send again.
    StorageFailed,
}

/// What became of the messages handed to the monitor.
#[derive(Debug, PartialEq, Eq)]
enum Disposition {
    /// Queued for storage, or refused for good: each is acknowledged in its turn.
    Done,
    /// Leave it unacknowledged so that the broker sends it again.
    Redeliver,
    /// Shutdown came while waiting; leave it to the next start.
    Stopped,
}

/// Turns messages into `App::ingest` calls.
struct Ingestor {
    app: App,
    stats: Arc<Stats>,
    topic_prefix: String,
    /// Credit code → enterprise id, for codes found; cleared when full, which is rare and cheap.
    enterprises: HashMap<String, i64>,
    log: LogLimiter,
    /// The monitor's rollback count when the last batch was staged; None after the messages in
    /// hand were given back to the broker.
    rollbacks_seen: Option<u64>,
}

impl Ingestor {
    /// Checks a message's topic and finds the enterprise that wrote it.
    async fn admit(&mut self, publish: &Publish) -> Admission {
        Stats::bump(&self.stats.messages_received);
        let payload_bytes = publish.payload.len();
        let Some(credit_code) = credit_code_of(&publish.topic, &self.topic_prefix) else {
            self.refuse(BadMessage::UnexpectedTopic, &publish.topic, payload_bytes);
            return Admission::Refused;
        };
        match self.enterprise_id(credit_code).await {
            Ok(Some(id)) => Admission::Enterprise(id),
            Ok(None) => {
                self.refuse(BadMessage::UnknownEnterprise, credit_code, payload_bytes);
                Admission::Refused
            }
            Err(error) => {
                self.storage_failed(&error, credit_code);
                Admission::StorageFailed
            }
        }
    }

    /// Decodes the gathered messages and hands their readings to the monitor as one batch (or
    /// more, should they hold more than a batch may), queueing each batch with the messages it
    /// answers for; a message that cannot be read is refused and acknowledged in its turn.
    async fn stage<F: Future<Output = ()>>(&mut self, gathering: &mut Gathering, pipeline: &mut VecDeque<InFlight>, shutdown: &mut Pin<&mut F>) -> Disposition {
        let messages = std::mem::take(&mut gathering.messages);
        let mut batch: Batch<'_> = Vec::new();
        let mut acks = Vec::new();
        let mut readable = 0u64;
        for publish in &messages {
            match decode(&publish.payload) {
                Ok(readings) => {
                    if batch.len() + readings.len() > app::monitoring::BATCH_READINGS_MAX {
                        let disposition = self.stage_batch(gathering.enterprise_id, &batch, std::mem::take(&mut acks), readable, pipeline, shutdown).await;
                        if disposition != Disposition::Done {
                            return disposition;
                        }
                        batch.clear();
                        readable = 0;
                    }
                    batch.extend(readings);
                    readable += 1;
                }
                Err(reason) => {
                    let publisher = credit_code_of(&publish.topic, &self.topic_prefix).unwrap_or_default().to_owned();
                    self.refuse(reason, &publisher, publish.payload.len());
                }
            }
            acks.push(ack_of(publish));
        }
        if acks.is_empty() {
            return Disposition::Done;
        }
        self.stage_batch(gathering.enterprise_id, &batch, acks, readable, pipeline, shutdown).await
    }

    async fn stage_batch<F: Future<Output = ()>>(
        &mut self,
        enterprise_id: i64,
        batch: &Batch<'_>,
        acks: Vec<Publish>,
        readable: u64,
        pipeline: &mut VecDeque<InFlight>,
        shutdown: &mut Pin<&mut F>,
    ) -> Disposition {
        if batch.is_empty() {
            pipeline.push_back(InFlight { durable: None, stored: None, acks, messages_ingested: 0 });
            return Disposition::Done;
        }
        // At most PIPELINE_MAX batches being stored, however many one gathering makes, so that
        // the HTTP ingest keeps slots of its own.
        while pipeline.iter().filter(|m| m.durable.is_some()).count() >= PIPELINE_MAX {
            if let Some(oldest) = pipeline.iter_mut().find(|m| m.durable.is_some())
                && let Some(handle) = oldest.durable.as_mut()
            {
                let outcome = handle.await;
                oldest.durable = None;
                oldest.stored = Some(outcome);
            }
        }
        let mut busy_delay = Backoff::new(BUSY_DELAY_MIN, BUSY_DELAY_MAX);
        loop {
            match self.app.stage_ingest(enterprise_id, batch, domain::time::now_ms(), self.rollbacks_seen).await {
                Ok(staged) => {
                    self.rollbacks_seen = Some(staged.rollbacks());
                    pipeline.push_back(InFlight {
                        durable: Some(tokio::spawn(async move { staged.durable().await.map_err(AppError::from) })),
                        stored: None,
                        acks,
                        messages_ingested: readable,
                    });
                    return Disposition::Done;
                }
                // The queue is shared with the HTTP ingest; these messages wait their turn, and the
                // broker holds the next ones meanwhile.
                Err(AppError::Busy(_)) => {
                    Stats::bump(&self.stats.busy_retries);
                    if sleep_unless_shutdown(busy_delay.next(), shutdown).await {
                        return Disposition::Stopped;
                    }
                }
                // The batch limit, which `stage` already holds to.
                Err(AppError::BadRequest(_)) => {
                    self.refuse(BadMessage::TooManyReadings, "", 0);
                    pipeline.push_back(InFlight { durable: None, stored: None, acks, messages_ingested: 0 });
                    return Disposition::Done;
                }
                // A commit failed since the previous batch was staged, and the monitor was put back
                // to before batches still in the pipeline: they all come again, in order.
                Err(AppError::Conflict(_)) => {
                    tracing::warn!("the monitor rolled back a failed commit; the messages in hand come again");
                    return Disposition::Redeliver;
                }
                Err(error) => {
                    self.storage_failed(&error, "");
                    return Disposition::Redeliver;
                }
            }
        }
    }

    /// The enterprise whose unified social credit code `code` is, if any.
    async fn enterprise_id(&mut self, code: &str) -> Result<Option<i64>, AppError> {
        if let Some(&id) = self.enterprises.get(code) {
            return Ok(Some(id));
        }
        // Only a code with a correct check character, written as stored (upper case), can name an
        // enterprise; anything else is refused without asking the database.
        if domain::CreditCode::parse(code).map_or(true, |parsed| parsed.as_str() != code) {
            return Ok(None);
        }
        let Some(id) = self.app.enterprise_id_by_credit_code(code).await? else {
            return Ok(None);
        };
        if self.enterprises.len() >= CREDIT_CODE_CACHE_MAX {
            self.enterprises.clear();
        }
        self.enterprises.insert(code.to_owned(), id);
        Ok(Some(id))
    }

    /// Counts and logs (rate-limited, never the payload) a message refused for good.
    fn refuse(&mut self, reason: BadMessage, publisher: &str, payload_bytes: usize) {
        let total = Stats::bump(&self.stats.bad_messages[reason as usize]);
        if let Some(suppressed) = self.log.admit(reason, Instant::now()) {
            let publisher: String = publisher.chars().take(80).collect();
            tracing::warn!(reason = reason.as_str(), %publisher, payload_bytes, total, suppressed, "MQTT message refused");
        }
    }

    fn storage_failed(&mut self, error: &dyn std::fmt::Display, publisher: &str) {
        let failures = Stats::bump(&self.stats.storage_failures);
        tracing::error!(%error, publisher, failures, "could not store an MQTT message; it stays with the broker and comes back after a reconnect");
    }
}

/// The last topic level under `{prefix}/`, which names the writer.
fn credit_code_of<'t>(topic: &'t str, prefix: &str) -> Option<&'t str> {
    let code = topic.strip_prefix(prefix)?.strip_prefix('/')?;
    (!code.contains('/')).then_some(code)
}

type Batch<'a> = Vec<Result<RawReading<'a>, RejectReason>>;

/// A JSON array when the first byte other than whitespace (and a byte-order mark) is `[`, UTF-8
/// text lines otherwise, at most `BATCH_READINGS_MAX` readings. Bad readings stay in the batch as
/// their `RejectReason`; only a message that cannot be read at all is an error.
fn decode(payload: &[u8]) -> Result<Batch<'_>, BadMessage> {
    domain::monitoring::parse_payload(payload, app::monitoring::BATCH_READINGS_MAX).map_err(|error| BadMessage::of(&error))
}

/// A delay that doubles on each use up to a ceiling, until reset.
#[derive(Debug)]
struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Self { min, max, next: min }
    }

    fn next(&mut self) -> Duration {
        let delay = self.next;
        self.next = (delay * 2).min(self.max);
        delay
    }

    fn reset(&mut self) {
        self.next = self.min;
    }
}

/// One log line per kind of bad message per `LOG_EVERY`, so that a misbehaving publisher cannot
/// flood the log; the next line says how many were left out.
#[derive(Debug, Default)]
struct LogLimiter {
    quiet_until: [Option<Instant>; BadMessage::ALL.len()],
    suppressed: [u64; BadMessage::ALL.len()],
}

impl LogLimiter {
    /// `Some(lines left out since the last one)` when this one may be logged.
    fn admit(&mut self, reason: BadMessage, now: Instant) -> Option<u64> {
        let index = reason as usize;
        if self.quiet_until[index].is_some_and(|until| now < until) {
            self.suppressed[index] += 1;
            return None;
        }
        self.quiet_until[index] = Some(now + LOG_EVERY);
        Some(std::mem::take(&mut self.suppressed[index]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_name_the_writer() {
        let prefix = "anwei/telemetry";
        #[rustfmt::skip]
        let cases = [
            ("anwei/telemetry/91220101MA0000000X", Some("91220101MA0000000X")),
            ("anwei/telemetry/", Some("")),
            ("anwei/telemetry", None),
            ("anwei/telemetryX/91220101MA0000000X", None),
            ("anwei/telemetry/a/b", None),
            ("other/telemetry/91220101MA0000000X", None),
        ];
        for (topic, expected) in cases {
            assert_eq!(credit_code_of(topic, prefix), expected, "{topic}");
        }
    }

    /// Readings as (code, value, ts) or their reasons, or the whole message's fault.
    type Decoded<'a> = Result<&'a [Result<(&'a str, f64, i64), RejectReason>], BadMessage>;

    /// Decodes `payload` and compares the outcome with `expected`.
    fn check(payload: &[u8], expected: Decoded<'_>) {
        let decoded = decode(payload).map(|batch| batch.into_iter().map(|entry| entry.map(|r| (r.code, r.value, r.ts_ms))).collect::<Vec<_>>());
        assert_eq!(decoded.as_deref().map_err(|reason| *reason), expected, "{:?}", String::from_utf8_lossy(payload));
    }

    #[test]
    fn payloads() {
        use RejectReason::*;
        check(b"JL00001-PT101 1.5 1790000000000\n\nJL00001-PT101 x 1\n", Ok(&[Ok(("JL00001-PT101", 1.5, 1_790_000_000_000)), Err(Malformed)]));
        check(b"", Ok(&[]));
        check(b"\xEF\xBB\xBFA 1 2", Ok(&[Ok(("A", 1.0, 2))]));
        let array = br#"[{"sensor": "A", "value": 2.5, "ts": 3}, {"sensor": "A"}]"#;
        check(&[b" \r\n\t".as_slice(), array].concat(), Ok(&[Ok(("A", 2.5, 3)), Err(Malformed)]));
        check(b"\xEF\xBB\xBF[]", Ok(&[]));
        check(b"A 1 2\n\xFF\xFE", Err(BadMessage::NotUtf8));
        check(b"[\"\xFF\"]", Err(BadMessage::NotUtf8));
        check(br#"[{"sensor": "A", "value": 1, "ts": 2}"#, Err(BadMessage::BadJson));
        check(b"[1, 2", Err(BadMessage::BadJson));
        // Not starting with `[`: read as text, a line of the wrong shape.
        check(br#"{"sensor": "A", "value": 1, "ts": 2}"#, Ok(&[Err(Malformed)]));
        let max = app::monitoring::BATCH_READINGS_MAX;
        let lines = "A 1 2\n".repeat(max);
        assert_eq!(decode(lines.as_bytes()).map(|batch| batch.len()), Ok(max));
        check(format!("{lines}A 1 3").as_bytes(), Err(BadMessage::TooManyReadings));
        let array = format!("[{}]", vec![r#"{"sensor":"A","value":1,"ts":2}"#; max + 1].join(","));
        check(array.as_bytes(), Err(BadMessage::TooManyReadings));
    }

    #[test]
    fn backoff_doubles_to_its_ceiling_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(3));
        let delays: Vec<u128> = (0..6).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(delays, [500, 1000, 2000, 3000, 3000, 3000]);
        backoff.reset();
        assert_eq!(backoff.next(), Duration::from_millis(500));
    }

    #[test]
    fn logs_are_rate_limited_per_reason() {
        let mut log = LogLimiter::default();
        let start = Instant::now();
        assert_eq!(log.admit(BadMessage::NotUtf8, start), Some(0));
        assert_eq!(log.admit(BadMessage::NotUtf8, start + Duration::from_secs(1)), None);
        assert_eq!(log.admit(BadMessage::NotUtf8, start + Duration::from_secs(2)), None);
        assert_eq!(log.admit(BadMessage::BadJson, start + Duration::from_secs(2)), Some(0), "each reason on its own");
        assert_eq!(log.admit(BadMessage::NotUtf8, start + LOG_EVERY), Some(2), "the next line counts those left out");
        assert_eq!(log.admit(BadMessage::NotUtf8, start + LOG_EVERY), None);
    }

    #[test]
    fn reasons_have_distinct_names() {
        let names: std::collections::BTreeSet<&str> = BadMessage::ALL.iter().map(|reason| reason.as_str()).collect();
        assert_eq!(names.len(), BadMessage::ALL.len());
        assert!(BadMessage::ALL.iter().enumerate().all(|(index, reason)| *reason as usize == index));
    }
}
