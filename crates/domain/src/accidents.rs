//! Accidents (生产安全事故): the statutory level by 国务院令第493号 (the highest criterion met sets
//! it; "以上" includes the number, "以下" excludes it), the 20 kinds of GB 6441-1986, the window in
//! which casualty counts may still change (30 days, 7 for road traffic and fire), and the tier
//! that investigates each level.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::enforcement::Tier;
use crate::labels::labelled_enum;

labelled_enum!(
    /// The statutory level of an accident, from least to most serious.
    AccidentLevel {
        General = "general", "一般", "General";
        Larger = "larger", "较大", "Larger";
        Major = "major", "重大", "Major";
        EspeciallyMajor = "especially_major", "特别重大", "Especially major";
    }
);

labelled_enum!(
    /// The 20 kinds of accident of GB 6441-1986 (企业职工伤亡事故分类).
    AccidentKind {
        StruckByObject = "struck_by_object", "物体打击", "Struck by an object";
        Vehicle = "vehicle", "车辆伤害", "Vehicle injury";
        Machinery = "machinery", "机械伤害", "Machinery injury";
        Lifting = "lifting", "起重伤害", "Lifting injury";
        Electrocution = "electrocution", "触电", "Electrocution";
        Drowning = "drowning", "淹溺", "Drowning";
        Burns = "burns", "灼烫", "Burns";
        Fire = "fire", "火灾", "Fire";
        FallFromHeight = "fall_from_height", "高处坠落", "Fall from height";
        Collapse = "collapse", "坍塌", "Collapse";
        RoofFall = "roof_fall", "冒顶片帮", "Roof or wall fall";
        WaterInrush = "water_inrush", "透水", "Water inrush";
        Blasting = "blasting", "放炮", "Blasting";
        ExplosiveExplosion = "explosive_explosion", "火药爆炸", "Explosive explosion";
        GasExplosion = "gas_explosion", "瓦斯爆炸", "Firedamp explosion";
        BoilerExplosion = "boiler_explosion", "锅炉爆炸", "Boiler explosion";
        VesselExplosion = "vessel_explosion", "容器爆炸", "Pressure vessel explosion";
        OtherExplosion = "other_explosion", "其他爆炸", "Other explosion";
        Poisoning = "poisoning", "中毒和窒息", "Poisoning and asphyxiation";
        Other = "other", "其他伤害", "Other injury";
    }
);

impl AccidentKind {
    /// Accepts the key, either label, or the standard's older spelling "其它".
    pub fn parse_name(input: &str) -> Option<Self> {
        Self::parse(input).or_else(|| Self::parse(&input.trim().replace("其它", "其他")))
    }
}

/// ¥10 M, ¥50 M and ¥100 M in yuan.
const LOSS_LARGER_YUAN: i64 = 10_000_000;
const LOSS_MAJOR_YUAN: i64 = 50_000_000;
const LOSS_ESPECIALLY_MAJOR_YUAN: i64 = 100_000_000;

/// The level by deaths (including the missing), serious injuries (including acute industrial
/// poisoning) and direct economic loss in yuan: the highest criterion met.
pub fn grade(deaths: u32, serious_injuries: u32, direct_loss_yuan: i64) -> AccidentLevel {
    let by_deaths = match deaths {
        30.. => AccidentLevel::EspeciallyMajor,
        10..=29 => AccidentLevel::Major,
        3..=9 => AccidentLevel::Larger,
        _ => AccidentLevel::General,
    };
    let by_injuries = match serious_injuries {
        100.. => AccidentLevel::EspeciallyMajor,
        50..=99 => AccidentLevel::Major,
        10..=49 => AccidentLevel::Larger,
        _ => AccidentLevel::General,
    };
    let by_loss = match direct_loss_yuan {
        l if l >= LOSS_ESPECIALLY_MAJOR_YUAN => AccidentLevel::EspeciallyMajor,
        l if l >= LOSS_MAJOR_YUAN => AccidentLevel::Major,
        l if l >= LOSS_LARGER_YUAN => AccidentLevel::Larger,
        _ => AccidentLevel::General,
    };
    by_deaths.max(by_injuries).max(by_loss)
}

/// Days after the accident within which its casualty counts may change: 7 for road traffic and
/// fire accidents, 30 otherwise.
pub fn update_window_days(kind: AccidentKind, road_traffic: bool) -> i64 {
    if road_traffic || kind == AccidentKind::Fire { 7 } else { 30 }
}

/// Whether a casualty update on `on` is still within the window of an accident of `occurred_on`.
pub fn within_update_window(occurred_on: Date, on: Date, kind: AccidentKind, road_traffic: bool) -> bool {
    let days = occurred_on.until(on).map(|span| span.get_days()).unwrap_or(i32::MAX);
    days >= 0 && i64::from(days) <= update_window_days(kind, road_traffic)
}

/// The tier whose government investigates an accident of this level (特别重大 by the State Council,
/// with the province taking part; the province is the highest tier here).
pub fn investigating_tier(level: AccidentLevel) -> Tier {
    match level {
        AccidentLevel::EspeciallyMajor | AccidentLevel::Major => Tier::Province,
        AccidentLevel::Larger => Tier::City,
        AccidentLevel::General => Tier::County,
    }
}

/// Counts as they stand: what the level is graded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Casualties {
    pub deaths: u32,
    pub missing: u32,
    pub serious_injuries: u32,
    pub direct_loss_yuan: i64,
}

impl Casualties {
    /// The level: the missing count as deaths.
    pub fn level(&self) -> AccidentLevel {
        grade(self.deaths.saturating_add(self.missing), self.serious_injuries, self.direct_loss_yuan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccidentLevel::*;

    #[test]
    fn every_boundary_of_the_three_criteria() {
        let by_deaths = [(0, General), (2, General), (3, Larger), (9, Larger), (10, Major), (29, Major), (30, EspeciallyMajor)];
        for (deaths, level) in by_deaths {
            assert_eq!(grade(deaths, 0, 0), level, "{deaths} deaths");
        }
        let by_injuries = [(9, General), (10, Larger), (49, Larger), (50, Major), (99, Major), (100, EspeciallyMajor)];
        for (injuries, level) in by_injuries {
            assert_eq!(grade(0, injuries, 0), level, "{injuries} serious injuries");
        }
        let by_loss =
            [(9_999_999, General), (10_000_000, Larger), (49_999_999, Larger), (50_000_000, Major), (99_999_999, Major), (100_000_000, EspeciallyMajor)];
        for (loss, level) in by_loss {
            assert_eq!(grade(0, 0, loss), level, "¥{loss}");
        }
    }

    #[test]
    fn the_highest_criterion_sets_the_level() {
        assert_eq!(grade(2, 50, 1_000), Major);
        assert_eq!(grade(3, 0, 100_000_000), EspeciallyMajor);
        assert_eq!(Casualties { deaths: 1, missing: 2, serious_injuries: 0, direct_loss_yuan: 0 }.level(), Larger, "the missing count as deaths");
    }

    #[test]
    fn kinds_parse_by_their_names() {
        assert_eq!(AccidentKind::ALL.len(), 20);
        assert_eq!(AccidentKind::parse_name("其他爆炸"), Some(AccidentKind::OtherExplosion));
        assert_eq!(AccidentKind::parse_name("其它爆炸"), Some(AccidentKind::OtherExplosion));
        assert_eq!(AccidentKind::parse_name("中毒和窒息"), Some(AccidentKind::Poisoning));
        assert_eq!(AccidentKind::parse_name("爆炸"), None);
    }

    #[test]
    fn update_windows_and_investigation() {
        let day = |text: &str| text.parse::<Date>().unwrap();
        assert!(within_update_window(day("2026-03-01"), day("2026-03-31"), AccidentKind::Collapse, false));
        assert!(!within_update_window(day("2026-03-01"), day("2026-04-01"), AccidentKind::Collapse, false));
        assert!(within_update_window(day("2026-03-01"), day("2026-03-08"), AccidentKind::Fire, false));
        assert!(!within_update_window(day("2026-03-01"), day("2026-03-09"), AccidentKind::Vehicle, true));
        assert!(!within_update_window(day("2026-03-01"), day("2026-02-28"), AccidentKind::Collapse, false), "not before it happened");
        assert_eq!(investigating_tier(Larger), Tier::City);
        assert_eq!(investigating_tier(Major), Tier::Province);
    }
}
