//! Enterprise spreadsheets: the column set shared by import and export, CSV (UTF-8 with BOM on
//! export; UTF-8, UTF-16 or GB18030 on import) and XLSX, and formula-injection escaping.
//! An exported file re-imports cleanly, because both directions use `COLUMNS`.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use domain::enterprise::EnterpriseInput;
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

/// The columns, in order: the field key (also accepted as a header) and the Chinese header.
pub const COLUMNS: [(&str, &str); 18] = [
    ("credit_code", "统一社会信用代码"),
    ("name", "企业名称"),
    ("region_code", "行政区划代码"),
    ("address", "地址"),
    ("longitude", "经度"),
    ("latitude", "纬度"),
    ("industry", "行业门类"),
    ("sectors", "高危行业"),
    ("scale", "企业规模"),
    ("principal_name", "主要负责人"),
    ("principal_phone", "主要负责人电话"),
    ("safety_manager_name", "安全管理负责人"),
    ("safety_manager_phone", "安全管理负责人电话"),
    ("standardization", "标准化等级"),
    ("licences", "许可证"),
    ("insurer", "安责险承保公司"),
    ("insurance_cover_yuan", "安责险每人保额(元)"),
    ("insurance_expires_on", "安责险到期日"),
];

const REQUIRED: [&str; 5] = ["credit_code", "name", "region_code", "industry", "scale"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub line: usize,
    pub reason: String,
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
fn map_header(header: &[String]) -> Result<Vec<Option<&'static str>>, String> {
    let mapped: Vec<Option<&'static str>> = header
        .iter()
        .map(|cell| {
            let cell = cell.trim().trim_start_matches('\u{feff}');
            COLUMNS.iter().find(|(key, zh)| *key == cell || *zh == cell).map(|(key, _)| *key)
        })
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|key| !mapped.contains(&Some(**key)))
        .map(|key| COLUMNS.iter().find(|(k, _)| k == key).map(|(_, zh)| *zh).unwrap_or(key))
        .collect();
    if missing.is_empty() {
        Ok(mapped)
    } else {
        Err(format!("第1行表头缺少必需的列:{} / the header (line 1) lacks required columns: {}", missing.join("、"), missing.join(", ")))
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
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        if had_errors {
            return Err(format!("文件声明为{}编码但含有无效字节 / the file has a {} byte-order mark but invalid bytes", encoding.name(), encoding.name()));
        }
        return Ok(text.into_owned());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(text.into_owned()),
        None => Err("文件既不是UTF-8也不是GB18030(GBK)编码,请另存为UTF-8 CSV / the file is neither UTF-8 nor GB18030 (GBK); save it as UTF-8 CSV".into()),
    }
}

/// Reads every data row of a file. File-level problems (size, encoding, header, row count) are
/// an `Err`; row-level problems are left to the caller's validation.
pub fn read_enterprise_rows(format: SpreadsheetFormat, bytes: &[u8]) -> Result<ParsedRows, String> {
    if bytes.len() > IMPORT_BYTES_MAX {
        return Err(format!("文件超过{}MB / the file is larger than {} MB", IMPORT_BYTES_MAX >> 20, IMPORT_BYTES_MAX >> 20));
    }
    match format {
        SpreadsheetFormat::Csv => read_csv(bytes),
        SpreadsheetFormat::Xlsx => read_xlsx(bytes),
    }
}

fn read_csv(bytes: &[u8]) -> Result<ParsedRows, String> {
    let text = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(record)) => record.iter().map(str::to_owned).collect(),
        Some(Err(error)) => return Err(format!("第1行无法解析 / line 1 cannot be read: {error}")),
        None => return Err("文件为空 / the file is empty".into()),
    };
    let mapping = map_header(&header)?;
    let mut parsed = ParsedRows::default();
    for record in records {
        let count = parsed.rows.len() + parsed.rejected.len();
        if count >= IMPORT_ROWS_MAX {
            return Err(format!("数据行超过{IMPORT_ROWS_MAX}行,请分批导入 / more than {IMPORT_ROWS_MAX} rows; split the file"));
        }
        match record {
            Ok(record) => {
                let line = record.position().map(|p| p.line() as usize).unwrap_or(count + 2);
                let cells: Vec<String> = record.iter().map(str::to_owned).collect();
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                parsed.rows.push((line, row_to_input(&mapping, &cells)));
            }
            Err(error) => {
                let line = error.position().map(|p| p.line() as usize).unwrap_or(count + 2);
                parsed.rejected.push(RejectedRow { line, reason: format!("无法解析的CSV行 / malformed CSV row: {error}") });
            }
        }
    }
    Ok(parsed)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(value) => value.to_string(),
        Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => format!("{}", *value as i64),
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

fn read_xlsx(bytes: &[u8]) -> Result<ParsedRows, String> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("不是有效的XLSX文件 / not a valid XLSX file: {e}"))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| "XLSX文件没有工作表 / the workbook has no sheet".to_owned())?
        .map_err(|e| format!("无法读取第一个工作表 / the first sheet cannot be read: {e}"))?;
    let mut rows = range.rows();
    let header: Vec<String> = match rows.next() {
        Some(row) => row.iter().map(cell_text).collect(),
        None => return Err("工作表为空 / the sheet is empty".into()),
    };
    let mapping = map_header(&header)?;
    let first_row = range.start().map(|(row, _)| row as usize).unwrap_or(0);
    let mut parsed = ParsedRows::default();
    for (index, row) in rows.enumerate() {
        if parsed.rows.len() >= IMPORT_ROWS_MAX {
            return Err(format!("数据行超过{IMPORT_ROWS_MAX}行,请分批导入 / more than {IMPORT_ROWS_MAX} rows; split the file"));
        }
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // Line numbers as a spreadsheet shows them: the header is on the sheet's first used row.
        parsed.rows.push((first_row + index + 2, row_to_input(&mapping, &cells)));
    }
    Ok(parsed)
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

/// Writes rows with the Chinese header in `COLUMNS` order.
pub fn write_enterprise_rows(format: SpreadsheetFormat, rows: &[EnterpriseInput]) -> Result<Vec<u8>, String> {
    let columns: Vec<Column> = COLUMNS
        .iter()
        .map(|(key, zh)| Column {
            heading: zh,
            width: match *key {
                "name" | "address" | "licences" => 36.0,
                "credit_code" => 22.0,
                _ => 14.0,
            },
        })
        .collect();
    let cells = rows.iter().map(|row| COLUMNS.iter().map(|(key, _)| field_value(row, key).to_owned()).collect());
    write_table(format, "企业", &columns, cells)
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
        assert!(error.contains("统一社会信用代码"), "{error}");
    }

    #[test]
    fn not_an_xlsx_is_refused() {
        assert!(read_enterprise_rows(SpreadsheetFormat::Xlsx, b"PK\x03\x04garbage").is_err());
    }
}
