//! `infra/memory-sizes.tsv`: the memory each function gets in template.yaml, as `make bench`'s
//! memory sweep chose it (BENCHMARKS.md, section 9). The bench writes it
//! (`tenantry_bench::side_by_side`); `tests/tests/api/memory_sizes.rs` holds template.yaml to
//! it. Lines starting with `#` are comments; then a header line and one row per function,
//! tab-separated: `function`, `follows`, `memory_mb` (e.g. `create-tenant`, `create-user`,
//! `512`).
//!
//! `follows` is the measured function whose size the function takes (itself when measured).

use std::path::{Path, PathBuf};

/// The memory sizes (MB) the sweep measures: Lambda's smallest, its doublings, and the size at
/// which a function has one whole vCPU.
pub const SWEPT_MB: [u32; 5] = [128, 256, 512, 1024, 1769];

/// The memory (MB) at which Lambda gives a function one vCPU; below it, a share in proportion.
pub const FULL_VCPU_MB: u32 = 1769;

/// The header line, after the comments.
pub const HEADER: &str = "function\tfollows\tmemory_mb";

/// One function's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The function's crate (= binary) name.
    pub function: String,
    /// The measured function whose size it takes: itself when it was measured.
    pub follows: String,
    pub memory_mb: u32,
}

/// `infra/memory-sizes.tsv` in this repository.
pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/memory-sizes.tsv")
}

/// The rows of the file, in its order; an error names the line that is wrong.
pub fn parse(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty());
    match lines.next() {
        Some((_, header)) if header == HEADER => {}
        Some((n, other)) => {
            return Err(format!(
                "line {}: expected {HEADER:?}, not {other:?}",
                n + 1
            ));
        }
        None => return Err("no header line".into()),
    }
    lines
        .map(|(n, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [function, follows, memory_mb] = fields[..] else {
                return Err(format!("line {}: expected 3 fields, not {line:?}", n + 1));
            };
            let memory_mb = memory_mb
                .parse()
                .map_err(|_| format!("line {}: memory_mb {memory_mb:?} is not a number", n + 1))?;
            Ok(Row {
                function: function.to_owned(),
                follows: follows.to_owned(),
                memory_mb,
            })
        })
        .collect()
}

/// The file: each line of `comment` as a `#` line, the header, then the rows.
pub fn render(comment: &str, rows: &[Row]) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str(&format!("# {line}\n"));
        }
    }
    out.push_str(HEADER);
    out.push('\n');
    for row in rows {
        out.push_str(&format!(
            "{}\t{}\t{}\n",
            row.function, row.follows, row.memory_mb
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_file_parses_back_to_its_rows() {
        let rows = vec![
            Row {
                function: "get-user".into(),
                follows: "get-user".into(),
                memory_mb: 256,
            },
            Row {
                function: "get-me".into(),
                follows: "get-user".into(),
                memory_mb: 256,
            },
        ];
        let text = render("written by a test\n\nsecond paragraph", &rows);
        assert!(text.starts_with("# written by a test\n#\n# second paragraph\nfunction\t"));
        assert_eq!(parse(&text).unwrap(), rows);
    }

    #[test]
    fn wrong_lines_are_named() {
        assert_eq!(parse("# only\n").unwrap_err(), "no header line");
        assert!(parse("a\tb\n").unwrap_err().starts_with("line 1: expected"));
        let bad = format!("{HEADER}\nget-user\tget-user\n");
        assert!(
            parse(&bad)
                .unwrap_err()
                .starts_with("line 2: expected 3 fields")
        );
        let bad = format!("{HEADER}\nget-user\tget-user\tmany\n");
        assert!(parse(&bad).unwrap_err().contains("is not a number"));
    }
}
