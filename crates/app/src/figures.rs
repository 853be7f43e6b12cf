//! Figures shown on every view of the busiest pages: the home page's overview and map, the
//! risk map's counts by region, the monitoring page's warnings and KPIs, the inbox's counts, the
//! totals of the enterprise, hidden-danger and assignment lists, the overdue assignments' counts
//! by unit and region, and the jurisdiction's counts.
//! Each is computed once per scope and kept for a few seconds, so that a page view reads memory
//! instead of scanning the province.
//!
//! A kept figure is valid for one count of the store's committed changes
//! (`Store::changes_committed`): a change made through this process shows at the next view, and
//! readers asking for a figure not kept yet wait for one computation. A figure older than
//! `FRESH_FOR` is computed again by the first reader that finds it so, while the others go on
//! reading the kept one until it is replaced, but never once it is twice `FRESH_FOR` old; so a
//! change made by another process of the cluster shows within `FRESH_FOR` to the reader that
//! recomputes and within twice that to every reader (the stated staleness), and a busy page never
//! has all its readers wait for the recount at once.
//!
//! The figures are keyed by what decides them (a visibility or a user, and for the lists' totals
//! the filter asked for). Each kind of figure holds at most `FIGURE_BYTES_MAX`, weighed by an
//! estimate of its key and value; beyond that the least used go first, so no sequence of requests
//! grows them without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use domain::access::Visibility;
use moka::future::Cache;

use crate::inbox::WaitingWork;
use crate::monitoring::{EnterpriseKpi, SourceWarning};
use crate::{AppError, Result};

/// How long a figure is kept: the staleness a change made in another process may show.
pub const FRESH_FOR: Duration = Duration::from_secs(10);
/// The memory each kind of figure may hold, in (estimated) bytes.
const FIGURE_BYTES_MAX: u64 = 32 * 1024 * 1024;

/// A figure with when it was computed, and whether a reader is computing it again.
struct Kept<V> {
    value: V,
    computed_at: Instant,
    refreshing: AtomicBool,
}

impl<V> Kept<V> {
    fn new(value: V) -> Arc<Self> {
        Arc::new(Self { value, computed_at: Instant::now(), refreshing: AtomicBool::new(false) })
    }
}

/// Lets another reader refresh the figure if this one's computation ends without a value (it
/// failed, or its request was dropped).
struct RefreshClaim<'a>(&'a AtomicBool);

impl Drop for RefreshClaim<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

type FigureCache<K, V> = Cache<K, Arc<Kept<V>>>;

/// The figure under `key`: the kept one while younger than `fresh_for`, or younger than twice
/// that while another reader computes it again; else computed (once for all the readers then
/// waiting).
async fn kept<K, V, F>(cache: &FigureCache<K, V>, key: K, fresh_for: Duration, compute: F) -> Result<V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    F: Future<Output = Result<V>>,
{
    // Computations can be large futures (a page's counts); kept on the heap, not in each caller's.
    let compute = Box::pin(compute);
    if let Some(entry) = cache.get(&key).await {
        let age = entry.computed_at.elapsed();
        if age < fresh_for {
            return Ok(entry.value.clone());
        }
        if age < fresh_for * 2 {
            if entry.refreshing.swap(true, Ordering::AcqRel) {
                return Ok(entry.value.clone());
            }
            let _claim = RefreshClaim(&entry.refreshing);
            let value = compute.await?;
            cache.insert(key, Kept::new(value.clone())).await;
            return Ok(value);
        }
        // Too old to show while it is computed again: every reader waits for one computation.
        cache.invalidate(&key).await;
    }
    let entry = cache.try_get_with(key, async { compute.await.map(Kept::new) }).await.map_err(unshared)?;
    Ok(entry.value.clone())
}

/// The home page's figures over what one visibility sees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HomeFigures {
    pub enterprises: i64,
    /// Enterprises in each child region of the province (drawn only for province-level users).
    pub enterprises_by_region: Vec<store::RegionCount>,
    pub dangers: store::DangerOverview,
    /// When these figures were counted (epoch ms): shown as 数据更新时间.
    pub computed_at_ms: i64,
}

/// The figures this process keeps, shared by every clone of the application.
#[derive(Clone)]
pub struct Figures {
    home: FigureCache<(u64, Visibility, Option<String>, String), Arc<HomeFigures>>,
    warnings: FigureCache<(u64, Visibility), Arc<Vec<SourceWarning>>>,
    kpis: FigureCache<(u64, Visibility, u32), Arc<Vec<EnterpriseKpi>>>,
    waiting: FigureCache<(u64, i64), Arc<Vec<WaitingWork>>>,
    message_counts: FigureCache<(u64, i64), (i64, i64)>,
    enterprise_counts: FigureCache<(u64, Visibility, store::EnterpriseFilter), i64>,
    assignment_counts: FigureCache<(u64, domain::access::AssignmentScope, store::AssignmentFilter), i64>,
    danger_counts: FigureCache<(u64, Visibility, store::DangerFilter), i64>,
    jurisdiction_counts: FigureCache<(u64, String), store::JurisdictionCounts>,
    region_risk: FigureCache<(u64, Visibility, String), Arc<Vec<store::RegionRiskCount>>>,
    overdue_counts: FigureCache<(u64, domain::access::AssignmentScope, String), Arc<crate::workplans::OverdueCounts>>,
}

impl std::fmt::Debug for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Figures").field("home", &self.home.entry_count()).field("warnings", &self.warnings.entry_count()).finish_non_exhaustive()
    }
}

fn cache<K, V>(weigh: fn(&K, &V) -> usize) -> FigureCache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .weigher(move |key: &K, kept: &Arc<Kept<V>>| u32::try_from(ENTRY_BYTES + weigh(key, &kept.value)).unwrap_or(u32::MAX))
        .max_capacity(FIGURE_BYTES_MAX)
        // Never shown older than twice FRESH_FOR (see `kept`); dropped then, read or not, so that
        // the figures of changes long past do not stay.
        .time_to_live(FRESH_FOR * 2)
        .build()
}

/// What an entry costs beyond its own contents (the key's fixed part, the cache's bookkeeping).
const ENTRY_BYTES: usize = 256;

fn visibility_bytes(visibility: &Visibility) -> usize {
    match visibility {
        Visibility::RegionSubtree { path } => path.len(),
        _ => 0,
    }
}

fn text_bytes(text: &Option<String>) -> usize {
    text.as_ref().map_or(0, String::len)
}

impl Default for Figures {
    fn default() -> Self {
        Self {
            home: cache(|(_, visibility, region, today), figures| {
                visibility_bytes(visibility) + text_bytes(region) + today.len() + figures.enterprises_by_region.len() * 96 + figures.dangers.by_state.len() * 48
            }),
            warnings: cache(|(_, visibility), warnings| visibility_bytes(visibility) + warnings.len() * std::mem::size_of::<SourceWarning>() * 2),
            kpis: cache(|(_, visibility, _), kpis| visibility_bytes(visibility) + kpis.len() * std::mem::size_of::<EnterpriseKpi>() * 2),
            waiting: cache(|_, waiting| waiting.len() * 96),
            message_counts: cache(|_, _| 0),
            enterprise_counts: cache(|(_, visibility, filter), _| {
                visibility_bytes(visibility)
                    + text_bytes(&filter.query)
                    + text_bytes(&filter.region_path)
                    + text_bytes(&filter.sector)
                    + text_bytes(&filter.industry)
            }),
            assignment_counts: cache(|(_, scope, filter), _| {
                let scope_bytes = match scope {
                    domain::access::AssignmentScope::RegionSubtree { path } => path.len(),
                    _ => 0,
                };
                scope_bytes + text_bytes(&filter.overdue_on) + text_bytes(&filter.status)
            }),
            danger_counts: cache(|(_, visibility, filter), _| {
                visibility_bytes(visibility)
                    + text_bytes(&filter.region_code)
                    + text_bytes(&filter.grade)
                    + text_bytes(&filter.state)
                    + text_bytes(&filter.overdue_on)
            }),
            jurisdiction_counts: cache(|(_, path), _| path.len()),
            region_risk: cache(|(_, visibility, code), counts| visibility_bytes(visibility) + code.len() + counts.len() * 96),
            overdue_counts: cache(|(_, scope, today), counts| {
                let scope_bytes = match scope {
                    domain::access::AssignmentScope::RegionSubtree { path } => path.len(),
                    _ => 0,
                };
                let names: usize = counts.by_unit.iter().chain(&counts.by_region).map(|(name, _)| name.len() + 32).sum();
                scope_bytes + today.len() + names
            }),
        }
    }
}

/// An error shared by the readers that waited for one computation, back in the caller's hands.
fn unshared(error: Arc<AppError>) -> AppError {
    Arc::try_unwrap(error).unwrap_or_else(|shared| AppError::Internal(shared.to_string()))
}

impl Figures {
    pub(crate) async fn home<F>(&self, changes: u64, visibility: &Visibility, map_region: Option<&str>, today: &str, compute: F) -> Result<Arc<HomeFigures>>
    where
        F: Future<Output = Result<HomeFigures>>,
    {
        let key = (changes, visibility.clone(), map_region.map(str::to_owned), today.to_owned());
        kept(&self.home, key, FRESH_FOR, async { compute.await.map(Arc::new) }).await
    }

    pub(crate) async fn warnings<F>(&self, changes: u64, visibility: &Visibility, compute: F) -> Result<Arc<Vec<SourceWarning>>>
    where
        F: Future<Output = Result<Vec<SourceWarning>>>,
    {
        kept(&self.warnings, (changes, visibility.clone()), FRESH_FOR, async { compute.await.map(Arc::new) }).await
    }

    pub(crate) async fn kpis<F>(&self, changes: u64, visibility: &Visibility, hours: u32, compute: F) -> Result<Arc<Vec<EnterpriseKpi>>>
    where
        F: Future<Output = Result<Vec<EnterpriseKpi>>>,
    {
        kept(&self.kpis, (changes, visibility.clone(), hours), FRESH_FOR, async { compute.await.map(Arc::new) }).await
    }

    pub(crate) async fn enterprise_count<F>(&self, changes: u64, visibility: &Visibility, filter: &store::EnterpriseFilter, compute: F) -> Result<i64>
    where
        F: Future<Output = Result<i64>>,
    {
        kept(&self.enterprise_counts, (changes, visibility.clone(), filter.clone()), FRESH_FOR, compute).await
    }

    pub(crate) async fn assignment_count<F>(
        &self,
        changes: u64,
        scope: &domain::access::AssignmentScope,
        filter: &store::AssignmentFilter,
        compute: F,
    ) -> Result<i64>
    where
        F: Future<Output = Result<i64>>,
    {
        kept(&self.assignment_counts, (changes, scope.clone(), filter.clone()), FRESH_FOR, compute).await
    }

    pub(crate) async fn danger_count<F>(&self, changes: u64, visibility: &Visibility, filter: &store::DangerFilter, compute: F) -> Result<i64>
    where
        F: Future<Output = Result<i64>>,
    {
        kept(&self.danger_counts, (changes, visibility.clone(), filter.clone()), FRESH_FOR, compute).await
    }

    pub(crate) async fn jurisdiction_counts<F>(&self, changes: u64, path: &str, compute: F) -> Result<store::JurisdictionCounts>
    where
        F: Future<Output = Result<store::JurisdictionCounts>>,
    {
        kept(&self.jurisdiction_counts, (changes, path.to_owned()), FRESH_FOR, compute).await
    }

    pub(crate) async fn region_risk<F>(&self, changes: u64, visibility: &Visibility, region_code: &str, compute: F) -> Result<Arc<Vec<store::RegionRiskCount>>>
    where
        F: Future<Output = Result<Vec<store::RegionRiskCount>>>,
    {
        kept(&self.region_risk, (changes, visibility.clone(), region_code.to_owned()), FRESH_FOR, async { compute.await.map(Arc::new) }).await
    }

    pub(crate) async fn overdue_counts<F>(
        &self,
        changes: u64,
        scope: &domain::access::AssignmentScope,
        today: &str,
        compute: F,
    ) -> Result<Arc<crate::workplans::OverdueCounts>>
    where
        F: Future<Output = Result<crate::workplans::OverdueCounts>>,
    {
        kept(&self.overdue_counts, (changes, scope.clone(), today.to_owned()), FRESH_FOR, async { compute.await.map(Arc::new) }).await
    }

    pub(crate) async fn waiting<F>(&self, changes: u64, user_id: i64, compute: F) -> Result<Arc<Vec<WaitingWork>>>
    where
        F: Future<Output = Result<Vec<WaitingWork>>>,
    {
        kept(&self.waiting, (changes, user_id), FRESH_FOR, async { compute.await.map(Arc::new) }).await
    }

    /// A person's messages: how many, and how many unread. A change committed (a message posted
    /// among them) starts new counts; a message read here (which counts as no change, so that
    /// nobody's reading recomputes the others' figures) forgets the reader's at once
    /// (`forget_message_counts`).
    pub(crate) async fn message_counts<F>(&self, changes: u64, user_id: i64, compute: F) -> Result<(i64, i64)>
    where
        F: Future<Output = Result<(i64, i64)>>,
    {
        kept(&self.message_counts, (changes, user_id), FRESH_FOR, compute).await
    }

    pub(crate) async fn forget_message_counts(&self, changes: u64, user_id: i64) {
        self.message_counts.invalidate(&(changes, user_id)).await;
    }
}

impl crate::App {
    /// The home page's figures over what `actor` sees: enterprises, their count by child region
    /// of `map_region` (when given), and the hidden-danger overview.
    pub async fn home_figures(&self, actor: &crate::Actor, client: &crate::Client, map_region: Option<&str>) -> Result<Arc<HomeFigures>> {
        if !crate::policy::allows(actor, crate::policy::Action::ReadEnterprises) {
            return Err(self.denied(actor, client, "home.figures", "enterprises".into()).await);
        }
        let visibility = crate::policy::enterprise_visibility(actor);
        let today = domain::time::today().to_string();
        let compute = async {
            let enterprises = self.store.enterprise_count(&visibility, &Default::default()).await?;
            let enterprises_by_region = match map_region {
                Some(code) => {
                    let code = domain::RegionCode::parse(code).map_err(|_| AppError::NotFound)?;
                    self.store.enterprise_counts_by_child_region(code.as_str(), &visibility).await?
                }
                None => Vec::new(),
            };
            let dangers = self.store.danger_overview(&visibility, &today).await?;
            Ok(HomeFigures { enterprises, enterprises_by_region, dangers, computed_at_ms: domain::time::now_ms() })
        };
        self.figures.home(self.store.changes_committed(), &visibility, map_region, &today, compute).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stale figure is computed again by one reader while the others read the kept one; a
    /// reader that gives up lets the next one refresh.
    #[tokio::test]
    async fn one_reader_refreshes_a_stale_figure_while_the_others_read_it() {
        let figures: FigureCache<&str, i64> = cache(|_, _| 0);
        let fresh_for = Duration::from_secs(1);
        assert_eq!(kept(&figures, "total", fresh_for, async { Ok(1) }).await.unwrap(), 1);
        assert_eq!(kept(&figures, "total", fresh_for, async { panic!("a fresh figure is not computed again") }).await.unwrap(), 1);
        tokio::time::sleep(fresh_for + fresh_for / 5).await;

        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let refresher = kept(&figures, "total", fresh_for, async {
            released.await.unwrap();
            Ok(2)
        });
        let other = async {
            tokio::task::yield_now().await;
            let read = kept(&figures, "total", fresh_for, async { panic!("only one reader refreshes") }).await.unwrap();
            release.send(()).unwrap();
            read
        };
        let (refreshed, read_meanwhile) = tokio::join!(refresher, other);
        assert_eq!((refreshed.unwrap(), read_meanwhile), (2, 1));
        assert_eq!(kept(&figures, "total", fresh_for, async { panic!("the refreshed figure is fresh") }).await.unwrap(), 2);

        tokio::time::sleep(fresh_for + fresh_for / 5).await;
        let mut abandoned = Box::pin(kept(&figures, "total", fresh_for, std::future::pending()));
        assert!(poll_once(abandoned.as_mut()).await.is_none(), "the refresh has begun");
        drop(abandoned);
        assert_eq!(kept(&figures, "total", fresh_for, async { Ok(3) }).await.unwrap(), 3, "an abandoned refresh is taken up");

        // Past twice its freshness a figure is not shown while it is computed again: the readers
        // wait for the one computation.
        tokio::time::sleep(fresh_for * 2 + fresh_for / 5).await;
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let recounter = kept(&figures, "total", fresh_for, async {
            released.await.unwrap();
            Ok(4)
        });
        let other = async {
            tokio::task::yield_now().await;
            release.send(()).unwrap();
            kept(&figures, "total", fresh_for, async { panic!("the readers share one computation") }).await.unwrap()
        };
        let (recounted, read) = tokio::join!(recounter, other);
        assert_eq!((recounted.unwrap(), read), (4, 4), "not the figure of 3 computed long ago");
    }

    /// Polls a future once.
    async fn poll_once<F: Future + Unpin>(mut future: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| match std::pin::Pin::new(&mut future).poll(cx) {
            std::task::Poll::Ready(output) => std::task::Poll::Ready(Some(output)),
            std::task::Poll::Pending => std::task::Poll::Ready(None),
        })
        .await
    }
}
