//! The enterprise record (生产经营单位): identity, place, sector, people, standardisation grade,
//! licences and liability insurance. `EnterpriseInput` is what a person or a file supplies;
//! `Enterprise` is what exists after every field has been checked, whichever door it came in by
//! (form, API or spreadsheet).

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::credit_code::CreditCode;
use crate::message;
use crate::message::Message;
use crate::region::RegionCode;

/// A field that failed validation: the field's stable key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: Message,
}

impl FieldError {
    /// The field named before its problem, for lists of problems.
    pub fn named(&self) -> Message {
        message!("common.field_problem", field = self.field, problem => self.message.clone())
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}
use crate::labels::labelled_enum;

labelled_enum!(
    /// Sections of the national industry classification GB/T 4754-2017.
    IndustrySection {
        A = "A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery";
        B = "B", "采矿业", "Mining";
        C = "C", "制造业", "Manufacturing";
        D = "D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply";
        E = "E", "建筑业", "Construction";
        F = "F", "批发和零售业", "Wholesale and retail trade";
        G = "G", "交通运输、仓储和邮政业", "Transport, storage and post";
        H = "H", "住宿和餐饮业", "Accommodation and catering";
        I = "I", "信息传输、软件和信息技术服务业", "Information transmission, software and IT services";
        J = "J", "金融业", "Finance";
        K = "K", "房地产业", "Real estate";
        L = "L", "租赁和商务服务业", "Leasing and business services";
        M = "M", "科学研究和技术服务业", "Scientific research and technical services";
        N = "N", "水利、环境和公共设施管理业", "Water, environment and public facilities management";
        O = "O", "居民服务、修理和其他服务业", "Resident, repair and other services";
        P = "P", "教育", "Education";
        Q = "Q", "卫生和社会工作", "Health and social work";
        R = "R", "文化、体育和娱乐业", "Culture, sports and entertainment";
        S = "S", "公共管理、社会保障和社会组织", "Public administration, social security and organisations";
        T = "T", "国际组织", "International organisations";
    }
);

labelled_enum!(
    /// High-risk sectors that call for closer supervision (高危行业领域).
    HighRiskSector {
        HazardousChemicals = "hazardous_chemicals", "危险化学品", "Hazardous chemicals";
        CoalMining = "coal_mining", "煤矿", "Coal mining";
        NonCoalMining = "non_coal_mining", "非煤矿山", "Non-coal mining";
        Fireworks = "fireworks", "烟花爆竹", "Fireworks";
        CivilExplosives = "civil_explosives", "民用爆炸物品", "Civil explosives";
        Metallurgy = "metallurgy", "冶金", "Metallurgy";
        NonferrousMetals = "nonferrous_metals", "有色金属", "Non-ferrous metals";
        CombustibleDust = "combustible_dust", "粉尘涉爆", "Combustible dust";
        AmmoniaRefrigeration = "ammonia_refrigeration", "涉氨制冷", "Ammonia refrigeration";
        Construction = "construction", "建筑施工", "Construction works";
        RoadTransport = "road_transport", "道路运输", "Road transport";
        Gas = "gas", "城镇燃气", "Town gas";
    }
);

labelled_enum!(
    /// Enterprise size class.
    Scale {
        Large = "large", "大型", "Large";
        Medium = "medium", "中型", "Medium";
        Small = "small", "小型", "Small";
        Micro = "micro", "微型", "Micro";
    }
);

labelled_enum!(
    /// Work-safety standardisation grade (安全生产标准化等级).
    StandardizationGrade {
        Level1 = "level1", "一级", "Level 1";
        Level2 = "level2", "二级", "Level 2";
        Level3 = "level3", "三级", "Level 3";
        Unrated = "none", "未达标", "None";
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub longitude: f64,
    pub latitude: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licence {
    pub kind: String,
    pub number: String,
    pub expires_on: Date,
}

/// How many days before its expiry a licence is marked as expiring.
pub const LICENCE_EXPIRING_DAYS: i32 = 90;

impl Licence {
    /// `expired` after its last valid day, `expiring` within [`LICENCE_EXPIRING_DAYS`] of it,
    /// otherwise none.
    pub fn flag(&self, today: Date) -> Option<&'static str> {
        if today > self.expires_on {
            Some("expired")
        } else if (self.expires_on - today).get_days() <= LICENCE_EXPIRING_DAYS {
            Some("expiring")
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Insurance {
    pub insurer: String,
    /// Cover per death or disability, in yuan.
    pub cover_per_person_yuan: i64,
    pub expires_on: Date,
}

/// A checked enterprise record, without its database identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enterprise {
    pub credit_code: CreditCode,
    pub name: String,
    pub region_code: RegionCode,
    pub address: String,
    pub location: Option<GeoPoint>,
    pub industry: IndustrySection,
    pub sectors: BTreeSet<HighRiskSector>,
    pub scale: Scale,
    pub principal: Person,
    pub safety_manager: Person,
    pub standardization: StandardizationGrade,
    pub licences: Vec<Licence>,
    pub insurance: Option<Insurance>,
}

/// Raw text of every field as a form, an API body or a spreadsheet row supplies it.
/// Multi-valued fields use the formats of the spreadsheet columns (see `Enterprise::to_input`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(example = json!({"credit_code": "91220104MA0Y8K3Q7F", "name": "长春示例精细化工有限公司", "region_code": "220104", "address": "吉林省长春市朝阳区化工园路20号", "longitude": "125.2830", "latitude": "43.8371", "industry": "C", "sectors": "hazardous_chemicals", "scale": "small", "principal_name": "赵明", "principal_phone": "13904310020", "safety_manager_name": "孙立", "safety_manager_phone": "0431-85550020", "standardization": "三级", "licences": "", "insurer": "", "insurance_cover_yuan": "", "insurance_expires_on": ""}))]
pub struct EnterpriseInput {
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub address: String,
    pub longitude: String,
    pub latitude: String,
    pub industry: String,
    /// Sector keys or labels separated by `;`, `；`, `、`, `,` or `|`.
    pub sectors: String,
    pub scale: String,
    pub principal_name: String,
    pub principal_phone: String,
    pub safety_manager_name: String,
    pub safety_manager_phone: String,
    pub standardization: String,
    /// Licences as `kind|number|YYYY-MM-DD`, separated by `;` or newlines.
    pub licences: String,
    pub insurer: String,
    pub insurance_cover_yuan: String,
    pub insurance_expires_on: String,
}

pub const NAME_MAX_CHARS: usize = 100;
pub const ADDRESS_MAX_CHARS: usize = 200;
pub const PERSON_MAX_CHARS: usize = 50;
pub const PHONE_MAX_CHARS: usize = 32;
pub const LICENCES_MAX: usize = 20;

impl Enterprise {
    /// Checks every field and returns all problems at once, so a person can fix a row in one go.
    pub fn from_input(input: &EnterpriseInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &'static str, message: Message| errors.push(FieldError { field, message });

        let credit_code = CreditCode::parse(&input.credit_code).map_err(|e| fail("credit_code", e.message())).ok();
        let name = checked_text(&input.name, NAME_MAX_CHARS, true)
            .map_err(|m| fail("name", message!("enterprises.field_problem", field => message!("enterprises.field.name"), problem => m)))
            .ok();
        let region_code = RegionCode::parse(&input.region_code).map_err(|e| fail("region_code", e.message())).ok();
        let address = checked_text(&input.address, ADDRESS_MAX_CHARS, false)
            .map_err(|m| fail("address", message!("enterprises.field_problem", field => message!("enterprises.field.address"), problem => m)))
            .ok();
        let location = match parse_location(&input.longitude, &input.latitude) {
            Ok(location) => location,
            Err(message) => {
                fail("location", message);
                None
            }
        };
        let industry = IndustrySection::parse(&input.industry)
            .ok_or_else(|| fail("industry", message!("enterprises.unknown_industry_section", value = clip(&input.industry))))
            .ok();
        let mut sectors = BTreeSet::new();
        for part in split_list(&input.sectors) {
            match HighRiskSector::parse(part) {
                Some(sector) => {
                    sectors.insert(sector);
                }
                None => fail("sectors", message!("enterprises.unknown_high_risk_sector", value = clip(part))),
            }
        }
        let scale = Scale::parse(&input.scale).ok_or_else(|| fail("scale", message!("enterprises.unknown_scale", value = clip(&input.scale)))).ok();
        let principal = checked_person(&input.principal_name, &input.principal_phone)
            .map_err(|m| fail("principal", message!("enterprises.field_problem", field => message!("enterprises.field.principal"), problem => m)))
            .ok();
        let safety_manager = checked_person(&input.safety_manager_name, &input.safety_manager_phone)
            .map_err(|m| fail("safety_manager", message!("enterprises.field_problem", field => message!("enterprises.field.safety_manager"), problem => m)))
            .ok();
        let standardization = if input.standardization.trim().is_empty() {
            Some(StandardizationGrade::Unrated)
        } else {
            StandardizationGrade::parse(&input.standardization)
                .ok_or_else(|| fail("standardization", message!("enterprises.unknown_grade", value = clip(&input.standardization))))
                .ok()
        };
        let licences = parse_licences(&input.licences).map_err(|m| fail("licences", m)).ok();
        let insurance = parse_insurance(input).map_err(|m| fail("insurance", m)).ok();

        match (credit_code, name, region_code, address, industry, scale, principal, safety_manager, standardization, licences, insurance) {
            (
                Some(credit_code),
                Some(name),
                Some(region_code),
                Some(address),
                Some(industry),
                Some(scale),
                Some(principal),
                Some(safety_manager),
                Some(standardization),
                Some(licences),
                Some(insurance),
            ) if errors.is_empty() => Ok(Self {
                credit_code,
                name,
                region_code,
                address,
                location,
                industry,
                sectors,
                scale,
                principal,
                safety_manager,
                standardization,
                licences,
                insurance,
            }),
            _ => Err(errors),
        }
    }

    /// The raw-text form of this record: `Enterprise::from_input(&e.to_input())` gives `e` back.
    pub fn to_input(&self) -> EnterpriseInput {
        EnterpriseInput {
            credit_code: self.credit_code.to_string(),
            name: self.name.clone(),
            region_code: self.region_code.to_string(),
            address: self.address.clone(),
            longitude: self.location.as_ref().map(|l| l.longitude.to_string()).unwrap_or_default(),
            latitude: self.location.as_ref().map(|l| l.latitude.to_string()).unwrap_or_default(),
            industry: self.industry.key().to_owned(),
            sectors: self.sectors.iter().map(|s| s.label_zh()).collect::<Vec<_>>().join(";"),
            scale: self.scale.label_zh().to_owned(),
            principal_name: self.principal.name.clone(),
            principal_phone: self.principal.phone.clone(),
            safety_manager_name: self.safety_manager.name.clone(),
            safety_manager_phone: self.safety_manager.phone.clone(),
            standardization: self.standardization.label_zh().to_owned(),
            licences: self.licences.iter().map(|l| format!("{}|{}|{}", l.kind, l.number, l.expires_on)).collect::<Vec<_>>().join(";"),
            insurer: self.insurance.as_ref().map(|i| i.insurer.clone()).unwrap_or_default(),
            insurance_cover_yuan: self.insurance.as_ref().map(|i| i.cover_per_person_yuan.to_string()).unwrap_or_default(),
            insurance_expires_on: self.insurance.as_ref().map(|i| i.expires_on.to_string()).unwrap_or_default(),
        }
    }
}

fn clip(text: &str) -> String {
    let clipped: String = text.trim().chars().take(40).collect();
    if text.trim().chars().count() > 40 { format!("{clipped}…") } else { clipped }
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([';', '；', '、', ',', '，', '|', '\n']).map(str::trim).filter(|s| !s.is_empty())
}

/// Trims and checks a free-text field: length in characters and no control characters.
fn checked_text(text: &str, max_chars: usize, required: bool) -> Result<String, Message> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(message!("enterprises.required"));
    }
    let count = text.chars().count();
    if count > max_chars {
        return Err(message!("enterprises.too_long_characters", count = count, max_chars = max_chars));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(message!("enterprises.contains_control_characters"));
    }
    Ok(text.to_owned())
}

fn checked_person(name: &str, phone: &str) -> Result<Person, Message> {
    let name = checked_text(name, PERSON_MAX_CHARS, false)
        .map_err(|m| message!("enterprises.field_problem", field => message!("enterprises.field.person_name"), problem => m))?;
    let phone = phone.trim();
    if phone.chars().count() > PHONE_MAX_CHARS || !phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' ' | '(' | ')')) {
        return Err(message!("enterprises.phone_number_not_valid", value = clip(phone)));
    }
    Ok(Person { name, phone: phone.to_owned() })
}

fn parse_location(longitude: &str, latitude: &str) -> Result<Option<GeoPoint>, Message> {
    let (longitude, latitude) = (longitude.trim(), latitude.trim());
    if longitude.is_empty() && latitude.is_empty() {
        return Ok(None);
    }
    let parse = |text: &str| text.parse::<f64>().ok().filter(|v| v.is_finite());
    match (parse(longitude), parse(latitude)) {
        (Some(lon), Some(lat)) if (73.0..=136.0).contains(&lon) && (3.0..=54.0).contains(&lat) => Ok(Some(GeoPoint { longitude: lon, latitude: lat })),
        _ => Err(message!("enterprises.longitude_latitude_must_decimal_degrees_within", value = clip(longitude), value2 = clip(latitude))),
    }
}

/// Parses a date written `YYYY-MM-DD` (also `YYYY/MM/DD` and `YYYY.MM.DD`, as spreadsheets write them).
pub fn parse_date(text: &str) -> Option<Date> {
    let normalised: String = text.trim().chars().map(|c| if c == '/' || c == '.' { '-' } else { c }).collect();
    let mut parts = normalised.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
}

fn parse_licences(text: &str) -> Result<Vec<Licence>, Message> {
    let mut licences = Vec::new();
    for entry in text.split([';', '；', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        let fields: Vec<&str> = entry.split('|').map(str::trim).collect();
        let [kind, number, expires_on] = fields[..] else {
            return Err(message!("enterprises.licence_written_kind_number_yyyy_mm", value = clip(entry)));
        };
        let kind = checked_text(kind, NAME_MAX_CHARS, true)
            .map_err(|m| message!("enterprises.field_problem", field => message!("enterprises.field.licence_kind"), problem => m))?;
        let number = checked_text(number, NAME_MAX_CHARS, true)
            .map_err(|m| message!("enterprises.field_problem", field => message!("enterprises.field.licence_number"), problem => m))?;
        let expires_on = parse_date(expires_on).ok_or_else(|| message!("enterprises.licence_expiry_not_date", value = clip(expires_on)))?;
        licences.push(Licence { kind, number, expires_on });
    }
    if licences.len() > LICENCES_MAX {
        return Err(message!("enterprises.most_licences", licences_max = LICENCES_MAX));
    }
    Ok(licences)
}

fn parse_insurance(input: &EnterpriseInput) -> Result<Option<Insurance>, Message> {
    let (insurer, cover, expires_on) = (input.insurer.trim(), input.insurance_cover_yuan.trim(), input.insurance_expires_on.trim());
    if insurer.is_empty() && cover.is_empty() && expires_on.is_empty() {
        return Ok(None);
    }
    let insurer = checked_text(insurer, NAME_MAX_CHARS, true)
        .map_err(|m| message!("enterprises.field_problem", field => message!("enterprises.field.insurer"), problem => m))?;
    let cover_per_person_yuan = cover
        .parse::<i64>()
        .ok()
        .filter(|v| (1..=100_000_000).contains(v))
        .ok_or_else(|| message!("enterprises.cover_must_whole_yuan", value = clip(cover)))?;
    let expires_on = parse_date(expires_on).ok_or_else(|| message!("enterprises.insurance_expiry_not_date", value = clip(expires_on)))?;
    Ok(Some(Insurance { insurer, cover_per_person_yuan, expires_on }))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_input() -> EnterpriseInput {
        EnterpriseInput {
            credit_code: "91220101MA0000001X".into(),
            name: "长春示例化工有限公司".into(),
            region_code: "220104".into(),
            address: "长春市朝阳区示例路1号".into(),
            longitude: "125.3".into(),
            latitude: "43.8".into(),
            industry: "C".into(),
            sectors: "危险化学品;粉尘涉爆".into(),
            scale: "中型".into(),
            principal_name: "张三".into(),
            principal_phone: "13800000000".into(),
            safety_manager_name: "李四".into(),
            safety_manager_phone: "0431-88888888".into(),
            standardization: "二级".into(),
            licences: "安全生产许可证|(吉)WH安许证字[2024]0001|2027-05-01".into(),
            insurer: "中国人民财产保险".into(),
            insurance_cover_yuan: "400000".into(),
            insurance_expires_on: "2027-01-31".into(),
        }
    }

    fn valid_input() -> EnterpriseInput {
        let mut input = sample_input();
        input.credit_code = CreditCode::complete("91220101MA0000001").unwrap().to_string();
        input
    }

    #[test]
    fn a_valid_record_round_trips_through_its_text_form() {
        let enterprise = Enterprise::from_input(&valid_input()).unwrap();
        assert_eq!(enterprise.sectors.len(), 2);
        assert_eq!(enterprise.licences[0].expires_on, Date::constant(2027, 5, 1));
        assert_eq!(Enterprise::from_input(&enterprise.to_input()).unwrap(), enterprise);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut input = valid_input();
        input.credit_code = "123".into();
        input.name = " ".into();
        input.industry = "Z".into();
        input.sectors = "危险化学品;飞行".into();
        input.longitude = "200".into();
        input.licences = "许可证只有名字".into();
        input.insurance_cover_yuan = "-5".into();
        let errors = Enterprise::from_input(&input).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["credit_code", "name", "location", "industry", "sectors", "licences", "insurance"]);
    }

    #[test]
    fn injection_strings_are_kept_verbatim_as_text() {
        let mut input = valid_input();
        input.name = "<script>alert(1)</script>'; DROP TABLE enterprises;--".into();
        let enterprise = Enterprise::from_input(&input).unwrap();
        assert_eq!(enterprise.name, input.name);
    }

    #[test]
    fn labels_and_keys_parse() {
        assert_eq!(Scale::parse("中型"), Some(Scale::Medium));
        assert_eq!(Scale::parse("medium"), Some(Scale::Medium));
        assert_eq!(StandardizationGrade::parse("Level 1"), Some(StandardizationGrade::Level1));
        assert_eq!(parse_date("2027/5/1"), Some(Date::constant(2027, 5, 1)));
        assert_eq!(parse_date("2027-02-30"), None);
    }

    #[test]
    fn a_licence_is_flagged_after_its_last_day_and_in_the_ninety_before() {
        let licence = Licence { kind: "危险化学品经营许可证".into(), number: "1".into(), expires_on: jiff::civil::date(2026, 6, 30) };
        assert_eq!(licence.flag(jiff::civil::date(2026, 6, 30)), Some("expiring"), "valid on its last day");
        assert_eq!(licence.flag(jiff::civil::date(2026, 7, 1)), Some("expired"));
        assert_eq!(licence.flag(jiff::civil::date(2026, 4, 1)), Some("expiring"), "90 days before");
        assert_eq!(licence.flag(jiff::civil::date(2026, 3, 31)), None);
    }
}
