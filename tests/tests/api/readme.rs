//! The README's quickstart is a real session: this test runs its shell block with bash, curl
//! and jq against the dev server, and compares every printed line with the block's `#>` lines
//! (`…` stands for any text: ids and times). A changed answer fails here, not in a reader's shell.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;

use tenantry_tests::{ROOT_PASSWORD, Stack};

const MARKER: &str = "<!-- quickstart:";

/// The shell block after the quickstart marker: (the script, the expected lines).
fn quickstart() -> (String, Vec<String>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let after = &readme[readme
        .find(MARKER)
        .expect("README has no quickstart marker")..];
    let block = after
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("no ```sh block after the quickstart marker")
        .0;
    let (mut script, mut expected) = (String::new(), Vec::new());
    for line in block.lines() {
        match line.strip_prefix("#> ") {
            Some(output) => expected.push(output.to_owned()),
            None => {
                script.push_str(line);
                script.push('\n');
            }
        }
    }
    (script, expected)
}

/// Whether `line` is `pattern` with each `…` standing for any text.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return line == pattern;
    }
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn wildcards_match_only_what_they_should() {
    assert!(matches(
        "201 {…\"state\":\"active\",…}",
        "201 {\"id\":\"x\",\"state\":\"active\",\"a\":1}"
    ));
    assert!(!matches(
        "201 {…\"state\":\"active\",…}",
        "201 {\"id\":\"x\",\"state\":\"deleted\",\"a\":1}"
    ));
    assert!(!matches("403 {…}", "401 {}"));
    assert!(matches("user.delete", "user.delete"));
    assert!(!matches("user.delete", "user.deleted"));
    assert!(!matches("a…a", "a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_quickstart_runs_as_written() {
    for tool in ["bash", "curl", "jq"] {
        let found = Command::new(tool).arg("--version").output().is_ok();
        assert!(found, "{tool} is not installed: `make test` installs it");
    }
    let stack = Stack::with_events().await;
    let events = std::env::temp_dir().join(format!("{}-events.jsonl", stack.store.table()));
    let publisher = tenantry_tests::events::file_publisher(&stack, &events).await;
    let addr = tenantry_dev::spawn(
        Arc::clone(&stack.router),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let (script, expected) = quickstart();
    assert!(expected.len() >= 20, "the session lost its expected lines");
    let events_path = events.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .env("API", format!("http://{addr}"))
            .env("ROOT_PASSWORD", ROOT_PASSWORD)
            .env("EVENTS", &events_path)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    publisher.stop().await.unwrap();
    let _ = std::fs::remove_file(&events);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        output.status.success() && stderr.is_empty(),
        "the session failed ({}): {stderr}\n{stdout}",
        output.status
    );
    let printed: Vec<&str> = stdout.lines().collect();
    for (i, want) in expected.iter().enumerate() {
        let got = printed.get(i).copied().unwrap_or("<nothing>");
        assert!(
            matches(want, got),
            "line {} of the session's output:\n  README: {want}\n  actual: {got}",
            i + 1
        );
    }
    assert_eq!(
        printed.len(),
        expected.len(),
        "the session printed lines the README does not show: {:?}",
        &printed[expected.len().min(printed.len())..]
    );
}
