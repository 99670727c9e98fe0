//! BENCHMARKS.md is rewritten by every `make bench`, but for its notes: everything from the
//! line [`MARKER`] to the end of the file is written by hand and kept, after the new report.

/// The line that starts the hand-written notes of BENCHMARKS.md.
pub const MARKER: &str = "<!-- notes: written by hand, kept by make bench -->";

/// The notes of a BENCHMARKS.md: from the [`MARKER`] line (a line of its own) to the end.
pub fn notes(existing: &str) -> Option<&str> {
    let mut start = 0;
    for line in existing.split_inclusive('\n') {
        if line.trim_end() == MARKER {
            return Some(&existing[start..]);
        }
        start += line.len();
    }
    None
}

/// What to write: the `generated` report, then the notes of the file it replaces (if it has
/// any), after a blank line.
pub fn keep_notes(generated: &str, existing: Option<&str>) -> String {
    match existing.and_then(notes) {
        None => generated.to_owned(),
        Some(notes) => {
            let mut out = generated.trim_end_matches('\n').to_owned();
            out.push_str("\n\n");
            out.push_str(notes);
            out
        }
    }
}

/// `existing` with the section whose heading line starts with `heading` (up to the next `## `
/// heading or the [`MARKER`] line) replaced by `section`; when it has none, `section` goes
/// before the notes (or at the end). For `make bench ARGS="--only sweep"`, which rewrites
/// one section and keeps the others' figures.
pub fn replace_section(existing: &str, heading: &str, section: &str) -> String {
    let lines: Vec<&str> = existing.split_inclusive('\n').collect();
    let ends_section = |line: &&str| line.starts_with("## ") || line.trim_end() == MARKER;
    let (start, end) = match lines.iter().position(|l| l.starts_with(heading)) {
        Some(start) => {
            let end = (lines[start + 1..].iter().position(ends_section))
                .map_or(lines.len(), |n| start + 1 + n);
            (start, end)
        }
        None => {
            let at = (lines.iter().position(|l| l.trim_end() == MARKER)).unwrap_or(lines.len());
            (at, at)
        }
    };
    let mut before = lines[..start].concat();
    if !before.is_empty() {
        before = format!("{}\n\n", before.trim_end_matches('\n'));
    }
    let after = lines[end..].concat();
    let gap = if after.is_empty() { "\n" } else { "\n\n" };
    format!("{before}{}{gap}{after}", section.trim_end_matches('\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "# Benchmarks\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";

    #[test]
    fn a_new_file_is_the_report_alone() {
        assert_eq!(keep_notes(REPORT, None), REPORT);
    }

    #[test]
    fn a_file_without_notes_is_replaced_by_the_report() {
        let old = "# Benchmarks\n\nold figures\n";
        assert_eq!(keep_notes(REPORT, Some(old)), REPORT);
    }

    #[test]
    fn the_notes_are_kept_after_the_new_report_and_the_old_figures_go() {
        let old = format!(
            "# Benchmarks\n\nold figures\n\n{MARKER}\n## Notes\n\nWhy the p99 moved.\n\nMore.\n"
        );
        let new = keep_notes(REPORT, Some(&old));
        assert_eq!(
            new,
            format!("{REPORT}\n{MARKER}\n## Notes\n\nWhy the p99 moved.\n\nMore.\n")
        );
        assert!(!new.contains("old figures"));
        // The next run keeps them again, unchanged.
        assert_eq!(keep_notes(REPORT, Some(&new)), new);
    }

    #[test]
    fn the_marker_counts_only_as_a_line_of_its_own() {
        let quoted = format!("# Benchmarks\n\nThe notes start at `{MARKER}`.\n");
        assert_eq!(notes(&quoted), None);
        assert_eq!(keep_notes(REPORT, Some(&quoted)), REPORT);
        // Trailing blanks (or a CRLF) after it still make it the marker line.
        let spaced = format!("old\r\n{MARKER}  \r\nkept\r\n");
        assert_eq!(
            notes(&spaced),
            Some(format!("{MARKER}  \r\nkept\r\n").as_str())
        );
    }

    #[test]
    fn notes_without_a_final_newline_are_kept_as_they_are() {
        let old = format!("old\n{MARKER}\nlast line");
        assert_eq!(
            keep_notes("# Benchmarks\n\n\n", Some(&old)),
            format!("# Benchmarks\n\n{MARKER}\nlast line")
        );
    }

    #[test]
    fn one_section_is_replaced_and_the_others_and_the_notes_are_kept() {
        let old = format!(
            "# Benchmarks\n\n## 8. Login\n\nkept\n\n## 9. Memory\n\nold\n### sub\nold too\n\n{MARKER}\nnotes\n"
        );
        let new = replace_section(&old, "## 9.", "## 9. Memory\n\nnew\n");
        assert_eq!(
            new,
            format!(
                "# Benchmarks\n\n## 8. Login\n\nkept\n\n## 9. Memory\n\nnew\n\n{MARKER}\nnotes\n"
            )
        );
        // A section in the middle ends at the next heading.
        let middle = "## 9. Memory\nold\n## 10. Next\nkept\n";
        assert_eq!(
            replace_section(middle, "## 9.", "## 9. Memory\nnew"),
            "## 9. Memory\nnew\n\n## 10. Next\nkept\n"
        );
    }

    #[test]
    fn a_missing_section_goes_before_the_notes_or_at_the_end() {
        let with_notes = format!("# Benchmarks\n\n## 8. Login\nkept\n{MARKER}\nnotes\n");
        assert_eq!(
            replace_section(&with_notes, "## 9.", "## 9. Memory\nnew\n"),
            format!("# Benchmarks\n\n## 8. Login\nkept\n\n## 9. Memory\nnew\n\n{MARKER}\nnotes\n")
        );
        assert_eq!(
            replace_section("# Benchmarks\n", "## 9.", "## 9. Memory\nnew\n"),
            "# Benchmarks\n\n## 9. Memory\nnew\n"
        );
        assert_eq!(replace_section("", "## 9.", "## 9. M\n"), "## 9. M\n");
    }
}
