//! Exports: every table a user takes away (CSV or XLSX) is written here and recorded in the audit
//! log with what was exported and how many rows, in the same step. Access is decided by the use
//! case that read the rows; this is the one way an export leaves the system.

use domain::audit::Outcome;

use crate::policy::Actor;
use crate::spreadsheet::{Column, SpreadsheetFormat, write_table};
use crate::{App, AppError, Client, Result, audit_event};

/// What is exported: the audit action and target, and the sheet.
pub struct Export<'a> {
    /// The audit action (`<area>.export`, or `<area>.export_<what>`).
    pub action: &'static str,
    /// The audit target (`enterprise:12`, `hidden_dangers`, …).
    pub target: String,
    pub format: SpreadsheetFormat,
    pub sheet_name: &'a str,
    pub columns: &'a [Column<'a>],
    /// More to record beside the format and the row count (a filter, a year), or `null`.
    pub details: serde_json::Value,
}

/// The audit event of an export of `rows` rows: the caller's details, then the format and the
/// row count (which the details cannot override).
pub(crate) fn export_event(actor: &Actor, client: &Client, export: Export<'_>, rows: usize) -> domain::audit::AuditEvent {
    let mut details = match export.details {
        serde_json::Value::Object(more) => more,
        _ => serde_json::Map::new(),
    };
    details.insert("format".into(), export.format.extension().into());
    details.insert("rows".into(), rows.into());
    audit_event(Some(actor), client, export.action, export.target, Outcome::Success, serde_json::Value::Object(details))
}

impl App {
    /// Writes the table and records the export; the file's bytes. The rows are read before the
    /// returned future first runs, so they may borrow from the caller.
    pub fn export_table<'s>(
        &'s self,
        actor: &Actor,
        client: &Client,
        export: Export<'_>,
        rows: impl Iterator<Item = Vec<String>>,
    ) -> impl Future<Output = Result<Vec<u8>>> + Send + 's {
        let mut count = 0usize;
        let counted = rows.inspect(|_| count += 1);
        let written = write_table(export.format, export.sheet_name, export.columns, counted).map_err(AppError::Internal);
        let event = export_event(actor, client, export, count);
        async move {
            let bytes = written?;
            self.store.record_audit(&event).await?;
            Ok(bytes)
        }
    }
}
