//! The record of a checklist run: what its page shows (`RunView`), and its PDF, with the answers,
//! the photos of failed items, where and when the check was done, and the signature. The PDF is
//! written by the `pdf` crate with a CJK font found once per process (`DocumentFont`).

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result};

/// The font documents are written in: the configured file, or the first CJK font the system has
/// (`pdf::Fonts::discover`), read once, on first use, and kept (a font installed later is found
/// after a restart); and the one permit to render a document, so that requests for documents
/// queue instead of taking the machine's cores together. Every clone of the application shares
/// both.
#[derive(Debug, Clone)]
pub struct DocumentFont {
    configured: Option<PathBuf>,
    loaded: Arc<tokio::sync::OnceCell<std::result::Result<pdf::Fonts, String>>>,
    rendering: Arc<tokio::sync::Semaphore>,
}

impl Default for DocumentFont {
    fn default() -> Self {
        Self::new(None)
    }
}

/// How long a request for a document waits for the one rendering before it is told to retry.
const RENDER_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

impl DocumentFont {
    pub fn new(configured: Option<PathBuf>) -> Self {
        Self { configured, loaded: Default::default(), rendering: Arc::new(tokio::sync::Semaphore::new(1)) }
    }

    /// The font, read by the first request that needs it while the others wait (off the async
    /// threads: a CJK font is some 20 MB).
    async fn fonts(&self) -> Result<pdf::Fonts> {
        let configured = self.configured.clone();
        let loaded = self
            .loaded
            .get_or_init(|| async move {
                let found = tokio::task::spawn_blocking(move || pdf::Fonts::discover(configured.as_deref()).map_err(|error| error.to_string()))
                    .await
                    .unwrap_or_else(|error| Err(format!("font loading stopped: {error}")));
                if let Err(reason) = &found {
                    tracing::warn!(%reason, "no font for PDF documents");
                }
                found
            })
            .await;
        loaded.clone().map_err(|_| no_font())
    }

    /// Renders a document under the one permit.
    async fn render(&self, document: pdf::Document) -> Result<Vec<u8>> {
        let fonts = self.fonts().await?;
        let _permit = match tokio::time::timeout(RENDER_WAIT, self.rendering.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(AppError::Busy(domain::message!("checklists.documents_busy"))),
        };
        tokio::task::spawn_blocking(move || pdf::render(&document, &fonts))
            .await
            .map_err(|error| AppError::Internal(format!("PDF rendering stopped: {error}")))?
            .map_err(|error| AppError::Internal(format!("PDF rendering: {error}")))
    }
}

fn no_font() -> AppError {
    AppError::Unavailable(domain::message!("checklists.no_document_font"))
}

/// One item of a recorded run as its page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunItemView {
    pub code: String,
    pub item: String,
    /// `major` or `general`: the grade of the danger a failure reports.
    pub consequence: String,
    pub passed: bool,
    pub note: String,
    /// The hidden danger the failure reported.
    pub danger_id: Option<i64>,
    /// Ids of the photos taken of it (the danger's photos).
    pub photo_ids: Vec<i64>,
}

/// A recorded checklist run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub id: i64,
    pub checklist_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    /// `self_check`, `inspection` or `campaign`.
    pub kind: String,
    pub campaign_name: Option<String>,
    pub run_by: String,
    /// When the server recorded it, and when the device started and finished it (epoch ms).
    pub run_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub signed_by: String,
    pub signed: bool,
    pub signature_refused: bool,
    pub items: Vec<RunItemView>,
}

impl RunView {
    pub fn failed(&self) -> usize {
        self.items.iter().filter(|i| !i.passed).count()
    }
}

/// A label in the reader's language.
fn say(english: bool, zh: &'static str, en: &'static str) -> &'static str {
    if english { en } else { zh }
}

fn kind_label(kind: &str, english: bool) -> &'static str {
    match kind {
        "self_check" => say(english, "企业自查", "Self-check"),
        "campaign" => say(english, "专项整治检查", "Campaign check"),
        _ => say(english, "监督检查", "Inspection"),
    }
}

impl App {
    /// A recorded run, for its enterprise, the person who ran it and the regulators of its
    /// territory.
    pub async fn checklist_run_view(&self, actor: &Actor, client: &Client, id: i64) -> Result<RunView> {
        let row = self.store.checklist_run(id).await;
        let allowed = row.as_ref().is_ok_and(|row| {
            policy::allows(
                actor,
                Action::ReadChecklistRun { enterprise_id: row.enterprise_id, ran_it: row.run_by == actor.user_id, region_path: &row.region_path },
            )
        });
        if !allowed {
            return Err(self.denied(actor, client, "checklist_run.read", format!("checklist_run:{id}")).await);
        }
        let row = row?;
        // The photos this check took, not those added to its dangers later.
        let photos = self.store.checklist_run_photos(id).await?;
        let mut items = Vec::new();
        for result in self.store.checklist_run_results(id).await? {
            let photo_ids = photos.iter().filter(|(danger, _)| Some(*danger) == result.danger_id).map(|(_, photo)| *photo).collect();
            items.push(RunItemView {
                code: result.code,
                item: result.item,
                consequence: result.consequence,
                passed: result.passed,
                note: result.note,
                danger_id: result.danger_id,
                photo_ids,
            });
        }
        Ok(RunView {
            id: row.id,
            checklist_name: row.checklist_name,
            enterprise_id: row.enterprise_id,
            enterprise_name: row.enterprise_name,
            kind: row.kind,
            campaign_name: row.campaign_name,
            run_by: row.run_by_name,
            run_at: row.run_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            latitude: row.latitude,
            longitude: row.longitude,
            accuracy_m: row.accuracy_m,
            signed_by: row.signed_by,
            signed: row.signature.is_some(),
            signature_refused: row.signature_refused,
            items,
        })
    }

    /// The drawn signature of a run the caller may read (a PNG).
    pub async fn checklist_run_signature(&self, actor: &Actor, client: &Client, id: i64) -> Result<Vec<u8>> {
        self.checklist_run_view(actor, client, id).await?;
        self.store.checklist_run(id).await?.signature.ok_or(AppError::NotFound)
    }

    /// A photo of a run's failed item, if the caller may read the run: (content type, bytes).
    pub async fn checklist_run_photo(&self, actor: &Actor, client: &Client, id: i64, photo_id: i64) -> Result<(String, Vec<u8>)> {
        let view = self.checklist_run_view(actor, client, id).await?;
        if !view.items.iter().any(|item| item.photo_ids.contains(&photo_id)) {
            return Err(AppError::NotFound);
        }
        let (_, content_type, bytes) = self.store.danger_photo(photo_id).await?;
        Ok((content_type, bytes))
    }

    /// The run's record as a PDF in the reader's language: the enterprise and checklist, who
    /// checked when and where, every item with its answer and note, the photos of the failed
    /// items, and the signature or the refusal to sign.
    pub async fn checklist_run_pdf(&self, actor: &Actor, client: &Client, id: i64, english: bool) -> Result<Vec<u8>> {
        let view = self.checklist_run_view(actor, client, id).await?;
        let signature = self.store.checklist_run(id).await?.signature;
        let mut photos = Vec::new();
        for item in view.items.iter().filter(|item| !item.passed) {
            for (n, photo_id) in item.photo_ids.iter().enumerate() {
                let (_, _, bytes) = self.store.danger_photo(*photo_id).await?;
                photos.push((bytes, format!("{} · {}", item.code, n + 1)));
            }
        }
        let document = run_document(&view, signature, photos, english);
        let bytes = self.checklist_font.render(document).await?;
        // Taking the record away (names, signature, position, photos) is audited like an export.
        let event = crate::audit_event(
            Some(actor),
            client,
            "checklist_run.export",
            format!("checklist_run:{id}"),
            domain::audit::Outcome::Success,
            serde_json::json!({"format": "pdf", "bytes": bytes.len()}),
        );
        self.store.record_audit(&event).await?;
        Ok(bytes)
    }
}

/// The document of a run, in the reader's language.
fn run_document(view: &RunView, signature: Option<Vec<u8>>, photos: Vec<(Vec<u8>, String)>, english: bool) -> pdf::Document {
    let time = |at: Option<i64>| at.map(domain::time::local_text).unwrap_or_else(|| say(english, "未记录", "not recorded").to_owned());
    let position = match (view.latitude, view.longitude) {
        (Some(latitude), Some(longitude)) => {
            let accuracy = view.accuracy_m.map(|a| format!(" (±{a:.0} m)")).unwrap_or_default();
            format!("{latitude:.6}, {longitude:.6}{accuracy}")
        }
        _ => say(english, "设备未能定位", "the device gave no position").to_owned(),
    };
    let mut fields = vec![
        (say(english, "被检查单位", "Enterprise").to_owned(), view.enterprise_name.clone()),
        (say(english, "检查清单", "Checklist").to_owned(), view.checklist_name.clone()),
        (say(english, "检查类别", "Kind").to_owned(), kind_label(&view.kind, english).to_owned()),
    ];
    if let Some(campaign) = &view.campaign_name {
        fields.push((say(english, "专项整治", "Campaign").to_owned(), campaign.clone()));
    }
    fields.extend([
        (say(english, "检查人", "Checked by").to_owned(), view.run_by.clone()),
        (say(english, "开始时间", "Started").to_owned(), time(view.started_at)),
        (say(english, "完成时间", "Finished").to_owned(), time(view.finished_at)),
        (say(english, "上传时间", "Recorded").to_owned(), domain::time::local_text(view.run_at)),
        (say(english, "检查位置", "Position").to_owned(), position),
        (
            say(english, "检查结果", "Result").to_owned(),
            if english {
                format!("{} items, {} not met", view.items.len(), view.failed())
            } else {
                format!("共 {} 项,不符合 {} 项", view.items.len(), view.failed())
            },
        ),
    ]);
    let rows = view
        .items
        .iter()
        .map(|item| {
            let answer = if item.passed { say(english, "符合", "Met") } else { say(english, "不符合", "Not met") };
            let grade = if item.consequence == "major" { say(english, "重大", "Major") } else { say(english, "一般", "General") };
            let danger = item.danger_id.map(|id| format!("#{id}")).unwrap_or_default();
            vec![item.code.clone(), item.item.clone(), grade.to_owned(), answer.to_owned(), item.note.clone(), danger]
        })
        .collect();
    let mut blocks = vec![
        pdf::Block::Title(say(english, "安全生产检查记录", "Work-safety check record").to_owned()),
        pdf::Block::Paragraph(format!("{} {}", say(english, "编号", "No."), view.id)),
        pdf::Block::Fields(fields),
        pdf::Block::Heading(say(english, "检查项目", "Items checked").to_owned()),
        pdf::Block::Table {
            widths: vec![0.7, 4.0, 0.8, 0.9, 2.4, 0.8],
            header: [
                say(english, "序号", "No."),
                say(english, "检查内容", "Item"),
                say(english, "后果", "Grade"),
                say(english, "结论", "Answer"),
                say(english, "情况说明", "Note"),
                say(english, "隐患", "Danger"),
            ]
            .map(str::to_owned)
            .to_vec(),
            rows,
        },
    ];
    if !photos.is_empty() {
        blocks.push(pdf::Block::Heading(say(english, "不符合项照片", "Photos of items not met").to_owned()));
        blocks.push(pdf::Block::Images(photos));
    }
    // The signature stays with its heading and signer.
    blocks.push(pdf::Block::KeepSpace(180.0));
    blocks.push(pdf::Block::Heading(say(english, "被检查单位签字", "Signed for the enterprise").to_owned()));
    let signer = if view.signed_by.is_empty() { say(english, "未填写", "not given").to_owned() } else { view.signed_by.clone() };
    blocks.push(pdf::Block::Fields(vec![(say(english, "签字人", "Signed by").to_owned(), signer)]));
    match signature {
        Some(bytes) if !view.signature_refused => blocks.push(pdf::Block::Image { bytes, caption: String::new(), max_height_pt: 90.0 }),
        _ if view.signature_refused => blocks.push(pdf::Block::Paragraph(
            say(english, "被检查单位负责人拒绝签字,由检查人员注明。", "The enterprise's representative refused to sign; noted by the inspector.").to_owned(),
        )),
        _ => blocks.push(pdf::Block::Paragraph(say(english, "未签字。", "Not signed.").to_owned())),
    }
    pdf::Document {
        title: format!("{} · {}", say(english, "安全生产检查记录", "Work-safety check record"), view.enterprise_name),
        language: say(english, "zh-CN", "en").to_owned(),
        footer: format!("{} · {} {}", view.enterprise_name, say(english, "记录编号", "record"), view.id),
        page_of: say(english, "第 {page} 页,共 {pages} 页", "Page {page} of {pages}").to_owned(),
        blocks,
    }
}
