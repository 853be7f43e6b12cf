//! Figures shown on every view of the busiest pages: the home page's overview and map, the
//! monitoring page's warnings and KPIs, the inbox's counts, the totals of the enterprise, hidden-danger and assignment lists. Each is computed once per scope and
//! kept for at most `FRESH_FOR`, so that a page view reads memory instead of scanning the
//! province.
//!
//! A kept figure is valid for one count of the store's committed changes
//! (`Store::changes_committed`): a change made through this process shows at the next view. A
//! change made by another process of the cluster shows within `FRESH_FOR`, which is the stated
//! staleness. Readers asking for the same figure at once wait for one computation.
//!
//! The figures are keyed by what decides them (a visibility or a user, and for the lists' totals
//! the filter asked for). Each kind of figure holds at most `FIGURE_BYTES_MAX`, weighed by an
//! estimate of its key and value; beyond that the least used go first, so no sequence of requests
//! grows them without bound.

use std::sync::Arc;
use std::time::Duration;

use domain::access::Visibility;
use moka::future::Cache;

use crate::inbox::WaitingWork;
use crate::monitoring::{EnterpriseKpi, SourceWarning};
use crate::{AppError, Result};

/// How long a figure is kept: the staleness a change made in another process may show.
pub const FRESH_FOR: Duration = Duration::from_secs(10);
/// The memory each kind of figure may hold, in (estimated) bytes.
const FIGURE_BYTES_MAX: u64 = 32 * 1024 * 1024;

/// The home page's figures over what one visibility sees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HomeFigures {
    pub enterprises: i64,
    /// Enterprises in each child region of the province (drawn only for province-level users).
    pub enterprises_by_region: Vec<store::RegionCount>,
    pub dangers: store::DangerOverview,
}

/// The figures this process keeps, shared by every clone of the application.
#[derive(Clone)]
pub struct Figures {
    home: Cache<(u64, Visibility, Option<String>, String), Arc<HomeFigures>>,
    warnings: Cache<(u64, Visibility), Arc<Vec<SourceWarning>>>,
    kpis: Cache<(u64, Visibility, u32), Arc<Vec<EnterpriseKpi>>>,
    waiting: Cache<(u64, i64), Arc<Vec<WaitingWork>>>,
    enterprise_counts: Cache<(u64, Visibility, store::EnterpriseFilter), i64>,
    assignment_counts: Cache<(u64, domain::access::AssignmentScope, store::AssignmentFilter), i64>,
    danger_counts: Cache<(u64, Visibility, store::DangerFilter), i64>,
    jurisdiction_counts: Cache<(u64, String), store::JurisdictionCounts>,
}

impl std::fmt::Debug for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Figures").field("home", &self.home.entry_count()).field("warnings", &self.warnings.entry_count()).finish_non_exhaustive()
    }
}

fn cache<K, V>(weigh: fn(&K, &V) -> usize) -> Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .weigher(move |key: &K, value: &V| u32::try_from(ENTRY_BYTES + weigh(key, value)).unwrap_or(u32::MAX))
        .max_capacity(FIGURE_BYTES_MAX)
        .time_to_live(FRESH_FOR)
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
        self.home.try_get_with(key, async { compute.await.map(Arc::new) }).await.map_err(unshared)
    }

    pub(crate) async fn warnings<F>(&self, changes: u64, visibility: &Visibility, compute: F) -> Result<Arc<Vec<SourceWarning>>>
    where
        F: Future<Output = Result<Vec<SourceWarning>>>,
    {
        self.warnings.try_get_with((changes, visibility.clone()), async { compute.await.map(Arc::new) }).await.map_err(unshared)
    }

    pub(crate) async fn kpis<F>(&self, changes: u64, visibility: &Visibility, hours: u32, compute: F) -> Result<Arc<Vec<EnterpriseKpi>>>
    where
        F: Future<Output = Result<Vec<EnterpriseKpi>>>,
    {
        self.kpis.try_get_with((changes, visibility.clone(), hours), async { compute.await.map(Arc::new) }).await.map_err(unshared)
    }

    pub(crate) async fn enterprise_count<F>(&self, changes: u64, visibility: &Visibility, filter: &store::EnterpriseFilter, compute: F) -> Result<i64>
    where
        F: Future<Output = Result<i64>>,
    {
        self.enterprise_counts.try_get_with((changes, visibility.clone(), filter.clone()), compute).await.map_err(unshared)
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
        self.assignment_counts.try_get_with((changes, scope.clone(), filter.clone()), compute).await.map_err(unshared)
    }

    pub(crate) async fn danger_count<F>(&self, changes: u64, visibility: &Visibility, filter: &store::DangerFilter, compute: F) -> Result<i64>
    where
        F: Future<Output = Result<i64>>,
    {
        self.danger_counts.try_get_with((changes, visibility.clone(), filter.clone()), compute).await.map_err(unshared)
    }

    pub(crate) async fn jurisdiction_counts<F>(&self, changes: u64, path: &str, compute: F) -> Result<store::JurisdictionCounts>
    where
        F: Future<Output = Result<store::JurisdictionCounts>>,
    {
        self.jurisdiction_counts.try_get_with((changes, path.to_owned()), compute).await.map_err(unshared)
    }

    pub(crate) async fn waiting<F>(&self, changes: u64, user_id: i64, compute: F) -> Result<Arc<Vec<WaitingWork>>>
    where
        F: Future<Output = Result<Vec<WaitingWork>>>,
    {
        self.waiting.try_get_with((changes, user_id), async { compute.await.map(Arc::new) }).await.map_err(unshared)
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
            Ok(HomeFigures { enterprises, enterprises_by_region, dangers })
        };
        self.figures.home(self.store.changes_committed(), &visibility, map_region, &today, compute).await
    }
}
