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
}
