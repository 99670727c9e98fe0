//! template.yaml gives each function the memory `make bench`'s sweep chose for it,
//! `infra/memory-sizes.tsv` (`tenantry_tests::memory_sizes`): every function crate is in the
//! file exactly once, at a size the sweep measures, at the size of the measured function it
//! follows, and the template's `MemorySize` for it is that size. No DynamoDB needed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use tenantry_dev::template::{self, Template};
use tenantry_tests::memory_sizes::{self, Row, SWEPT_MB};

fn function_crates() -> BTreeSet<String> {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions"))
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().into_string().unwrap())
        .collect()
}

/// Everything wrong between the crates, the file's rows and the template's sizes (by binary).
fn problems(
    crates: &BTreeSet<String>,
    rows: &[Row],
    template: &BTreeMap<String, Option<u64>>,
) -> Vec<String> {
    let mut found = Vec::new();
    let mut by_function: BTreeMap<&str, &Row> = BTreeMap::new();
    for row in rows {
        if by_function.insert(&row.function, row).is_some() {
            found.push(format!("{} is in the file more than once", row.function));
        }
        if !crates.contains(&row.function) {
            found.push(format!(
                "the file names {}, which is not a crate of functions/",
                row.function
            ));
        }
        if !SWEPT_MB.contains(&row.memory_mb) {
            found.push(format!(
                "{}: {} MB is not a size the sweep measures ({SWEPT_MB:?})",
                row.function, row.memory_mb
            ));
        }
    }
    for row in rows {
        match by_function.get(row.follows.as_str()) {
            Some(leader) if leader.follows != leader.function => found.push(format!(
                "{} follows {}, which follows {} (only measured functions are followed)",
                row.function, row.follows, leader.follows
            )),
            Some(leader) if leader.memory_mb != row.memory_mb => found.push(format!(
                "{} has {} MB, {} which it follows has {} MB",
                row.function, row.memory_mb, row.follows, leader.memory_mb
            )),
            Some(_) => {}
            None => found.push(format!(
                "{} follows {}, which the file does not list",
                row.function, row.follows
            )),
        }
    }
    for name in crates {
        if !by_function.contains_key(name.as_str()) {
            found.push(format!("functions/{name} is missing from the file"));
        }
    }
    for (binary, size) in template {
        match (by_function.get(binary.as_str()), size) {
            (None, _) => found.push(format!("the template's {binary} is not in the file")),
            (Some(_), None) => found.push(format!("the template gives {binary} no MemorySize")),
            (Some(row), Some(size)) if u64::from(row.memory_mb) != *size => found.push(format!(
                "the template gives {binary} MemorySize {size}, the file {}",
                row.memory_mb
            )),
            (Some(_), Some(_)) => {}
        }
    }
    for name in by_function.keys() {
        if !template.contains_key(*name) {
            found.push(format!(
                "{name} is in the file but not a function of the template"
            ));
        }
    }
    found
}

fn the_file() -> Vec<Row> {
    let path = memory_sizes::default_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    memory_sizes::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn the_template() -> BTreeMap<String, Option<u64>> {
    Template::load(&template::default_path())
        .unwrap()
        .memory_sizes()
        .unwrap()
}

#[test]
fn the_template_gives_each_function_the_memory_the_sweep_chose() {
    let crates = function_crates();
    assert!(crates.len() >= 30, "{crates:?}");
    let found = problems(&crates, &the_file(), &the_template());
    assert!(
        found.is_empty(),
        "template.yaml and infra/memory-sizes.tsv disagree (make bench writes the file; set \
         each function's MemorySize from it):\n{}",
        found.join("\n")
    );
}

#[test]
fn each_kind_of_disagreement_is_found() {
    let (crates, rows, template) = (function_crates(), the_file(), the_template());
    assert_eq!(problems(&crates, &rows, &template), Vec::<String>::new());
    let row = |function: &str| rows.iter().position(|r| r.function == function).unwrap();
    let found = |rows: &[Row], template: &BTreeMap<String, Option<u64>>| {
        problems(&crates, rows, template).join("\n")
    };

    // The template's size differs, or is missing.
    let mut changed = template.clone();
    let other = SWEPT_MB
        .iter()
        .find(|&&mb| mb != rows[row("get-user")].memory_mb)
        .unwrap();
    changed.insert("get-user".into(), Some(u64::from(*other)));
    assert!(found(&rows, &changed).contains("the template gives get-user MemorySize"));
    changed.insert("get-user".into(), None);
    assert!(found(&rows, &changed).contains("the template gives get-user no MemorySize"));

    // A crate is missing from the file, or the file names one that does not exist.
    let mut fewer = rows.clone();
    fewer.remove(row("health"));
    assert!(found(&fewer, &template).contains("functions/health is missing from the file"));
    let mut more = rows.clone();
    more.push(Row {
        function: "no-such-function".into(),
        follows: "no-such-function".into(),
        memory_mb: 128,
    });
    assert!(found(&more, &template).contains("no-such-function, which is not a crate"));

    // A size the sweep does not measure.
    let mut odd = rows.clone();
    odd[row("health")].memory_mb = 192;
    assert!(found(&odd, &template).contains("192 MB is not a size the sweep measures"));

    // A function apart from the one it follows.
    let mut apart = rows.clone();
    let i = rows.iter().position(|r| r.follows != r.function).unwrap();
    let leader = rows[row(&rows[i].follows)].memory_mb;
    apart[i].memory_mb = *SWEPT_MB.iter().find(|&&mb| mb != leader).unwrap();
    assert!(found(&apart, &template).contains("which it follows has"));
}
