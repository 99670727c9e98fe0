//! Embeds every file of `assets/` (flat, `.html`, `.js`, `.css` or `.svg`): writes
//! `$OUT_DIR/assets.rs`, a list of `(name, include_str!(path))`, so a new asset needs no edit
//! here and a missing one fails the build.

use std::fmt::Write;
use std::path::Path;

const KINDS: [&str; 4] = ["html", "js", "css", "svg"];

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("functions/console/assets") {
        let path = entry.expect("an entry of assets/").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 file name")
            .to_owned();
        let kind = name.rsplit_once('.').map(|(_, k)| k).unwrap_or("");
        assert!(
            path.is_file() && KINDS.contains(&kind),
            "assets/{name}: the console embeds flat .html, .js, .css and .svg files only"
        );
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "assets/{name}: a name of letters, digits, '-', '_' and '.'"
        );
        println!("cargo:rerun-if-changed={}", path.display());
        names.push((name, path));
    }
    names.sort();
    let mut out = String::from("&[\n");
    for (name, path) in names {
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push(']');
    let target = Path::new(&std::env::var("OUT_DIR").unwrap()).join("assets.rs");
    std::fs::write(target, out).expect("$OUT_DIR/assets.rs");
}
