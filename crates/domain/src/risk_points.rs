//! Risk grading (双重预防): the LEC method (D = L × E × C) and the 5 × 5 risk matrix (R = L × S),
//! each with its fixed scales and configurable bands, grading into 重大/较大/一般/低 and
//! red/orange/yellow/blue. Scale values are held in tenths, so grading at a band's boundary is
//! exact integer arithmetic, never floating point.

use serde::{Deserialize, Serialize};

use crate::labels::labelled_enum;

labelled_enum!(
    /// A risk's grade, lowest first (so that the highest of several is their `max`).
    RiskLevel {
        Low = "low", "低", "Low";
        General = "general", "一般", "General";
        Larger = "larger", "较大", "Larger";
        Major = "major", "重大", "Major";
    }
);

impl RiskLevel {
    /// The four-colour map's colour (红橙黄蓝).
    pub fn color(self) -> &'static str {
        match self {
            Self::Major => "red",
            Self::Larger => "orange",
            Self::General => "yellow",
            Self::Low => "blue",
        }
    }
}

/// L, E and C of the LEC method, in tenths of the published values.
const LEC_L_TENTHS: [u32; 7] = [100, 60, 30, 10, 5, 2, 1];
const LEC_E_TENTHS: [u32; 6] = [100, 60, 30, 20, 10, 5];
const LEC_C_TENTHS: [u32; 6] = [1000, 400, 150, 70, 30, 10];

/// LEC bands on D: above `major_above` is 重大, from `larger_from` 较大, above `general_above` 一般,
/// the rest 低 (defaults > 320, 160–320, 70–160, ≤ 70).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LecBands {
    pub major_above: f64,
    pub larger_from: f64,
    pub general_above: f64,
}

impl Default for LecBands {
    fn default() -> Self {
        Self { major_above: 320.0, larger_from: 160.0, general_above: 70.0 }
    }
}

/// Matrix bands on R (integers 1–25): from `major_from` 重大, from `larger_from` 较大, from
/// `general_from` 一般, the rest 低 (defaults 20–25, 9–16, 4–8, 1–3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatrixBands {
    pub major_from: u32,
    pub larger_from: u32,
    pub general_from: u32,
}

impl Default for MatrixBands {
    fn default() -> Self {
        Self { major_from: 20, larger_from: 9, general_from: 4 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskError {
    #[error("{factor}={value} is not on the scale; use one of {allowed}")]
    OffScale { factor: &'static str, value: String, allowed: String },
}

impl RiskError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::OffScale { factor, value, allowed } => crate::message!("risk_points.risk_error.off_scale", allowed = allowed, factor = factor, value = value),
        }
    }
}

/// The bands of both methods, as configured (defaults from DOMAIN.md).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskBands {
    pub lec: LecBands,
    pub matrix: MatrixBands,
}

impl RiskBands {
    /// Checks that each method's bands descend (重大 above 较大 above 一般, all positive).
    pub fn check(&self) -> Result<(), String> {
        let lec = &self.lec;
        if !(lec.major_above > lec.larger_from && lec.larger_from > lec.general_above && lec.general_above > 0.0) {
            return Err(format!(
                "LEC bands must descend: major_above {} > larger_from {} > general_above {} > 0",
                lec.major_above, lec.larger_from, lec.general_above
            ));
        }
        let m = &self.matrix;
        if !(m.major_from > m.larger_from && m.larger_from > m.general_from && m.general_from > 1 && m.major_from <= 25) {
            return Err(format!(
                "matrix bands must descend within 2–25: major_from {} > larger_from {} > general_from {} > 1",
                m.major_from, m.larger_from, m.general_from
            ));
        }
        Ok(())
    }
}

/// A graded risk: the score (D or R), its level and colour.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Graded {
    pub score: f64,
    pub level: RiskLevel,
}

/// A number as tenths, if it is exactly a multiple of 0.1 and positive.
fn tenths(value: f64) -> Option<u32> {
    let scaled = (value * 10.0).round();
    ((value * 10.0 - scaled).abs() < 1e-9 && scaled > 0.0 && scaled < 1e6).then_some(scaled as u32)
}

fn on_scale(factor: &'static str, value: f64, scale: &[u32]) -> Result<u64, RiskError> {
    match tenths(value) {
        Some(t) if scale.contains(&t) => Ok(u64::from(t)),
        _ => Err(RiskError::OffScale {
            factor,
            value: if value.is_finite() { format!("{value}") } else { "?".into() },
            allowed: scale.iter().map(|t| format!("{}", f64::from(*t) / 10.0)).collect::<Vec<_>>().join("/"),
        }),
    }
}

/// Grades D = L × E × C, refusing values off the LEC scales.
pub fn grade_lec(likelihood: f64, exposure: f64, consequence: f64, bands: &LecBands) -> Result<Graded, RiskError> {
    let l = on_scale("L", likelihood, &LEC_L_TENTHS)?;
    let e = on_scale("E", exposure, &LEC_E_TENTHS)?;
    let c = on_scale("C", consequence, &LEC_C_TENTHS)?;
    // D in thousandths: (L×10)(E×10)(C×10) = D × 1000.
    let d_thousandths = l * e * c;
    let band = |value: f64| (value * 1000.0).round() as u64;
    let level = if d_thousandths > band(bands.major_above) {
        RiskLevel::Major
    } else if d_thousandths >= band(bands.larger_from) {
        RiskLevel::Larger
    } else if d_thousandths > band(bands.general_above) {
        RiskLevel::General
    } else {
        RiskLevel::Low
    };
    Ok(Graded { score: d_thousandths as f64 / 1000.0, level })
}

/// Grades R = L × S on the 5 × 5 matrix (both 1–5).
pub fn grade_matrix(likelihood: f64, severity: f64, bands: &MatrixBands) -> Result<Graded, RiskError> {
    const SCALE: [u32; 5] = [10, 20, 30, 40, 50];
    let l = on_scale("L", likelihood, &SCALE)? / 10;
    let s = on_scale("S", severity, &SCALE)? / 10;
    let r = (l * s) as u32;
    let level = if r >= bands.major_from {
        RiskLevel::Major
    } else if r >= bands.larger_from {
        RiskLevel::Larger
    } else if r >= bands.general_from {
        RiskLevel::General
    } else {
        RiskLevel::Low
    };
    Ok(Graded { score: f64::from(r), level })
}

/// An enterprise's or region's four-colour profile: how many risk points at each level, and the
/// highest level present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskProfile {
    pub major: u32,
    pub larger: u32,
    pub general: u32,
    pub low: u32,
    pub highest: Option<RiskLevel>,
}

impl RiskProfile {
    pub fn from_levels(levels: impl IntoIterator<Item = RiskLevel>) -> Self {
        let mut profile = Self::default();
        for level in levels {
            match level {
                RiskLevel::Major => profile.major += 1,
                RiskLevel::Larger => profile.larger += 1,
                RiskLevel::General => profile.general += 1,
                RiskLevel::Low => profile.low += 1,
            }
            profile.highest = profile.highest.max(Some(level));
        }
        profile
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lec(l: f64, e: f64, c: f64) -> (f64, &'static str) {
        let graded = grade_lec(l, e, c, &LecBands::default()).unwrap();
        (graded.score, graded.level.label_zh())
    }

    #[test]
    fn lec_grades_and_boundaries() {
        assert_eq!(lec(6.0, 3.0, 15.0), (270.0, "较大"));
        assert_eq!(grade_lec(6.0, 3.0, 15.0, &LecBands::default()).unwrap().level.color(), "orange");
        assert_eq!(lec(10.0, 6.0, 40.0), (2400.0, "重大"));
        // Boundaries: 320 is 较大, 160 is 较大, 70 is 低.
        assert_eq!(lec(1.0, 2.0, 7.0).1, "低"); // 14
        assert_eq!(lec(0.5, 10.0, 15.0).0, 75.0);
        assert_eq!(lec(0.5, 10.0, 15.0).1, "一般");
        assert_eq!(lec(3.0, 3.0, 7.0), (63.0, "低"));
        assert_eq!(grade_lec(1.0, 2.0, 40.0, &LecBands::default()).unwrap().score, 80.0);
        let bands = LecBands { major_above: 320.0, larger_from: 160.0, general_above: 70.0 };
        // 0.2 × 0.5 × 7 = 0.7 exactly, not 0.7000000000000001.
        assert_eq!(grade_lec(0.2, 0.5, 7.0, &bands).unwrap().score, 0.7);
        // At a boundary: D = 270 with the 较大 band starting at 270 is 较大; with 重大 "above 270" it
        // stays 较大, because "above" is strict.
        let at_270 = LecBands { major_above: 400.0, larger_from: 270.0, general_above: 70.0 };
        assert_eq!(grade_lec(6.0, 3.0, 15.0, &at_270).unwrap().level, RiskLevel::Larger);
        let above_270 = LecBands { major_above: 270.0, larger_from: 160.0, general_above: 70.0 };
        assert_eq!(grade_lec(6.0, 3.0, 15.0, &above_270).unwrap().level, RiskLevel::Larger, "the 重大 bound is strict");
        let below_270 = LecBands { major_above: 269.9, larger_from: 160.0, general_above: 70.0 };
        assert_eq!(grade_lec(6.0, 3.0, 15.0, &below_270).unwrap().level, RiskLevel::Major);
    }

    #[test]
    fn off_scale_values_are_refused_with_the_scale() {
        for (l, e, c) in [(5.0, 3.0, 15.0), (6.0, 4.0, 15.0), (6.0, 3.0, 16.0), (f64::NAN, 3.0, 15.0), (-6.0, 3.0, 15.0), (0.05, 3.0, 15.0)] {
            let error = grade_lec(l, e, c, &LecBands::default()).unwrap_err().to_string();
            assert!(error.contains('/'), "{error}");
        }
        assert!(grade_lec(5.0, 3.0, 15.0, &LecBands::default()).unwrap_err().to_string().contains("10/6/3/1/0.5/0.2/0.1"));
    }

    #[test]
    fn matrix_grades() {
        let grade = |l, s| grade_matrix(l, s, &MatrixBands::default()).unwrap();
        assert_eq!((grade(5.0, 5.0).score, grade(5.0, 4.0).level), (25.0, RiskLevel::Major));
        assert_eq!(grade(3.0, 3.0).level, RiskLevel::Larger);
        assert_eq!(grade(4.0, 4.0).level, RiskLevel::Larger);
        assert_eq!(grade(2.0, 4.0).level, RiskLevel::General);
        assert_eq!(grade(1.0, 3.0).level, RiskLevel::Low);
        let other = MatrixBands { major_from: 20, larger_from: 15, general_from: 9 };
        assert_eq!(grade_matrix(3.0, 4.0, &other).unwrap().level, RiskLevel::General);
        assert!(grade_matrix(6.0, 1.0, &MatrixBands::default()).is_err());
        assert!(grade_matrix(2.5, 1.0, &MatrixBands::default()).is_err());
        assert!(grade_matrix(0.0, 1.0, &MatrixBands::default()).is_err());
    }

    #[test]
    fn configured_bands_are_checked() {
        assert!(RiskBands::default().check().is_ok());
        let other_province = RiskBands { matrix: MatrixBands { major_from: 20, larger_from: 15, general_from: 9 }, ..Default::default() };
        assert!(other_province.check().is_ok());
        let upside_down = RiskBands { lec: LecBands { major_above: 70.0, larger_from: 160.0, general_above: 320.0 }, ..Default::default() };
        assert!(upside_down.check().unwrap_err().contains("descend"));
    }

    #[test]
    fn profiles_count_and_take_the_highest() {
        let profile = RiskProfile::from_levels([RiskLevel::Low, RiskLevel::Larger, RiskLevel::Low]);
        assert_eq!((profile.low, profile.larger, profile.highest), (2, 1, Some(RiskLevel::Larger)));
        assert_eq!(RiskProfile::from_levels([]).highest, None);
    }
}
