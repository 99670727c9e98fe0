//! Sizes (section 5): the arm64 packages, as `make package` lists them in sizes.tsv.

use std::fs;
use std::path::Path;

/// The rows of sizes.tsv after its header: the function, its bootstrap's bytes, its zip's.
pub(super) fn read_sizes(path: &Path) -> Vec<(String, u64, u64)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((
                fields.next()?.to_owned(),
                fields.next()?.parse().ok()?,
                fields.next()?.parse().ok()?,
            ))
        })
        .collect()
}
