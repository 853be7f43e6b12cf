//! Enforcement (执法): which tier and office supervises each enterprise (jurisdiction rules the
//! province configures, with recorded overrides), the risk-based class of each enterprise
//! (重点 or 一般, with its reasons), how often each class is inspected, and the annual plan's
//! draw (双随机): required inspections, a random share of the rest, and random inspectors from
//! the office's pool, within its capacity, reproducible from a recorded seed.

use std::collections::{BTreeMap, BTreeSet};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::enterprises::{HighRiskSector, Scale};
use crate::labels::labelled_enum;
use crate::message;
use crate::message::Message;

labelled_enum!(
    /// The tier of government whose office supervises an enterprise.
    Tier {
        Province = "province", "省级", "Province";
        City = "city", "市级", "City";
        County = "county", "县级", "County";
    }
);

labelled_enum!(
    /// The kind of office of a tier that supervises an enterprise: the emergency management
    /// bureau, or a sector department for its own sector.
    Authority {
        Emergency = "emergency", "应急管理部门", "Emergency management";
        Housing = "housing", "住房和城乡建设部门", "Housing and construction";
        Transport = "transport", "交通运输部门", "Transport";
    }
);

labelled_enum!(
    /// 差异化监管: 重点 (key) enterprises are inspected every year, 一般 (general) ones less often.
    SupervisionClass {
        Key = "key", "重点", "Key";
        General = "general", "一般", "General";
    }
);

labelled_enum!(
    /// Why an enterprise is 重点 or listed.
    ClassReason {
        MajorRiskPoint = "major_risk_point", "有重大风险点", "Has a major risk point";
        MajorHazardSource = "major_hazard_source", "有重大危险源", "Has a major hazard source";
        OverdueMajorDanger = "overdue_major_danger", "重大隐患逾期未整改", "A major hidden danger is overdue";
        FrequentAlarms = "frequent_alarms", "近90天报警频繁", "Frequent alarms in the last 90 days";
        FatalAccident = "fatal_accident", "近一年发生亡人事故", "A fatal accident in the last year";
        CreditListed = "credit_listed", "列入严重失信名单", "Listed as seriously untrustworthy";
        CreditUntrustworthy = "credit_untrustworthy", "信用等级为C级(失信)", "Credit grade C (untrustworthy)";
        VerifiedTips = "verified_tips", "举报属实", "A verified public report";
    }
);

labelled_enum!(
    /// Why an enterprise is in an annual plan.
    PlanReason {
        Key = "key", "重点检查", "Key enterprise";
        Due = "due", "到期检查", "Due";
        Random = "random", "双随机抽查", "Random draw";
    }
);

labelled_enum!(
    /// How an inspection is made (明查暗访, remote checks, expert guidance).
    InspectionKind {
        Routine = "routine", "例行检查", "Routine";
        Unannounced = "unannounced", "暗访暗查", "Unannounced";
        Remote = "remote", "远程视频检查", "Remote";
        ExpertGuidance = "expert_guidance", "专家指导服务", "Expert guidance";
        Joint = "joint", "联合检查", "Joint";
    }
);

impl PlanReason {
    /// How a visit of this reason is planned: a random draw's visit is unannounced (暗查), the
    /// others are announced.
    pub fn planned_kind(self) -> InspectionKind {
        if self == PlanReason::Random { InspectionKind::Unannounced } else { InspectionKind::Routine }
    }
}

/// How often each class is inspected, and what an inspection costs; the province configures it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Frequencies {
    /// Inspections a year of a 重点 enterprise (at least 1).
    pub key_per_year: u32,
    /// A 一般 enterprise is inspected at least once in this many years.
    pub general_every_years: u32,
    /// Inspections a year of a listed (seriously untrustworthy) enterprise.
    pub listed_per_year: u32,
    /// Alarms in 90 days that make an enterprise 重点.
    pub alarms_for_key: u32,
    /// Inspectors on one inspection (at least two by law).
    pub inspectors_per_inspection: u32,
    /// Days one inspection takes each of its inspectors.
    pub days_per_inspection: u32,
    /// Percent of the enterprises not otherwise planned that the random draw takes.
    pub random_share_percent: u32,
}

impl Default for Frequencies {
    fn default() -> Self {
        Self {
            key_per_year: 1,
            general_every_years: 3,
            listed_per_year: 4,
            alarms_for_key: 10,
            inspectors_per_inspection: 2,
            days_per_inspection: 1,
            random_share_percent: 5,
        }
    }
}

impl Frequencies {
    /// Every bad field, named.
    pub fn problems(&self) -> Vec<(&'static str, Message)> {
        let mut problems = Vec::new();
        let mut within = |field: &'static str, value: u32, min: u32, max: u32| {
            if value < min || value > max {
                problems.push((field, message!("enforcement.value_between", min = min, max = max)));
            }
        };
        within("key_per_year", self.key_per_year, 1, 12);
        within("general_every_years", self.general_every_years, 1, 5);
        within("listed_per_year", self.listed_per_year, 1, 12);
        within("alarms_for_key", self.alarms_for_key, 1, 10_000);
        within("inspectors_per_inspection", self.inspectors_per_inspection, 2, 10);
        within("days_per_inspection", self.days_per_inspection, 1, 30);
        within("random_share_percent", self.random_share_percent, 0, 100);
        problems
    }
}

/// The facts an enterprise's class is decided from. Accidents, credit and tips come from their
/// modules; where a module has no record the count is zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassFacts {
    pub major_risk_points: u32,
    /// The most severe level (1 is the most severe) of its major hazard sources.
    pub hazard_level: Option<u8>,
    pub overdue_major_dangers: u32,
    pub alarms_90_days: u32,
    pub fatal_accidents_last_year: u32,
    pub credit_listed: bool,
    /// Credit grade C: untrustworthy without being listed.
    pub credit_untrustworthy: bool,
    pub verified_tips: u32,
}

/// An enterprise's class, its reasons and whether it is listed (4 inspections a year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub class: SupervisionClass,
    pub listed: bool,
    pub reasons: Vec<ClassReason>,
}

/// 重点 when any reason holds; listed when seriously untrustworthy.
pub fn classify(facts: &ClassFacts, frequencies: &Frequencies) -> Classification {
    let mut reasons = Vec::new();
    let mut hold = |holds: bool, reason: ClassReason| {
        if holds {
            reasons.push(reason);
        }
    };
    hold(facts.major_risk_points > 0, ClassReason::MajorRiskPoint);
    hold(facts.hazard_level.is_some(), ClassReason::MajorHazardSource);
    hold(facts.overdue_major_dangers > 0, ClassReason::OverdueMajorDanger);
    hold(facts.alarms_90_days >= frequencies.alarms_for_key, ClassReason::FrequentAlarms);
    hold(facts.fatal_accidents_last_year > 0, ClassReason::FatalAccident);
    hold(facts.credit_listed, ClassReason::CreditListed);
    hold(facts.credit_untrustworthy, ClassReason::CreditUntrustworthy);
    hold(facts.verified_tips > 0, ClassReason::VerifiedTips);
    let class = if reasons.is_empty() { SupervisionClass::General } else { SupervisionClass::Key };
    Classification { class, listed: facts.credit_listed, reasons }
}

/// One rule of the province's jurisdiction: every condition given must hold. Rules are tried by
/// ascending `priority`; the first priority with a match decides, and two matching rules of one
/// priority that name different offices are an overlap to be settled by an override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JurisdictionRule {
    pub priority: u32,
    pub name: String,
    #[serde(default)]
    pub sector: Option<HighRiskSector>,
    /// Any of these scales; empty for any.
    #[serde(default)]
    pub scales: Vec<Scale>,
    /// A major hazard source of this level or a more severe one (1 is the most severe).
    #[serde(default)]
    pub hazard_level_at_most: Option<u8>,
    #[serde(default)]
    pub class: Option<SupervisionClass>,
    #[serde(default)]
    pub chemical_park: Option<bool>,
    pub tier: Tier,
    pub authority: Authority,
}

/// What the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JurisdictionFacts {
    pub sectors: BTreeSet<HighRiskSector>,
    pub scale: Scale,
    pub hazard_level: Option<u8>,
    pub class: SupervisionClass,
    pub chemical_park: bool,
}

impl JurisdictionRule {
    pub fn matches(&self, facts: &JurisdictionFacts) -> bool {
        self.sector.is_none_or(|sector| facts.sectors.contains(&sector))
            && (self.scales.is_empty() || self.scales.contains(&facts.scale))
            && self.hazard_level_at_most.is_none_or(|most| facts.hazard_level.is_some_and(|level| level <= most))
            && self.class.is_none_or(|class| class == facts.class)
            && self.chemical_park.is_none_or(|park| park == facts.chemical_park)
    }

    /// Every bad field, named.
    pub fn problems(&self) -> Vec<(&'static str, Message)> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            problems.push(("name", message!("enforcement.rule_name")));
        }
        if self.priority > 10_000 {
            problems.push(("priority", message!("enforcement.value_between", min = 0, max = 10_000)));
        }
        if self.hazard_level_at_most.is_some_and(|level| !(1..=4).contains(&level)) {
            problems.push(("hazard_level_at_most", message!("enforcement.value_between", min = 1, max = 4)));
        }
        problems
    }
}

/// Which office a rule decision names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub tier: Tier,
    pub authority: Authority,
}

/// The rules' answer for one enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleDecision {
    /// One office, by the rule at this index.
    Assigned { office: Office, rule: usize },
    /// No rule matches.
    Unassigned,
    /// Rules of one priority name different offices (their indexes).
    Overlapping { rules: Vec<usize> },
}

/// Applies the rules to an enterprise's facts.
pub fn decide(rules: &[JurisdictionRule], facts: &JurisdictionFacts) -> RuleDecision {
    let mut matching: Vec<usize> = (0..rules.len()).filter(|&i| rules[i].matches(facts)).collect();
    let Some(first) = matching.iter().map(|&i| rules[i].priority).min() else {
        return RuleDecision::Unassigned;
    };
    matching.retain(|&i| rules[i].priority == first);
    let office = |i: usize| Office { tier: rules[i].tier, authority: rules[i].authority };
    let offices: BTreeSet<(Tier, Authority)> = matching.iter().map(|&i| (rules[i].tier, rules[i].authority)).collect();
    if offices.len() > 1 { RuleDecision::Overlapping { rules: matching } } else { RuleDecision::Assigned { office: office(matching[0]), rule: matching[0] } }
}

/// The version of the draw below; a stored draw names the version that made it.
pub const DRAW_ALGORITHM: &str = "anwei-draw-1: ChaCha20 from the seed; required inspections by enterprise id, \
quarters and the random share by uniform choice, inspectors by uniform choice among the eligible";

/// An enterprise the office supervises, as the draw sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub enterprise_id: i64,
    pub class: SupervisionClass,
    pub listed: bool,
    /// The last year the enterprise was inspected by its office's tier, if ever.
    pub last_inspected_year: Option<i32>,
}

/// An inspector of the office's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolInspector {
    pub user_id: i64,
    pub days_per_year: u32,
    /// Enterprises the inspector has declared a conflict of interest with.
    pub conflicts: BTreeSet<i64>,
}

/// Everything a draw depends on but its seed: what is hashed and recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawInput {
    pub year: i32,
    pub frequencies: Frequencies,
    /// Sorted by enterprise id.
    pub candidates: Vec<Candidate>,
    /// Sorted by user id.
    pub inspectors: Vec<PoolInspector>,
}

impl DrawInput {
    /// The SHA-256 of the input's canonical JSON, in hex.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(json))
    }
}

/// One planned inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnItem {
    pub enterprise_id: i64,
    pub reason: PlanReason,
    pub quarter: u8,
    pub inspectors: Vec<i64>,
}

/// Why a plan cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawError {
    /// The required inspections need more inspector-days than the pool has.
    OverCapacity { needed_days: u64, available_days: u64 },
    /// Not enough inspectors without a conflict and with days left for this enterprise.
    NoEligibleInspectors { enterprise_id: i64 },
    /// The input is not in its canonical order.
    Unsorted,
}

impl DrawError {
    pub fn message(&self) -> Message {
        match self {
            Self::OverCapacity { needed_days, available_days } => {
                message!("enforcement.over_capacity", needed = needed_days, available = available_days)
            }
            Self::NoEligibleInspectors { enterprise_id } => message!("enforcement.no_eligible_inspectors", enterprise = enterprise_id),
            Self::Unsorted => message!("enforcement.draw_input_unsorted"),
        }
    }
}

/// A uniform index below `n` (> 0), by rejection so that every index is equally likely.
fn index_below(rng: &mut ChaCha20Rng, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let value = rng.next_u64();
        if value < zone {
            return (value % n) as usize;
        }
    }
}

fn quarter(rng: &mut ChaCha20Rng) -> u8 {
    index_below(rng, 4) as u8 + 1
}

/// Whether a 一般 enterprise is due this year: not inspected for `every` years, or, never
/// inspected, in its turn (enterprise id modulo `every`), so a third of them fall due each year.
fn general_due(candidate: &Candidate, year: i32, every: u32) -> bool {
    let every = every.max(1) as i32;
    match candidate.last_inspected_year {
        Some(last) => year - last >= every,
        None => candidate.enterprise_id.rem_euclid(every as i64) == (year.rem_euclid(every)) as i64,
    }
}

/// The most visits a pool can staff with `wanted` distinct inspectors each, when inspector i has
/// days for cᵢ visits: the largest M with Σ min(cᵢ, M) ≥ wanted · M (the set of such M is an
/// interval from 0, the left side being concave in M).
fn visits_possible(visits: impl Iterator<Item = u64>, wanted: u64) -> u64 {
    let visits: Vec<u64> = visits.collect();
    let fits = |m: u64| visits.iter().map(|v| (*v).min(m)).sum::<u64>() >= wanted.saturating_mul(m);
    let (mut low, mut high) = (0u64, visits.iter().sum::<u64>() / wanted.max(1));
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if fits(middle) { low = middle } else { high = middle - 1 }
    }
    low
}

/// Draws a year's plan: listed enterprises four times (one a quarter), 重点 ones as often as
/// configured, due 一般 ones once, then a random share of the rest within the capacity left;
/// each inspection gets its inspectors at random among those without a conflict and with days
/// left. The same seed and input give the same plan.
pub fn draw(seed: &[u8; 32], input: &DrawInput) -> Result<Vec<DrawnItem>, DrawError> {
    let sorted = |ids: Vec<i64>| ids.windows(2).all(|pair| pair[0] < pair[1]);
    if !sorted(input.candidates.iter().map(|c| c.enterprise_id).collect()) || !sorted(input.inspectors.iter().map(|i| i.user_id).collect()) {
        return Err(DrawError::Unsorted);
    }
    let frequencies = &input.frequencies;
    let mut rng = ChaCha20Rng::from_seed(*seed);
    let mut items = Vec::new();
    let mut planned = BTreeSet::new();
    for candidate in &input.candidates {
        let (reason, times) = if candidate.listed {
            (PlanReason::Key, frequencies.listed_per_year)
        } else if candidate.class == SupervisionClass::Key {
            (PlanReason::Key, frequencies.key_per_year)
        } else if general_due(candidate, input.year, frequencies.general_every_years) {
            (PlanReason::Due, 1)
        } else {
            continue;
        };
        planned.insert(candidate.enterprise_id);
        let times = times.clamp(1, 12);
        for visit in 0..times {
            // Several visits a year are spread over the quarters; one visit falls in a random quarter.
            let quarter = if times >= 4 { (visit % 4) as u8 + 1 } else { quarter(&mut rng) };
            items.push(DrawnItem { enterprise_id: candidate.enterprise_id, reason, quarter, inspectors: Vec::new() });
        }
    }
    let wanted = frequencies.inspectors_per_inspection.max(1) as usize;
    let per_inspector = u64::from(frequencies.days_per_inspection.max(1));
    let per_item_days = wanted as u64 * per_inspector;
    // Visits each inspector has days for.
    let mut visits_left: BTreeMap<i64, u64> = input.inspectors.iter().map(|i| (i.user_id, u64::from(i.days_per_year) / per_inspector)).collect();
    let possible = visits_possible(visits_left.values().copied(), wanted as u64);
    if items.len() as u64 > possible {
        return Err(DrawError::OverCapacity { needed_days: items.len() as u64 * per_item_days, available_days: possible * per_item_days });
    }
    // The random share: a partial Fisher–Yates shuffle of the rest, as many as the share asks
    // and the capacity left allows.
    let mut rest: Vec<i64> = input.candidates.iter().map(|c| c.enterprise_id).filter(|id| !planned.contains(id)).collect();
    let share = (rest.len() as u64 * u64::from(frequencies.random_share_percent)).div_ceil(100);
    let take = share.min(possible - items.len() as u64) as usize;
    for i in 0..take {
        let j = i + index_below(&mut rng, rest.len() - i);
        rest.swap(i, j);
        items.push(DrawnItem { enterprise_id: rest[i], reason: PlanReason::Random, quarter: quarter(&mut rng), inspectors: Vec::new() });
    }
    // Inspectors, item by item: chosen at random among those without a conflict and with days
    // left, unless that choice would leave the remaining visits impossible to staff, in which
    // case those with the most visits left (in the random order, for ties) go.
    let count = items.len();
    for (index, item) in items.iter_mut().enumerate() {
        let mut eligible: Vec<i64> = input
            .inspectors
            .iter()
            .filter(|i| !i.conflicts.contains(&item.enterprise_id) && visits_left.get(&i.user_id).is_some_and(|v| *v > 0))
            .map(|i| i.user_id)
            .collect();
        if eligible.len() < wanted {
            return Err(DrawError::NoEligibleInspectors { enterprise_id: item.enterprise_id });
        }
        for i in 0..eligible.len() {
            let j = i + index_below(&mut rng, eligible.len() - i);
            eligible.swap(i, j);
        }
        let remaining = (count - index - 1) as u64;
        let after = |chosen: &[i64]| visits_left.iter().map(|(id, v)| if chosen.contains(id) { v - 1 } else { *v }).collect::<Vec<_>>();
        if visits_possible(after(&eligible[..wanted]).into_iter(), wanted as u64) < remaining {
            eligible.sort_by_key(|id| std::cmp::Reverse(visits_left.get(id).copied().unwrap_or(0)));
        }
        let mut chosen = eligible[..wanted].to_vec();
        for id in &chosen {
            if let Some(visits) = visits_left.get_mut(id) {
                *visits -= 1;
            }
        }
        chosen.sort_unstable();
        item.inspectors = chosen;
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(priority: u32, tier: Tier) -> JurisdictionRule {
        JurisdictionRule {
            priority,
            name: "rule".into(),
            sector: None,
            scales: Vec::new(),
            hazard_level_at_most: None,
            class: None,
            chemical_park: None,
            tier,
            authority: Authority::Emergency,
        }
    }

    fn facts() -> JurisdictionFacts {
        JurisdictionFacts {
            sectors: [HighRiskSector::HazardousChemicals].into(),
            scale: Scale::Small,
            hazard_level: Some(2),
            class: SupervisionClass::Key,
            chemical_park: false,
        }
    }

    #[test]
    fn the_first_priority_with_a_match_decides() {
        let mut province = rule(10, Tier::Province);
        province.hazard_level_at_most = Some(1);
        let mut city = rule(20, Tier::City);
        city.class = Some(SupervisionClass::Key);
        let county = rule(100, Tier::County);
        let rules = vec![province.clone(), city, county.clone()];
        assert_eq!(decide(&rules, &facts()), RuleDecision::Assigned { office: Office { tier: Tier::City, authority: Authority::Emergency }, rule: 1 });
        let level_one = JurisdictionFacts { hazard_level: Some(1), ..facts() };
        assert!(matches!(decide(&rules, &level_one), RuleDecision::Assigned { rule: 0, .. }));
        assert_eq!(decide(&[province], &facts()), RuleDecision::Unassigned);
        let mut housing = rule(100, Tier::County);
        housing.authority = Authority::Housing;
        assert_eq!(decide(&[county.clone(), housing], &facts()), RuleDecision::Overlapping { rules: vec![0, 1] });
        assert!(matches!(decide(&[county.clone(), county], &facts()), RuleDecision::Assigned { rule: 0, .. }), "agreeing rules are no overlap");
    }

    #[test]
    fn class_and_reasons() {
        let frequencies = Frequencies::default();
        assert_eq!(classify(&ClassFacts::default(), &frequencies).class, SupervisionClass::General);
        let facts = ClassFacts { hazard_level: Some(3), alarms_90_days: 10, ..Default::default() };
        let class = classify(&facts, &frequencies);
        assert_eq!((class.class, class.reasons), (SupervisionClass::Key, vec![ClassReason::MajorHazardSource, ClassReason::FrequentAlarms]));
        let listed = classify(&ClassFacts { credit_listed: true, ..Default::default() }, &frequencies);
        assert!(listed.listed && listed.class == SupervisionClass::Key);
    }

    fn input() -> DrawInput {
        let candidates = (1..=60)
            .map(|id| Candidate {
                enterprise_id: id,
                class: if id % 10 == 0 { SupervisionClass::Key } else { SupervisionClass::General },
                listed: id == 30,
                last_inspected_year: if id % 7 == 0 { Some(2025) } else { None },
            })
            .collect();
        let inspectors =
            (100..106).map(|id| PoolInspector { user_id: id, days_per_year: 20, conflicts: if id == 100 { [10].into() } else { BTreeSet::new() } }).collect();
        DrawInput { year: 2026, frequencies: Frequencies { random_share_percent: 20, ..Default::default() }, candidates, inspectors }
    }

    #[test]
    fn a_draw_is_reproducible_and_complete() {
        let input = input();
        let seed = [7u8; 32];
        let items = draw(&seed, &input).unwrap();
        assert_eq!(items, draw(&seed, &input).unwrap(), "the same seed and input give the same plan");
        assert_ne!(items, draw(&[8u8; 32], &input).unwrap(), "another seed gives another draw");
        for key in [10, 20, 40, 50, 60] {
            assert_eq!(items.iter().filter(|i| i.enterprise_id == key).count(), 1, "every 重点 enterprise once");
        }
        let listed: Vec<u8> = items.iter().filter(|i| i.enterprise_id == 30).map(|i| i.quarter).collect();
        assert_eq!(listed, vec![1, 2, 3, 4], "a listed enterprise every quarter");
        assert!(items.iter().all(|i| (1..=4).contains(&i.quarter) && i.inspectors.len() == 2));
        assert!(!items.iter().any(|i| i.enterprise_id == 10 && i.inspectors.contains(&100)), "never an inspector with a conflict");
        assert!(items.iter().any(|i| i.reason == PlanReason::Random));
        assert!(items.iter().filter(|i| i.reason == PlanReason::Random).all(|i| i.enterprise_id % 10 != 0 && i.enterprise_id != 30));
        // Inspector-days: 6 inspectors × 20 days, 2 a visit.
        let mut used: BTreeMap<i64, u32> = BTreeMap::new();
        for item in &items {
            for inspector in &item.inspectors {
                *used.entry(*inspector).or_default() += 1;
            }
        }
        assert!(used.values().all(|days| *days <= 20));
    }

    #[test]
    fn conflicts_and_capacity_are_respected() {
        let mut input = input();
        // Everyone but two has a conflict with enterprise 10: those two inspect it.
        for inspector in input.inspectors.iter_mut().skip(2) {
            inspector.conflicts.insert(10);
        }
        for inspector in input.inspectors.iter_mut().take(2) {
            inspector.conflicts.clear();
        }
        let items = draw(&[1u8; 32], &input).unwrap();
        let ten = items.iter().find(|i| i.enterprise_id == 10).unwrap();
        assert_eq!(ten.inspectors, vec![100, 101]);
        for inspector in input.inspectors.iter_mut() {
            inspector.conflicts.insert(10);
        }
        assert_eq!(draw(&[1u8; 32], &input), Err(DrawError::NoEligibleInspectors { enterprise_id: 10 }));
        let mut small = self::input();
        small.inspectors.truncate(1);
        assert!(matches!(draw(&[1u8; 32], &small), Err(DrawError::OverCapacity { available_days: 0, .. })), "one inspector staffs no visit of two");
        // One inspector with many days and two with few staff only as many visits as the two
        // can join: {250, 1, 1} days give two visits, not 126.
        assert_eq!(visits_possible([250, 1, 1].into_iter(), 2), 2);
        assert_eq!(visits_possible([3, 1, 1, 1].into_iter(), 2), 3);
        assert_eq!(visits_possible([20; 6].into_iter(), 2), 60);
        assert_eq!(visits_possible(std::iter::empty(), 2), 0);
        let mut unsorted = self::input();
        unsorted.candidates.swap(0, 1);
        assert_eq!(draw(&[1u8; 32], &unsorted), Err(DrawError::Unsorted));
    }

    #[test]
    fn a_lopsided_pool_is_still_staffed_when_it_can_be() {
        // {3, 1, 1, 1} visits staff three visits of two only if the inspector with three joins
        // every one: a purely random choice would often strand it.
        let candidates = (1..=3).map(|id| Candidate { enterprise_id: id, class: SupervisionClass::Key, listed: false, last_inspected_year: None }).collect();
        let inspectors = [(1, 3), (2, 1), (3, 1), (4, 1)]
            .into_iter()
            .map(|(user_id, days_per_year)| PoolInspector { user_id, days_per_year, conflicts: BTreeSet::new() })
            .collect();
        let input = DrawInput { year: 2026, frequencies: Frequencies { random_share_percent: 0, ..Default::default() }, candidates, inspectors };
        for seed in 0..50u8 {
            let items = draw(&[seed; 32], &input).unwrap();
            assert_eq!(items.len(), 3);
            assert!(items.iter().all(|i| i.inspectors.contains(&1)), "seed {seed}: {items:?}");
        }
    }

    #[test]
    fn the_hash_follows_the_input() {
        let input = input();
        let mut changed = input.clone();
        changed.candidates[3].class = SupervisionClass::Key;
        assert_ne!(input.hash(), changed.hash());
        assert_eq!(input.hash(), self::input().hash());
    }

    #[test]
    fn general_enterprises_fall_due_in_turn() {
        let never = |id| Candidate { enterprise_id: id, class: SupervisionClass::General, listed: false, last_inspected_year: None };
        let due_in = |year| (1..=300).filter(|id| general_due(&never(*id), year, 3)).count();
        assert_eq!((due_in(2026), due_in(2027), due_in(2028)), (100, 100, 100));
        let inspected = Candidate { last_inspected_year: Some(2024), ..never(1) };
        assert!(!general_due(&inspected, 2026, 3) && general_due(&inspected, 2027, 3));
    }
}
