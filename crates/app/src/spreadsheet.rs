//! Enterprise spreadsheets: the column set shared by import and export, CSV (UTF-8 with BOM on
//! export; UTF-8, UTF-16 or GB18030 on import) and XLSX, and formula-injection escaping.
//! An exported file re-imports cleanly, because both directions use `COLUMNS`.

use domain::message::Message;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use domain::enterprises::EnterpriseInput;
use serde::Serialize;

/// Largest file accepted, in bytes.
pub const IMPORT_BYTES_MAX: usize = 10 * 1024 * 1024;
/// Largest number of data rows in one file.
pub const IMPORT_ROWS_MAX: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpreadsheetFormat {
    Csv,
    Xlsx,
}

impl SpreadsheetFormat {
    /// The format named by a file name's extension.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Self::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(Self::Xlsx)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The columns, in order: the field key, the Chinese and the English heading (each accepted as a
/// header when importing).
pub const COLUMNS: [(&str, &str, &str); 18] = [
    ("credit_code", "统一社会信用代码", "Unified social credit code"),
    ("name", "企业名称", "Enterprise name"),
    ("region_code", "行政区划代码", "Region code"),
    ("address", "地址", "Address"),
    ("longitude", "经度", "Longitude"),
    ("latitude", "纬度", "Latitude"),
    ("industry", "行业门类", "Industry section"),
    ("sectors", "高危行业", "High-risk sectors"),
    ("scale", "企业规模", "Scale"),
    ("principal_name", "主要负责人", "Principal"),
    ("principal_phone", "主要负责人电话", "Principal's phone"),
    ("safety_manager_name", "安全管理负责人", "Safety manager"),
    ("safety_manager_phone", "安全管理负责人电话", "Safety manager's phone"),
    ("standardization", "标准化等级", "Standardization grade"),
    ("licences", "许可证", "Licences"),
    ("insurer", "安责险承保公司", "Work-safety liability insurer"),
    ("insurance_cover_yuan", "安责险每人保额(元)", "Cover per person (yuan)"),
    ("insurance_expires_on", "安责险到期日", "Insurance expires on"),
];

const REQUIRED: [&str; 5] = ["credit_code", "name", "region_code", "industry", "scale"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub line: usize,
    pub reason: Message,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub created: usize,
    pub updated: usize,
    pub rejected: Vec<RejectedRow>,
}

/// Rows read from a file, each with its line number (the header is line 1).
#[derive(Debug, Default)]
pub struct ParsedRows {
    pub rows: Vec<(usize, EnterpriseInput)>,
    pub rejected: Vec<RejectedRow>,
}

/// A sheet as read: its header (the first row that holds anything), its other non-empty rows
/// with their line numbers as a spreadsheet shows them, and the rows that could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
    pub malformed: Vec<RejectedRow>,
}

impl Table {
    /// The index of the first column whose heading is one of `names` (trimmed, as written).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.header.iter().position(|heading| names.contains(&heading.trim()))
    }
}

fn field_mut<'a>(input: &'a mut EnterpriseInput, key: &str) -> Option<&'a mut String> {
    Some(match key {
        "credit_code" => &mut input.credit_code,
        "name" => &mut input.name,
        "region_code" => &mut input.region_code,
        "address" => &mut input.address,
        "longitude" => &mut input.longitude,
        "latitude" => &mut input.latitude,
        "industry" => &mut input.industry,
        "sectors" => &mut input.sectors,
        "scale" => &mut input.scale,
        "principal_name" => &mut input.principal_name,
        "principal_phone" => &mut input.principal_phone,
        "safety_manager_name" => &mut input.safety_manager_name,
        "safety_manager_phone" => &mut input.safety_manager_phone,
        "standardization" => &mut input.standardization,
        "licences" => &mut input.licences,
        "insurer" => &mut input.insurer,
        "insurance_cover_yuan" => &mut input.insurance_cover_yuan,
        "insurance_expires_on" => &mut input.insurance_expires_on,
        _ => return None,
    })
}

fn field_value<'a>(input: &'a EnterpriseInput, key: &str) -> &'a str {
    match key {
        "credit_code" => &input.credit_code,
        "name" => &input.name,
        "region_code" => &input.region_code,
        "address" => &input.address,
        "longitude" => &input.longitude,
        "latitude" => &input.latitude,
        "industry" => &input.industry,
        "sectors" => &input.sectors,
        "scale" => &input.scale,
        "principal_name" => &input.principal_name,
        "principal_phone" => &input.principal_phone,
        "safety_manager_name" => &input.safety_manager_name,
        "safety_manager_phone" => &input.safety_manager_phone,
        "standardization" => &input.standardization,
        "licences" => &input.licences,
        "insurer" => &input.insurer,
        "insurance_cover_yuan" => &input.insurance_cover_yuan,
        "insurance_expires_on" => &input.insurance_expires_on,
        _ => "",
    }
}

/// Maps header cells to field keys; fails if a required column is missing.
fn map_header(header: &[String]) -> Result<Vec<Option<&'static str>>, Message> {
    let mapped: Vec<Option<&'static str>> = header
        .iter()
        .map(|cell| {
            let cell = cell.trim().trim_start_matches('\u{feff}');
            COLUMNS.iter().find(|(key, zh, en)| *key == cell || *zh == cell || en.eq_ignore_ascii_case(cell)).map(|(key, _, _)| *key)
        })
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|key| !mapped.contains(&Some(**key)))
        .map(|key| COLUMNS.iter().find(|(k, _, _)| k == key).map(|(_, zh, _)| *zh).unwrap_or(key))
        .collect();
    if missing.is_empty() {
        Ok(mapped)
    } else {
        Err(domain::message!("spreadsheet.header_line_1_lacks_required_columns", columns_zh = missing.join("、"), columns_en = missing.join(", ")))
    }
}

fn row_to_input(mapping: &[Option<&'static str>], cells: &[String]) -> EnterpriseInput {
    let mut input = EnterpriseInput::default();
    for (key, cell) in mapping.iter().zip(cells) {
        if let Some(key) = key
            && let Some(field) = field_mut(&mut input, key)
        {
            *field = unescape_formula(cell).to_owned();
        }
    }
    input
}

/// Decodes CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK as Excel
/// saves it on Chinese Windows. Anything else is refused rather than stored as mojibake.
pub fn decode_text(bytes: &[u8]) -> Result<String, Message> {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        if had_errors {
            return Err(domain::message!("spreadsheet.file_has_byte_order_mark_but", name = encoding.name()));
        }
        return Ok(text.into_owned());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(text.into_owned()),
        None => Err(domain::message!("spreadsheet.file_neither_utf_8_nor_gb18030")),
    }
}

/// Reads every data row of a file. File-level problems (size, encoding, header, row count) are
/// an `Err`; row-level problems are left to the caller's validation.
pub fn read_enterprise_rows(format: SpreadsheetFormat, bytes: &[u8]) -> Result<ParsedRows, Message> {
    let table = read_table(format, bytes)?;
    let mapping = map_header(&table.header)?;
    Ok(ParsedRows { rows: table.rows.iter().map(|(line, cells)| (*line, row_to_input(&mapping, cells))).collect(), rejected: table.malformed })
}

/// Reads the first sheet of an XLSX or a CSV file, bounded in bytes, rows and cells before it
/// allocates; empty rows are left out.
pub fn read_table(format: SpreadsheetFormat, bytes: &[u8]) -> Result<Table, Message> {
    if bytes.len() > IMPORT_BYTES_MAX {
        return Err(domain::message!("spreadsheet.file_larger_than_mb", value = IMPORT_BYTES_MAX >> 20));
    }
    match format {
        SpreadsheetFormat::Csv => read_csv(bytes),
        SpreadsheetFormat::Xlsx => read_xlsx(bytes),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, Message> {
    let text = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(record)) => record.iter().map(str::to_owned).collect(),
        Some(Err(error)) => return Err(domain::message!("spreadsheet.line_1_cannot_read", error = error)),
        None => return Err(domain::message!("spreadsheet.file_empty")),
    };
    let mut table = Table { header, ..Default::default() };
    for record in records {
        let count = table.rows.len() + table.malformed.len();
        if count >= IMPORT_ROWS_MAX {
            return Err(domain::message!("spreadsheet.more_than_rows_split_file", import_rows_max = IMPORT_ROWS_MAX));
        }
        match record {
            Ok(record) => {
                let line = record.position().map(|p| p.line() as usize).unwrap_or(count + 2);
                let cells: Vec<String> = record.iter().map(str::to_owned).collect();
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                table.rows.push((line, cells));
            }
            Err(error) => {
                let line = error.position().map(|p| p.line() as usize).unwrap_or(count + 2);
                table.malformed.push(RejectedRow { line, reason: domain::message!("spreadsheet.malformed_csv_row", error = error) });
            }
        }
    }
    Ok(table)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(value) => value.to_string(),
        Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
            format!("{}", *value as i64)
        }
        Data::Float(value) => value.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => excel_serial_to_date(value.as_f64()).unwrap_or_default(),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.chars().take(10).collect(),
        Data::Error(error) => format!("#ERROR {error:?}"),
    }
}

/// Converts an Excel date serial (days since 1899-12-30) to `YYYY-MM-DD`.
fn excel_serial_to_date(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let epoch = jiff::civil::Date::new(1899, 12, 30).ok()?;
    epoch.checked_add(jiff::Span::new().days(serial.floor() as i64)).ok().map(|d| d.to_string())
}

/// Limits on what a workbook may make the reader hold. They are checked on the package before
/// calamine opens it (decompressed sizes by actually inflating each entry into nothing, the
/// shared-string count by scanning) and on each cell as it streams, so that no declared size,
/// dimension or count in the file decides how much is allocated.
pub const XLSX_ENTRIES_MAX: usize = 1_000;
/// Largest decompressed size of one part of the package (a sheet, the shared strings).
pub const XLSX_ENTRY_BYTES_MAX: u64 = 64 * 1024 * 1024;
/// Largest decompressed size of the whole package.
pub const XLSX_TOTAL_BYTES_MAX: u64 = 128 * 1024 * 1024;
/// Most shared strings, declared or present.
pub const XLSX_STRINGS_MAX: u64 = 1_000_000;
/// Rightmost column read (the import's columns fit in the first 18; others are ignored).
pub const XLSX_COLUMNS_MAX: u32 = 256;
/// Most cells kept from the first sheet (50,000 rows of the 18 columns, and some to spare).
pub const XLSX_CELLS_MAX: usize = 1_000_000;

/// Inflates every part of the package into nothing, refusing it once a part or the whole passes
/// its limit, and counts the shared strings (declared and present).
fn check_xlsx_package(bytes: &[u8]) -> Result<(), Message> {
    use std::io::Read;
    let not_xlsx = |e: &dyn std::fmt::Display| domain::message!("spreadsheet.not_valid_xlsx_file", e = e);
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_xlsx(&e))?;
    if archive.len() > XLSX_ENTRIES_MAX {
        return Err(domain::message!("spreadsheet.workbook_has_more_than_parts", xlsx_entries_max = XLSX_ENTRIES_MAX));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| not_xlsx(&e))?;
        let name = entry.name().map_err(|e| not_xlsx(&e))?.into_owned();
        let lower = name.to_ascii_lowercase();
        let is_shared_strings = lower.ends_with("sharedstrings.xml");
        let is_xml = lower.ends_with(".xml");
        let mut part = Vec::new();
        let mut limited = (&mut entry).take(XLSX_ENTRY_BYTES_MAX + 1);
        // Every part is read (within its limit): calamine follows the relationships to a sheet
        // of any name, so the reference check cannot go by the name.
        let size = limited.read_to_end(&mut part).map_err(|e| not_xlsx(&e))? as u64;
        if size > XLSX_ENTRY_BYTES_MAX {
            return Err(domain::message!("spreadsheet.workbook_part_larger_than_mb_decompressed", value = XLSX_ENTRY_BYTES_MAX >> 20, name = name));
        }
        total += size;
        if total > XLSX_TOTAL_BYTES_MAX {
            return Err(domain::message!("spreadsheet.workbook_larger_than_mb_decompressed", value = XLSX_TOTAL_BYTES_MAX >> 20));
        }
        if is_shared_strings {
            check_shared_strings(&part).map_err(|e| domain::message!("spreadsheet.part_problem", name = name, detail => e))?;
        }
        match check_cell_references(&part) {
            Ok(()) => {}
            Err(ReferenceProblem::Reference(problem)) => return Err(domain::message!("spreadsheet.part_problem", name = name, detail => problem)),
            // Images and other binary parts are not XML; an .xml part that is not is refused.
            Err(ReferenceProblem::NotXml(problem)) if is_xml => {
                return Err(domain::message!("spreadsheet.part_problem", name = name, detail => domain::message!("spreadsheet.not_xml", detail = problem)));
            }
            Err(ReferenceProblem::NotXml(_)) => {}
        }
    }
    Ok(())
}

/// The largest cell reference a worksheet can hold (XFD1048576), 1-based.
const EXCEL_COLUMNS_MAX: u32 = 16_384;
const EXCEL_ROWS_MAX: u32 = 1_048_576;

/// A cell reference such as `B7` (or, for `row r`, a bare row number) within the sheet's limits,
/// as 1-based (row, column); a column is optional only where `bare_row_allowed`.
fn cell_reference(text: &str, bare_row_allowed: bool) -> Option<(u32, u32)> {
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (column_part, row_part) = text.split_at(letters);
    if letters > 3 || row_part.is_empty() || row_part.len() > 7 || !row_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if letters == 0 && !bare_row_allowed {
        return None;
    }
    let column = column_part.bytes().fold(0u32, |column, letter| column * 26 + u32::from(letter.to_ascii_uppercase() - b'A') + 1);
    let row: u32 = row_part.parse().ok()?;
    ((1..=EXCEL_ROWS_MAX).contains(&row) && column <= EXCEL_COLUMNS_MAX).then_some((row, column))
}

enum ReferenceProblem {
    /// The part is not well-formed XML.
    NotXml(String),
    /// A dimension, row or cell reference is malformed or out of range.
    Reference(Message),
}

/// Refuses a part whose dimension, row or cell references are malformed or beyond XFD1048576
/// (or a range that ends before it starts): calamine's reference arithmetic overflows on those.
fn check_cell_references(xml: &[u8]) -> Result<(), ReferenceProblem> {
    use quick_xml::events::Event;
    let bad = |what: &str, value: &str| {
        let shown: String = value.chars().take(24).collect();
        domain::message!("spreadsheet.invalid_cell_reference_largest_xfd1048576", what = what, shown = shown)
    };
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(element) | Event::Empty(element)) => {
                let (attribute_name, bare_row_allowed) = match element.local_name().as_ref() {
                    "dimension" => ("ref", false),
                    "row" => ("r", true),
                    "c" => ("r", false),
                    _ => {
                        buffer.clear();
                        continue;
                    }
                };
                for attribute in element.attributes() {
                    let attribute = attribute.map_err(|e| ReferenceProblem::NotXml(e.to_string()))?;
                    if attribute.key.local_name().as_ref() != attribute_name {
                        continue;
                    }
                    let value = attribute.value.trim();
                    let valid = if element.local_name().as_ref() == "dimension" {
                        let mut ends = value.split(':');
                        match (ends.next().and_then(|a| cell_reference(a, false)), ends.next().map(|b| cell_reference(b, false)), ends.next()) {
                            (Some(_), None, None) => true,
                            (Some((row_a, column_a)), Some(Some((row_b, column_b))), None) => row_a <= row_b && column_a <= column_b,
                            _ => false,
                        }
                    } else if bare_row_allowed {
                        value.bytes().all(|b| b.is_ascii_digit()) && cell_reference(value, true).is_some()
                    } else {
                        cell_reference(value, false).is_some()
                    };
                    if !valid {
                        return Err(ReferenceProblem::Reference(bad(attribute_name, value)));
                    }
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(error) => return Err(ReferenceProblem::NotXml(error.to_string())),
        }
        buffer.clear();
    }
}

/// Refuses a shared-string table that declares or holds more than `XLSX_STRINGS_MAX` strings
/// (calamine reserves room for the declared count before reading any).
fn check_shared_strings(xml: &[u8]) -> Result<(), Message> {
    use quick_xml::events::Event;
    let too_many = || domain::message!("spreadsheet.more_than_shared_strings", xlsx_strings_max = XLSX_STRINGS_MAX);
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buffer = Vec::new();
    let mut present: u64 = 0;
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(element) | Event::Empty(element)) => match element.local_name().as_ref() {
                "sst" => {
                    for attribute in element.attributes() {
                        let attribute = attribute.map_err(|e| domain::message!("spreadsheet.not_xml", detail = e))?;
                        if matches!(attribute.key.local_name().as_ref(), "count" | "uniqueCount") {
                            match attribute.value.trim().parse::<u64>() {
                                Ok(n) if n <= XLSX_STRINGS_MAX => {}
                                _ => return Err(too_many()),
                            }
                        }
                    }
                }
                "si" => {
                    present += 1;
                    if present > XLSX_STRINGS_MAX {
                        return Err(too_many());
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(error) => return Err(domain::message!("spreadsheet.not_xml", detail = error)),
        }
        buffer.clear();
    }
}

fn cell_ref_text(cell: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match cell {
        DataRef::SharedString(text) => (*text).to_owned(),
        DataRef::Empty => String::new(),
        DataRef::String(text) => text.clone(),
        DataRef::Int(value) => cell_text(&Data::Int(*value)),
        DataRef::Float(value) => cell_text(&Data::Float(*value)),
        DataRef::Bool(value) => cell_text(&Data::Bool(*value)),
        DataRef::DateTime(value) => cell_text(&Data::DateTime(*value)),
        DataRef::DateTimeIso(text) => cell_text(&Data::DateTimeIso(text.clone())),
        DataRef::DurationIso(text) => cell_text(&Data::DurationIso(text.clone())),
        DataRef::Error(error) => cell_text(&Data::Error(error.clone())),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, Message> {
    check_xlsx_package(bytes)?;
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| domain::message!("spreadsheet.not_valid_xlsx_file", e = e))?;
    let first_sheet = workbook.sheet_names().first().cloned().ok_or_else(|| domain::message!("spreadsheet.workbook_has_no_sheet"))?;
    let cannot_read = |e: calamine::XlsxError| domain::message!("spreadsheet.first_sheet_cannot_read", e = e);
    // Cells are streamed, never laid out by the sheet's declared dimension: a sheet that claims
    // A1:XFD1048576, or holds one cell there, costs what its cells cost.
    let mut reader = workbook.worksheet_cells_reader(&first_sheet).map_err(cannot_read)?;
    // Sparse: each row keeps the cells it has, so a far-right cell costs itself, not the row.
    let mut rows: std::collections::BTreeMap<u32, Vec<(u32, String)>> = std::collections::BTreeMap::new();
    let mut cells_kept = 0usize;
    while let Some(cell) = reader.next_cell().map_err(cannot_read)? {
        let (row, column) = cell.get_position();
        if column >= XLSX_COLUMNS_MAX {
            continue;
        }
        let text = cell_ref_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        cells_kept += 1;
        if cells_kept > XLSX_CELLS_MAX {
            return Err(domain::message!("spreadsheet.sheet_has_more_than_cells", xlsx_cells_max = XLSX_CELLS_MAX));
        }
        if !rows.contains_key(&row) && rows.len() > IMPORT_ROWS_MAX {
            return Err(domain::message!("spreadsheet.more_than_rows_split_file", import_rows_max = IMPORT_ROWS_MAX));
        }
        rows.entry(row).or_default().push((column, text));
    }
    // The header is the first row that holds anything; columns count from the first used one,
    // and only as far as the header reaches are they laid out.
    let first_column = rows.values().flat_map(|cells| cells.iter().map(|(column, _)| *column)).min().unwrap_or(0);
    let width = rows.values().next().map(|header| header.iter().map(|(column, _)| column - first_column + 1).max().unwrap_or(0)).unwrap_or(0) as usize;
    let mut rows = rows.into_iter().map(|(row, cells)| {
        let mut dense = vec![String::new(); width];
        for (column, text) in cells {
            if let Some(slot) = dense.get_mut((column - first_column) as usize) {
                *slot = text;
            }
        }
        (row, dense)
    });
    let header = match rows.next() {
        Some((_, cells)) => cells,
        None => return Err(domain::message!("spreadsheet.sheet_empty")),
    };
    let mut table = Table { header, ..Default::default() };
    for (row, cells) in rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // Line numbers as a spreadsheet shows them (rows count from 1).
        table.rows.push((row as usize + 1, cells));
    }
    Ok(table)
}

/// Prefixes a cell that a spreadsheet would run as a formula with `'`.
pub fn escape_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// Undoes `escape_formula`, so that an exported file re-imports to the same values.
pub fn unescape_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if matches!(rest.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')) => rest,
        _ => cell,
    }
}

/// Writes rows in `COLUMNS` order, headed in Chinese or, when `english`, in English with the
/// sectors, scale and standardisation grade in English words (the import reads either).
pub fn write_enterprise_rows(format: SpreadsheetFormat, rows: &[EnterpriseInput], english: bool) -> Result<Vec<u8>, String> {
    use domain::enterprises::{HighRiskSector, Scale, StandardizationGrade};
    let columns: Vec<Column> = COLUMNS
        .iter()
        .map(|(key, zh, en)| Column {
            heading: if english { en } else { zh },
            width: match *key {
                "name" | "address" | "licences" => 36.0,
                "credit_code" => 22.0,
                _ => 14.0,
            },
        })
        .collect();
    let cell = |row: &EnterpriseInput, key: &str| -> String {
        let value = field_value(row, key);
        if !english {
            return value.to_owned();
        }
        let english_label = |label: Option<&'static str>| label.map_or_else(|| value.to_owned(), str::to_owned);
        match key {
            "sectors" => {
                value.split(';').map(|s| HighRiskSector::parse(s).map_or_else(|| s.to_owned(), |s| s.label_en().to_owned())).collect::<Vec<_>>().join(";")
            }
            "scale" => english_label(Scale::parse(value).map(Scale::label_en)),
            "standardization" => english_label(StandardizationGrade::parse(value).map(StandardizationGrade::label_en)),
            _ => value.to_owned(),
        }
    };
    let cells = rows.iter().map(|row| COLUMNS.iter().map(|(key, _, _)| cell(row, key)).collect());
    write_table(format, if english { "Enterprises" } else { "企业" }, &columns, cells)
}

/// A column of an exported table: its heading and, in XLSX, its width in characters.
pub struct Column<'a> {
    pub heading: &'a str,
    pub width: f64,
}

/// Writes a table as CSV (UTF-8 with BOM, for Excel) or XLSX (text cells, bold frozen header).
/// Every cell is formula-escaped, so a spreadsheet never evaluates exported text.
pub fn write_table(format: SpreadsheetFormat, sheet_name: &str, columns: &[Column<'_>], rows: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>, String> {
    match format {
        SpreadsheetFormat::Csv => {
            let mut buffer = "\u{feff}".as_bytes().to_vec();
            {
                let mut writer = csv::Writer::from_writer(&mut buffer);
                writer.write_record(columns.iter().map(|c| c.heading)).map_err(|e| e.to_string())?;
                for row in rows {
                    writer.write_record(row.iter().map(|cell| escape_formula(cell))).map_err(|e| e.to_string())?;
                }
                writer.flush().map_err(|e| e.to_string())?;
            }
            Ok(buffer)
        }
        SpreadsheetFormat::Xlsx => {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook.add_worksheet();
            sheet.set_name(sheet_name).map_err(|e| e.to_string())?;
            let bold = rust_xlsxwriter::Format::new().set_bold();
            for (index, column) in columns.iter().enumerate() {
                let index = index as u16;
                sheet.write_string_with_format(0, index, column.heading, &bold).map_err(|e| e.to_string())?;
                sheet.set_column_width(index, column.width).map_err(|e| e.to_string())?;
            }
            for (index, row) in rows.enumerate() {
                let line = index as u32 + 1;
                for (column, cell) in row.iter().enumerate() {
                    // Written as text cells, never as formulas; escaped too, for consistency
                    // with CSV and for tools that convert XLSX to CSV.
                    sheet.write_string(line, column as u16, escape_formula(cell)).map_err(|e| e.to_string())?;
                }
            }
            sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
            workbook.save_to_buffer().map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_escaping_round_trips() {
        for cell in ["=1+1", "+86 431 1234", "-5", "@SUM(A1)", "plain", "'quoted", ""] {
            assert_eq!(unescape_formula(&escape_formula(cell)), cell);
        }
        assert_eq!(escape_formula("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
    }

    #[test]
    fn gbk_is_decoded_and_garbage_is_refused() {
        let (gbk, _, _) = encoding_rs::GBK.encode("统一社会信用代码,企业名称");
        assert_eq!(decode_text(&gbk).unwrap(), "统一社会信用代码,企业名称");
        assert!(decode_text(&[0xff, 0xfe, 0x00, 0xd8]).is_err());
        assert!(decode_text(&[0x81, 0x20, 0xff, 0xff]).is_err());
        assert_eq!(decode_text("\u{feff}abc".as_bytes()).unwrap(), "abc");
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let error = read_enterprise_rows(SpreadsheetFormat::Csv, "企业名称,地址\n甲,乙\n".as_bytes()).unwrap_err();
        assert!(error.to_string().contains("统一社会信用代码"), "{error}");
    }

    /// A workbook assembled part by part, so that a test can say exactly what each part claims.
    fn workbook(sheet_xml: &str, shared_strings_xml: Option<&str>) -> Vec<u8> {
        use std::io::Write;
        let mut buffer = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut buffer));
            let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            let mut part = |name: &str, text: &str| {
                zip.start_file(name, options).unwrap();
                zip.write_all(text.as_bytes()).unwrap();
            };
            part(
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#,
            );
            part(
                "_rels/.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            );
            part(
                "xl/workbook.xml",
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="企业" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            );
            let mut relationships = String::from(
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>"#,
            );
            if shared_strings_xml.is_some() {
                relationships.push_str(r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#);
            }
            relationships.push_str("</Relationships>");
            part("xl/_rels/workbook.xml.rels", &relationships);
            part("xl/worksheets/sheet1.xml", sheet_xml);
            if let Some(xml) = shared_strings_xml {
                part("xl/sharedStrings.xml", xml);
            }
            zip.finish().unwrap();
        }
        buffer
    }

    const HEADER_AND_ONE_ROW: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>credit_code</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>region_code</t></is></c><c r="D1" t="inlineStr"><is><t>industry</t></is></c><c r="E1" t="inlineStr"><is><t>scale</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>91220101MA00000000</t></is></c><c r="B2" t="s"><v>0</v></c></row>"#;

    fn sheet(dimension: &str, rows: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
        )
    }

    const ONE_STRING: &str = r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>长春甲公司</t></si></sst>"#;

    #[test]
    fn a_hand_built_workbook_reads() {
        let bytes = workbook(&sheet("A1:E2", HEADER_AND_ONE_ROW), Some(ONE_STRING));
        let parsed = read_enterprise_rows(SpreadsheetFormat::Xlsx, &bytes).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].0, 2);
        assert_eq!(parsed.rows[0].1.credit_code, "91220101MA00000000");
        assert_eq!(parsed.rows[0].1.name, "长春甲公司");
    }

    #[test]
    fn a_sheet_claiming_every_cell_costs_only_its_cells() {
        // The declared dimension once made the reader lay out 17 billion cells and abort.
        let bytes = workbook(&sheet("A1:XFD1048576", HEADER_AND_ONE_ROW), Some(ONE_STRING));
        assert!(bytes.len() < 2048, "the bomb is small: {} bytes", bytes.len());
        let parsed = read_enterprise_rows(SpreadsheetFormat::Xlsx, &bytes).unwrap();
        assert_eq!(parsed.rows.len(), 1);
    }

    #[test]
    fn cells_at_the_far_corner_cost_only_themselves() {
        let far = r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c><c r="A1048576" t="inlineStr"><is><t>91220101MA00000001</t></is></c></row>"#;
        let bytes = workbook(&sheet("A1", &format!("{HEADER_AND_ONE_ROW}{far}")), Some(ONE_STRING));
        let parsed = read_enterprise_rows(SpreadsheetFormat::Xlsx, &bytes).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[1].0, 1_048_576);
        assert_eq!(parsed.rows[1].1.credit_code, "91220101MA00000001");
    }

    #[test]
    fn an_absurd_shared_string_count_is_refused_by_name() {
        for count in ["99999999999999999", "18446744073709551615", "1000001", "-1", "many"] {
            let strings = ONE_STRING.replace(r#"uniqueCount="1""#, &format!(r#"uniqueCount="{count}""#));
            let bytes = workbook(&sheet("A1:E2", HEADER_AND_ONE_ROW), Some(&strings));
            let error = read_enterprise_rows(SpreadsheetFormat::Xlsx, &bytes).unwrap_err();
            assert!(error.to_string().contains("more than 1000000 shared strings"), "{count}: {error}");
        }
    }

    #[test]
    fn a_decompression_bomb_is_refused_by_name() {
        let padding = " ".repeat((XLSX_ENTRY_BYTES_MAX + 1) as usize);
        let bytes = workbook(&sheet("A1:E2", &format!("{HEADER_AND_ONE_ROW}{padding}")), Some(ONE_STRING));
        assert!(bytes.len() < IMPORT_BYTES_MAX, "compressed it fits the upload limit");
        let error = read_enterprise_rows(SpreadsheetFormat::Xlsx, &bytes).unwrap_err();
        assert!(error.to_string().contains("xl/worksheets/sheet1.xml is larger than 64 MB decompressed"), "{error}");
    }

    #[test]
    fn too_many_rows_are_refused() {
        let mut rows = String::from(HEADER_AND_ONE_ROW);
        for row in 3..=(IMPORT_ROWS_MAX + 2) {
            rows.push_str(&format!(r#"<row r="{row}"><c r="A{row}"><v>{row}</v></c></row>"#));
        }
        let bytes = workbook(&sheet("A1", &rows), Some(ONE_STRING));
        let error = read_enterprise_rows(SpreadsheetFormat::Xlsx, &bytes).unwrap_err();
        assert!(error.to_string().contains("more than 50000 rows"), "{error}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// Any bytes, as CSV or as XLSX: rows or an error, never a panic (the stable, bounded
        /// companion of the `spreadsheet_csv` and `spreadsheet_xlsx` fuzz targets).
        #[test]
        fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let _ = read_enterprise_rows(SpreadsheetFormat::Csv, &bytes);
            let _ = read_enterprise_rows(SpreadsheetFormat::Xlsx, &bytes);
            let mut zipped = b"PK\x03\x04".to_vec();
            zipped.extend_from_slice(&bytes);
            let _ = read_enterprise_rows(SpreadsheetFormat::Xlsx, &zipped);
        }

        /// Well-formed packages whose parts claim anything: dimensions, cell references, string
        /// counts and indexes. Each is read within the limits or refused.
        #[test]
        fn workbooks_claiming_anything_are_read_within_bounds(
            dimension in "[A-Z]{0,4}[0-9]{0,8}(:[A-Z]{0,4}[0-9]{0,9})?",
            reference in "[A-Z]{0,4}[0-9]{0,9}",
            row in "[0-9]{0,11}",
            count in "-?[0-9]{0,20}",
            index in "[0-9]{0,20}",
        ) {
            let rows = format!(r#"{HEADER_AND_ONE_ROW}<row r="{row}"><c r="{reference}" t="s"><v>{index}</v></c></row>"#);
            let strings = ONE_STRING.replace(r#"uniqueCount="1""#, &format!(r#"uniqueCount="{count}""#));
            if let Ok(parsed) = read_enterprise_rows(SpreadsheetFormat::Xlsx, &workbook(&sheet(&dimension, &rows), Some(&strings))) {
                proptest::prop_assert!(parsed.rows.len() <= IMPORT_ROWS_MAX);
            }
        }
    }

    #[test]
    fn references_that_overflow_the_reader_are_refused_by_name() {
        // Found by the property test above: calamine's reference arithmetic overflows on these.
        for (dimension, rows) in [
            ("B2:A1", HEADER_AND_ONE_ROW.to_owned()),
            ("A1:E2", HEADER_AND_ONE_ROW.replace(r#"r="B2""#, r#"r="ZZZZZZZZ2""#)),
            ("A1:E2", HEADER_AND_ONE_ROW.replace(r#"<row r="2">"#, r#"<row r="99999999999">"#)),
            ("A1:E2", HEADER_AND_ONE_ROW.replace(r#"r="A2""#, r#"r="A0""#)),
        ] {
            let error = read_enterprise_rows(SpreadsheetFormat::Xlsx, &workbook(&sheet(dimension, &rows), Some(ONE_STRING))).unwrap_err();
            assert!(error.to_string().contains("invalid cell reference"), "{dimension}: {error}");
        }
    }

    #[test]
    fn not_an_xlsx_is_refused() {
        assert!(read_enterprise_rows(SpreadsheetFormat::Xlsx, b"PK\x03\x04garbage").is_err());
    }
}
