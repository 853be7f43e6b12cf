//! Checklists a unit writes itself: entered item by item on a form or imported from a
//! spreadsheet (序号, 检查内容, 检查依据, 后果 — the template the page offers), checked with each
//! problem named by its item or line, and kept by the unit that wrote them. The shipped
//! checklists are not edited.

use domain::audit::Outcome;
use serde::Deserialize;
use store::NewChecklistItem;

use super::field;
use crate::policy::{self, Action};
use crate::spreadsheet::{Column, SpreadsheetFormat};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// Most items one checklist holds.
pub const CHECKLIST_ITEMS_MAX: usize = 300;

/// One item as entered or imported.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct ItemInput {
    /// 序号: blank numbers the item by its place.
    #[serde(default)]
    pub code: String,
    /// 检查内容.
    #[serde(default)]
    pub item: String,
    /// 检查依据 (the standard and clause).
    #[serde(default)]
    pub basis: String,
    /// `general`/`major` (一般/重大): the grade of the hidden danger a failure reports.
    #[serde(default)]
    pub consequence: String,
}

/// A checklist as its unit writes it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ChecklistInput {
    #[serde(default)]
    pub name: String,
    /// What it is for (e.g. 企业主体责任清单, 打通生命通道专项整治).
    #[serde(default)]
    pub purpose: String,
    /// A high-risk sector's key, or `all`.
    #[serde(default)]
    pub sector: String,
    pub items: Vec<ItemInput>,
}

/// The headings of the import template, in order, in Chinese and English, with the other names
/// each column may go by.
const TEMPLATE: [(&str, &str, &[&str], f64); 4] = [
    ("序号", "No.", &["序号", "编号", "code", "No."], 8.0),
    ("检查内容", "Item", &["检查内容", "检查项目", "item", "Item"], 60.0),
    ("检查依据", "Basis", &["检查依据", "依据", "basis", "Basis"], 40.0),
    (
        "后果(一般/重大)",
        "Consequence (general/major)",
        &["后果(一般/重大)", "后果", "隐患等级", "consequence", "Consequence", "Consequence (general/major)"],
        16.0,
    ),
];

/// Reads the items of a spreadsheet laid out as the template (a header row naming at least the
/// 检查内容 column); each problem names its line.
pub fn items_from_file(file_name: &str, bytes: &[u8]) -> Result<Vec<(usize, ItemInput)>> {
    let invalid = |message| AppError::Invalid(vec![field("file", message)]);
    let format = SpreadsheetFormat::from_file_name(file_name).ok_or_else(|| invalid(domain::message!("checklists.import_type")))?;
    let table = crate::spreadsheet::read_table(format, bytes).map_err(invalid)?;
    let column = |n: usize| table.column(TEMPLATE[n].2);
    let Some(item_column) = column(1) else { return Err(invalid(domain::message!("checklists.import_header"))) };
    let (code_column, basis_column, consequence_column) = (column(0), column(2), column(3));
    if let Some(row) = table.malformed.first() {
        return Err(invalid(domain::message!("checklists.import_line", line = row.line, problem => row.reason.clone())));
    }
    if table.rows.len() > CHECKLIST_ITEMS_MAX {
        return Err(invalid(domain::message!("checklists.too_many_items", max = CHECKLIST_ITEMS_MAX)));
    }
    let cell = |cells: &[String], column: Option<usize>| {
        column.and_then(|c| cells.get(c)).map(|text| crate::spreadsheet::unescape_formula(text.trim()).to_owned()).unwrap_or_default()
    };
    let items: Vec<(usize, ItemInput)> = table
        .rows
        .iter()
        .map(|(line, cells)| {
            let item = ItemInput {
                code: cell(cells, code_column),
                item: cell(cells, Some(item_column)),
                basis: cell(cells, basis_column),
                consequence: cell(cells, consequence_column),
            };
            (*line, item)
        })
        .collect();
    // The form shows a consequence as one of two choices: one it does not know is refused here,
    // by its line, rather than shown as 一般.
    let unknown: Vec<_> = items
        .iter()
        .filter(|(_, item)| !matches!(item.consequence.as_str(), "" | "general" | "major" | "一般" | "重大"))
        .map(|(line, _)| field("items", domain::message!("checklists.item_consequence", line = line)))
        .collect();
    if unknown.is_empty() { Ok(items) } else { Err(AppError::Invalid(unknown)) }
}

/// The import template, in English when `english`: its headings and two example rows.
pub fn template(english: bool) -> Result<Vec<u8>> {
    let columns: Vec<Column> = TEMPLATE.iter().map(|(zh, en, _, width)| Column { heading: if english { en } else { zh }, width: *width }).collect();
    let row = |cells: [&str; 4]| cells.map(str::to_owned).to_vec();
    let rows = if english {
        [
            row(["1", "Is the fire-engine access clear, not occupied, blocked or closed?", "Fire Protection Law, art. 28", "major"]),
            row(["2", "Are the fire-engine access signs and markings legible?", "GB 50016-2014, 7.1.8", "general"]),
        ]
    } else {
        [
            row(["1", "消防车通道是否畅通,有无占用、堵塞、封闭", "《消防法》第二十八条", "重大"]),
            row(["2", "消防车通道标志标线是否清晰", "GB 50016-2014 第7.1.8条", "一般"]),
        ]
    };
    crate::spreadsheet::write_table(SpreadsheetFormat::Xlsx, if english { "Checklist" } else { "检查清单" }, &columns, rows.into_iter())
        .map_err(AppError::Internal)
}

/// The items checked, each problem named by `place(n)` (the item's place on the form or its line
/// in the file).
fn checked_items(items: &[(usize, ItemInput)], problems: &mut Vec<domain::enterprises::FieldError>) -> Vec<NewChecklistItem> {
    let mut checked: Vec<NewChecklistItem> = Vec::new();
    let entered: Vec<&(usize, ItemInput)> =
        items.iter().filter(|(_, i)| !(i.item.trim().is_empty() && i.code.trim().is_empty() && i.basis.trim().is_empty())).collect();
    if entered.is_empty() {
        problems.push(field("items", domain::message!("checklists.no_items")));
    }
    if entered.len() > CHECKLIST_ITEMS_MAX {
        problems.push(field("items", domain::message!("checklists.too_many_items", max = CHECKLIST_ITEMS_MAX)));
        return checked;
    }
    for (place, (line, input)) in entered.iter().enumerate() {
        let code = match input.code.trim() {
            "" => (place + 1).to_string(),
            code => code.to_owned(),
        };
        let item = input.item.trim();
        let basis = input.basis.trim();
        let consequence = match input.consequence.trim() {
            "general" | "一般" | "" => "general",
            "major" | "重大" => "major",
            _ => {
                problems.push(field("items", domain::message!("checklists.item_consequence", line = line)));
                "general"
            }
        };
        if item.is_empty() || item.chars().count() > 500 {
            problems.push(field("items", domain::message!("checklists.item_text", line = line)));
        }
        if basis.chars().count() > 300 {
            problems.push(field("items", domain::message!("checklists.item_basis", line = line)));
        }
        if code.chars().count() > 20 || code.chars().any(char::is_control) {
            problems.push(field("items", domain::message!("checklists.item_code", line = line)));
        } else if checked.iter().any(|c| c.code == code) {
            problems.push(field("items", domain::message!("checklists.item_code_repeated", line = line, code = code)));
        }
        checked.push(NewChecklistItem { code, item: item.to_owned(), basis: basis.to_owned(), consequence: consequence.to_owned() });
    }
    checked
}

impl App {
    /// Whether the actor may write checklists of its unit, or edit this one (`id`).
    pub async fn may_edit_checklist(&self, actor: &Actor, id: Option<i64>) -> Result<bool> {
        let owner = match id {
            Some(id) => match self.store.checklist(id).await?.owner_unit_id {
                Some(owner) => Some(owner),
                // A shipped checklist is not edited.
                None => return Ok(false),
            },
            None => None,
        };
        Ok(policy::allows(actor, Action::ManageChecklist { owner_unit_id: owner }))
    }

    /// Writes a checklist of the actor's unit (`id` none) or edits one of its own. The items are
    /// `(place, item)`: the place names a problem (the item's number on the form, or its line in
    /// an imported file).
    pub async fn save_checklist(&self, actor: &Actor, client: &Client, id: Option<i64>, input: &ChecklistInput, places: &[usize]) -> Result<i64> {
        let target = id.map_or_else(|| "checklists".to_owned(), |id| format!("checklist:{id}"));
        if !self.may_edit_checklist(actor, id).await.unwrap_or(false) {
            return Err(self.denied(actor, client, "checklist.save", target).await);
        }
        let mut problems = Vec::new();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            problems.push(field("name", domain::message!("checklists.name_required")));
        }
        let purpose = input.purpose.trim();
        if purpose.chars().count() > 200 {
            problems.push(field("purpose", domain::message!("checklists.purpose_too_long")));
        }
        let sector = match input.sector.trim() {
            "" | "all" => "all",
            key => match domain::enterprises::HighRiskSector::ALL.iter().find(|s| s.key() == key) {
                Some(sector) => sector.key(),
                None => {
                    problems.push(field("sector", domain::message!("checklists.sector_unknown")));
                    "all"
                }
            },
        };
        let numbered: Vec<(usize, ItemInput)> =
            input.items.iter().enumerate().map(|(n, item)| (places.get(n).copied().unwrap_or(n + 1), item.clone())).collect();
        let items = checked_items(&numbered, &mut problems);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event = audit_event(
            Some(actor),
            client,
            if id.is_some() { "checklist.edit" } else { "checklist.create" },
            target,
            Outcome::Success,
            serde_json::json!({"name": name, "items": items.len()}),
        );
        Ok(self.store.save_checklist(id, actor.unit_id, name, sector, purpose, &items, &event).await?)
    }
}
