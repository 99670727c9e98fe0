//! The command line of `bench`.

use std::path::PathBuf;

pub const USAGE: &str = "usage: bench --bin-dir DIR --python PYTHON --python-dir DIR \
[--variant LABEL=PATH]... [--sizes TSV] [--out FILE] [--cold N] [--warm N] \
[--scale-users N] [--purge-users N] [--sweep-cold N] [--sweep-warm N] \
[--memory-sizes TSV] [--chart SVG] [--only sweep]
  (with --only sweep, --python and --python-dir are not needed)";

/// What to measure, and where to write the report.
pub struct Args {
    pub(super) bin_dir: PathBuf,
    pub(super) python: PathBuf,
    pub(super) python_dir: PathBuf,
    pub(super) variants: Vec<(String, PathBuf)>,
    pub(super) sizes: Option<PathBuf>,
    pub(super) out: PathBuf,
    pub(super) cold: usize,
    pub(super) warm: usize,
    pub(super) scale_users: usize,
    pub(super) purge_users: usize,
    /// The memory sweep (section 9): cold starts and warm invocations per size.
    pub(super) sweep_cold: usize,
    pub(super) sweep_warm: usize,
    /// Where the sweep writes each function's memory, and its chart.
    pub(super) memory_sizes: PathBuf,
    pub(super) chart: PathBuf,
    /// Only the memory sweep: its section replaces section 9 of `--out`, the rest is kept.
    pub(super) only_sweep: bool,
    pub(super) command_line: String,
}

/// The arguments after the program's name; an error says which one is wrong.
pub fn parse(args: &[String]) -> Result<Args, String> {
    let (mut bin_dir, mut python, mut python_dir) = (None, None, None);
    let mut parsed = Args {
        bin_dir: PathBuf::new(),
        python: PathBuf::new(),
        python_dir: PathBuf::new(),
        variants: Vec::new(),
        sizes: None,
        out: PathBuf::from("BENCHMARKS.md"),
        cold: 30,
        warm: 1000,
        scale_users: 100_000,
        purge_users: 10_000,
        sweep_cold: 10,
        sweep_warm: 100,
        memory_sizes: PathBuf::from("infra/memory-sizes.tsv"),
        chart: PathBuf::from("docs/images/memory-sweep.svg"),
        only_sweep: false,
        command_line: args.join(" "),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || -> Result<usize, String> {
            value
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{flag}: {value:?} is not a whole number above 0"))
        };
        match flag.as_str() {
            "--bin-dir" => bin_dir = Some(PathBuf::from(value)),
            "--python" => python = Some(PathBuf::from(value)),
            "--python-dir" => python_dir = Some(PathBuf::from(value)),
            "--variant" => {
                let (label, path) = value
                    .split_once('=')
                    .ok_or(format!("--variant {value:?}: expected LABEL=PATH"))?;
                parsed
                    .variants
                    .push((label.to_owned(), PathBuf::from(path)));
            }
            "--sizes" => parsed.sizes = Some(PathBuf::from(value)),
            "--out" => parsed.out = PathBuf::from(value),
            "--cold" => parsed.cold = number()?,
            "--warm" => parsed.warm = number()?,
            "--scale-users" => parsed.scale_users = number()?.max(2_000),
            "--purge-users" => parsed.purge_users = number()?,
            "--sweep-cold" => parsed.sweep_cold = number()?,
            "--sweep-warm" => parsed.sweep_warm = number()?,
            "--memory-sizes" => parsed.memory_sizes = PathBuf::from(value),
            "--chart" => parsed.chart = PathBuf::from(value),
            "--only" if value == "sweep" => parsed.only_sweep = true,
            "--only" => return Err(format!("--only {value:?}: only \"sweep\" can run alone")),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    // Absolute, not canonical: a venv's python must keep its own path.
    let absolute = |path: Option<PathBuf>, flag: &str| {
        let path = path.ok_or(format!("{flag} is required"))?;
        std::path::absolute(&path).map_err(|e| format!("{flag} {}: {e}", path.display()))
    };
    parsed.bin_dir = absolute(bin_dir, "--bin-dir")?;
    // The sweep runs no Python.
    if !parsed.only_sweep || python.is_some() || python_dir.is_some() {
        parsed.python = absolute(python, "--python")?;
        parsed.python_dir = absolute(python_dir, "--python-dir")?;
    }
    for (_, path) in &mut parsed.variants {
        *path = absolute(Some(path.clone()), "--variant")?;
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_required_paths_alone_take_the_defaults() {
        let parsed = parse(&args("--bin-dir /b --python /p/python --python-dir /d")).unwrap();
        assert_eq!(parsed.bin_dir, PathBuf::from("/b"));
        assert_eq!(parsed.python, PathBuf::from("/p/python"));
        assert_eq!(parsed.python_dir, PathBuf::from("/d"));
        assert!(parsed.variants.is_empty() && parsed.sizes.is_none());
        assert_eq!(parsed.out, PathBuf::from("BENCHMARKS.md"));
        assert_eq!(
            (
                parsed.cold,
                parsed.warm,
                parsed.scale_users,
                parsed.purge_users
            ),
            (30, 1000, 100_000, 10_000)
        );
        assert_eq!((parsed.sweep_cold, parsed.sweep_warm), (10, 100));
        assert_eq!(parsed.memory_sizes, PathBuf::from("infra/memory-sizes.tsv"));
        assert_eq!(parsed.chart, PathBuf::from("docs/images/memory-sweep.svg"));
        assert!(!parsed.only_sweep, "make bench runs everything");
        assert_eq!(
            parsed.command_line,
            "--bin-dir /b --python /p/python --python-dir /d"
        );
    }

    #[test]
    fn variants_keep_their_order_and_relative_paths_become_absolute() {
        let parsed = parse(&args(
            "--bin-dir b --python p --python-dir d --variant one=x/1 --variant two=/y/2 --warm 5",
        ))
        .unwrap();
        let here = std::env::current_dir().unwrap();
        assert_eq!(parsed.bin_dir, here.join("b"));
        assert_eq!(
            parsed.variants,
            [
                ("one".to_owned(), here.join("x/1")),
                ("two".to_owned(), PathBuf::from("/y/2"))
            ]
        );
        assert_eq!(parsed.warm, 5);
    }

    #[test]
    fn a_tenant_to_scale_has_at_least_two_thousand_users() {
        let parsed = parse(&args(
            "--bin-dir b --python p --python-dir d --scale-users 10",
        ))
        .unwrap();
        assert_eq!(parsed.scale_users, 2_000);
    }

    #[test]
    fn the_sweep_alone_needs_no_python() {
        let parsed = parse(&args(
            "--bin-dir b --only sweep --sweep-cold 2 --sweep-warm 30",
        ))
        .unwrap();
        assert!(parsed.only_sweep);
        assert_eq!((parsed.sweep_cold, parsed.sweep_warm), (2, 30));
        assert_eq!(
            parse(&args("--bin-dir b --only scale")).err().unwrap(),
            "--only \"scale\": only \"sweep\" can run alone"
        );
    }

    #[test]
    fn wrong_arguments_are_named() {
        let error = |line: &str| parse(&args(line)).err().unwrap();
        assert_eq!(error("--python p --python-dir d"), "--bin-dir is required");
        assert_eq!(error("--cold"), "--cold needs a value");
        assert_eq!(
            error("--cold 0"),
            "--cold: \"0\" is not a whole number above 0"
        );
        assert_eq!(error("--fast 1"), "unknown flag --fast");
        assert_eq!(
            error("--variant nolabel"),
            "--variant \"nolabel\": expected LABEL=PATH"
        );
    }
}
