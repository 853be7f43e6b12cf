//! Major hazard source identification and grading by GB 18218-2018, from the standard's tables as
//! data (`data/gb18218-2018.csv`): S = Σ q/Q decides whether a unit is a major hazard source, and
//! R = α · Σ β·q/Q its level. All arithmetic is exact (rational numbers over integers), so a
//! result that lies on a boundary (S = 1, R = 10, 50, 100) is graded as the standard says and
//! never flips through floating-point error.

use std::sync::LazyLock;

use serde::Serialize;

use crate::text::lookup_key;

const TABLES: &str = include_str!("../data/gb18218-2018.csv");

/// Quantities are held in millionths of a tonne (grams) and factors in hundredths.
const Q_SCALE: u128 = 1_000_000;
const FACTOR_SCALE: u128 = 100;

#[derive(Debug, Clone)]
struct NamedSubstance {
    name: String,
    cas: String,
    /// Critical quantity Q in hundredths of a tonne.
    critical_hundredths: u128,
}

#[derive(Debug, Clone)]
struct Category {
    code: String,
    critical_hundredths: u128,
    /// β in hundredths.
    beta_hundredths: u128,
}

#[derive(Debug)]
struct Tables {
    named: Vec<NamedSubstance>,
    categories: Vec<Category>,
    /// Table 3: β of named toxic gases, by lookup key of the name, in hundredths.
    toxic_beta: Vec<(String, u128)>,
}

/// A decimal with at most `decimals` fractional digits, scaled to an integer.
fn scaled(text: &str, scale: u128) -> Option<u128> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = scale.ilog10() as usize;
    if whole.is_empty() && fraction.is_empty() || fraction.len() > digits || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction_value: u128 = if fraction.is_empty() { 0 } else { fraction.parse::<u128>().ok()? * 10u128.pow((digits - fraction.len()) as u32) };
    whole.checked_mul(scale)?.checked_add(fraction_value)
}

static TABLES_PARSED: LazyLock<Tables> = LazyLock::new(|| {
    let mut tables = Tables { named: Vec::new(), categories: Vec::new(), toxic_beta: Vec::new() };
    let mut betas: Vec<(String, u128)> = Vec::new();
    for line in TABLES.lines().filter(|l| !l.starts_with('#') && !l.starts_with("table,")) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() < 5 {
            continue;
        }
        let (table, key, name, cas, value) = (cells[0], cells[1], cells[2].replace(';', ","), cells[3], cells[4]);
        match table {
            "T1" => {
                if let Some(q) = scaled(value, FACTOR_SCALE) {
                    tables.named.push(NamedSubstance { name, cas: cas.to_owned(), critical_hundredths: q });
                }
            }
            "T2" => {
                if let Some(q) = scaled(value, FACTOR_SCALE) {
                    tables.categories.push(Category { code: key.to_owned(), critical_hundredths: q, beta_hundredths: FACTOR_SCALE });
                }
            }
            "BETA3" => {
                if let Some(beta) = scaled(value, FACTOR_SCALE) {
                    tables.toxic_beta.push((lookup_key(key), beta));
                }
            }
            "BETA4" => {
                if let Some(beta) = scaled(value, FACTOR_SCALE) {
                    betas.push((key.to_owned(), beta));
                }
            }
            _ => {}
        }
    }
    for category in &mut tables.categories {
        if let Some((_, beta)) = betas.iter().find(|(code, _)| *code == category.code) {
            category.beta_hundredths = *beta;
        }
    }
    tables
});

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessError {
    #[error("unknown substance '{0}': use a CAS number, a table-1 name or a table-2 category code such as W2")]
    UnknownSubstance(String),
    #[error("the quantity of '{0}' must be a non-negative number of tonnes with at most 6 decimals")]
    BadQuantity(String),
    #[error("'{0}' should be SUBSTANCE=TONNES")]
    BadArgument(String),
    #[error("give at least one hazardous chemical")]
    Empty,
}

impl AssessError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::UnknownSubstance(v0) => crate::message!("gb18218.assess_error.unknown_substance", v0 = v0),
            Self::BadQuantity(v0) => crate::message!("gb18218.assess_error.bad_quantity", v0 = v0),
            Self::BadArgument(v0) => crate::message!("gb18218.assess_error.bad_argument", v0 = v0),
            Self::Empty => crate::message!("gb18218.assess_error.empty"),
        }
    }
}

/// One hazardous chemical of a unit at its maximum quantity. `categories` (table 2 codes) apply
/// to a substance not named in table 1, or add hazards to one that is: Q is the smallest of its
/// critical quantities and β the largest of its correction factors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    pub substance: String,
    pub categories: Vec<String>,
    /// Millionths of a tonne.
    pub quantity_millionths: u128,
}

impl Present {
    /// Parses `SUBSTANCE=TONNES`, where SUBSTANCE is a CAS number, a table-1 name or a table-2
    /// code, optionally followed by `:CODE[,CODE]` for further hazard categories.
    pub fn parse(argument: &str) -> Result<Self, AssessError> {
        let (substance, quantity) = argument.rsplit_once('=').ok_or_else(|| AssessError::BadArgument(argument.chars().take(40).collect()))?;
        let (substance, categories) = match substance.split_once(':') {
            Some((name, codes)) => (name.trim(), codes.split(',').map(|c| c.trim().to_uppercase()).filter(|c| !c.is_empty()).collect()),
            None => (substance.trim(), Vec::new()),
        };
        let quantity_millionths = scaled(quantity, Q_SCALE).ok_or_else(|| AssessError::BadQuantity(substance.chars().take(40).collect()))?;
        Ok(Self { substance: substance.to_owned(), categories, quantity_millionths })
    }
}

/// The result: S, R (both rounded to 6 decimals for display), whether the unit is a major hazard
/// source, and its level (1 = 一级 … 4 = 四级).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub s: f64,
    pub r: f64,
    pub major: bool,
    pub level: Option<u8>,
}

/// An exact non-negative rational number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ratio {
    numerator: u128,
    denominator: u128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Ratio {
    fn new(numerator: u128, denominator: u128) -> Self {
        let g = gcd(numerator, denominator);
        Self { numerator: numerator / g, denominator: denominator / g }
    }

    fn add(self, other: Self) -> Option<Self> {
        let g = gcd(self.denominator, other.denominator);
        let denominator = self.denominator.checked_mul(other.denominator / g)?;
        let numerator =
            self.numerator.checked_mul(denominator / self.denominator)?.checked_add(other.numerator.checked_mul(denominator / other.denominator)?)?;
        Some(Self::new(numerator, denominator))
    }

    fn scale(self, factor_hundredths: u128) -> Option<Self> {
        Some(Self::new(self.numerator.checked_mul(factor_hundredths)?, self.denominator.checked_mul(FACTOR_SCALE)?))
    }

    /// Whether self ≥ whole number `n`.
    fn at_least(self, n: u128) -> bool {
        self.numerator >= n.saturating_mul(self.denominator)
    }

    fn to_f64(self) -> f64 {
        let value = self.numerator as f64 / self.denominator as f64;
        (value * 1e6).round() / 1e6
    }
}

/// α by the number of people living within 500 m of the plant boundary, in hundredths.
fn alpha_hundredths(people: u64) -> u128 {
    match people {
        0 => 50,
        1..=29 => 100,
        30..=49 => 120,
        50..=99 => 150,
        _ => 200,
    }
}

/// Q and β (hundredths) of one chemical.
fn critical_and_beta(present: &Present) -> Result<(u128, u128), AssessError> {
    let tables = &*TABLES_PARSED;
    let key = lookup_key(&present.substance);
    let base_name = |name: &str| lookup_key(name.split(['(', '(']).next().unwrap_or(name));
    let named =
        tables.named.iter().find(|n| (!n.cas.is_empty() && n.cas == present.substance.trim()) || lookup_key(&n.name) == key || base_name(&n.name) == key);
    let category_of = |code: &str| tables.categories.iter().find(|c| c.code.eq_ignore_ascii_case(code));
    let mut criticals = Vec::new();
    let mut betas = Vec::new();
    match named {
        Some(substance) => {
            criticals.push(substance.critical_hundredths);
            let toxic = tables.toxic_beta.iter().find(|(name, _)| *name == base_name(&substance.name) || *name == lookup_key(&substance.name));
            // A named substance not in table 3 takes β from its categories, or 1.
            betas.push(toxic.map(|(_, beta)| *beta).unwrap_or(FACTOR_SCALE));
        }
        None => match category_of(present.substance.trim()) {
            Some(category) => {
                criticals.push(category.critical_hundredths);
                betas.push(category.beta_hundredths);
            }
            None => return Err(AssessError::UnknownSubstance(present.substance.chars().take(40).collect())),
        },
    }
    for code in &present.categories {
        let category = category_of(code).ok_or_else(|| AssessError::UnknownSubstance(code.chars().take(20).collect()))?;
        criticals.push(category.critical_hundredths);
        betas.push(category.beta_hundredths);
    }
    // Several hazards: the smallest critical quantity; the largest correction factor.
    let critical = criticals.iter().copied().min().unwrap_or(FACTOR_SCALE);
    let beta = betas.iter().copied().max().unwrap_or(FACTOR_SCALE);
    Ok((critical, beta))
}

/// Assesses one unit: its chemicals at their maximum quantities and the people exposed.
pub fn assess(present: &[Present], people: u64) -> Result<Assessment, AssessError> {
    if present.is_empty() {
        return Err(AssessError::Empty);
    }
    let overflow = || AssessError::BadQuantity("∑".into());
    let mut s = Ratio::new(0, 1);
    let mut weighted = Ratio::new(0, 1);
    for chemical in present {
        let (critical_hundredths, beta_hundredths) = critical_and_beta(chemical)?;
        // q/Q with q in millionths and Q in hundredths of a tonne.
        let term = Ratio::new(
            chemical.quantity_millionths.checked_mul(FACTOR_SCALE).ok_or_else(overflow)?,
            critical_hundredths.checked_mul(Q_SCALE).ok_or_else(overflow)?,
        );
        s = s.add(term).ok_or_else(overflow)?;
        weighted = weighted.add(term.scale(beta_hundredths).ok_or_else(overflow)?).ok_or_else(overflow)?;
    }
    let r = weighted.scale(alpha_hundredths(people)).ok_or_else(overflow)?;
    let major = s.at_least(1);
    let level = major.then(|| {
        if r.at_least(100) {
            1
        } else if r.at_least(50) {
            2
        } else if r.at_least(10) {
            3
        } else {
            4
        }
    });
    Ok(Assessment { s: s.to_f64(), r: r.to_f64(), major, level })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(people: u64, args: &[&str]) -> Assessment {
        let present: Vec<Present> = args.iter().map(|a| Present::parse(a).unwrap()).collect();
        assess(&present, people).unwrap()
    }

    #[test]
    fn the_worked_example() {
        // SO₂ 200 t (Q 20 t, β 2), 60 people (α 1.5): S = 10, R = 30 → 三级.
        assert_eq!(run(60, &["二氧化硫=200"]), Assessment { s: 10.0, r: 30.0, major: true, level: Some(3) });
        assert_eq!(run(60, &["7446-09-5=200"]), run(60, &["二氧化硫=200"]), "by CAS number");
        assert_eq!(run(60, &["二氧化硫=200"]), run(60, &["二氧化硫=200.000"]));
    }

    #[test]
    fn boundaries_are_exact() {
        // S exactly 1 from 0.1 t + 0.9 t of a 1 t category (in floats 0.1 + 0.9 happens to be 1, but
        // 0.1 + 0.1 + 0.1 is not 0.3; see the 雷汞 case below).
        let exactly_one = run(0, &["W1.1=0.1", "W1.1=0.9"]);
        assert!(exactly_one.major && exactly_one.s == 1.0);
        assert!(!run(0, &["W1.1=0.999999"]).major);
        // R exactly 10 with α 1 and β 1: W5.3 (Q 1000 t) at 10,000 t.
        assert_eq!(run(5, &["W5.3=10000"]).level, Some(3));
        assert_eq!(run(5, &["W5.3=9999.999999"]).level, Some(4));
        // R exactly 100: chlorine (Q 5 t, β 4), 25 t, α 1 → R = 20; 125 t → 100 → 一级.
        assert_eq!(run(5, &["氯=125"]).level, Some(1));
        assert_eq!(run(5, &["氯=124.999999"]).level, Some(2));
        // Three thirds (0.1 + 0.1 + 0.1 of a 0.3 t explosive) make exactly one.
        assert!(run(0, &["雷汞=0.1", "雷汞=0.1", "雷汞=0.3"]).major);
    }

    #[test]
    fn mixtures_categories_and_alpha() {
        // Not major: S < 1, no level.
        assert_eq!(run(100, &["氨=5"]), Assessment { s: 0.5, r: 2.0, major: false, level: None });
        // A mixture sums; categories bring their own Q and β (W2: Q 10 t, β 1.5).
        let mixture = run(100, &["W2=10", "氨=10"]);
        assert_eq!((mixture.s, mixture.r), (2.0, 2.0 * (1.5 + 2.0)));
        // Several hazards: smallest Q, largest β.
        let both = run(1, &["W5.4:J3=50"]);
        assert_eq!((both.s, both.r), (1.0, 2.0));
        for (people, r) in [(0, 0.75), (29, 1.5), (30, 1.8), (99, 2.25), (100, 3.0)] {
            assert_eq!(run(people, &["W2=10"]).r, r, "{people} people: β 1.5 × α");
        }
    }

    #[test]
    fn bad_input_is_named() {
        assert!(matches!(Present::parse("unobtainium=5").map(|p| assess(&[p], 1)), Ok(Err(AssessError::UnknownSubstance(_)))));
        for bad in ["氨=-1", "氨=abc", "氨=1.1234567", "氨=", "氨"] {
            assert!(Present::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(assess(&[], 1), Err(AssessError::Empty));
        assert!(matches!(Present::parse("氨:W99=1").map(|p| assess(&[p], 1)), Ok(Err(AssessError::UnknownSubstance(_)))));
        assert!(TABLES_PARSED.named.len() >= 80 && TABLES_PARSED.categories.len() >= 20, "the tables load");
    }
}
