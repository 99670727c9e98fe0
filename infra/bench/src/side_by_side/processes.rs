//! The functions as processes on a Lambda Runtime API of their own, started with the
//! environment Lambda gives them, and invoked.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tenantry_tests::{LOGIN_GUARD_KEY, SIGNING_KEYS, VERIFYING_KEYS};

use super::TIMEOUT;
use super::cgroup::CpuGroup;
use crate::runtime_api::RuntimeApi;

/// What a function process is started as: the Rust binary itself (its own `bootstrap`), or
/// Python's runtime interface client with a handler.
#[derive(Clone)]
pub(super) struct Subject {
    pub(super) label: String,
    pub(super) program: PathBuf,
    pub(super) args: Vec<String>,
    pub(super) dir: Option<PathBuf>,
    /// The size of the file run (the Rust binaries; stripped as measured).
    pub(super) size: Option<u64>,
}

impl Subject {
    pub(super) fn rust(label: &str, path: &Path) -> Subject {
        Subject {
            label: label.to_owned(),
            program: path.to_owned(),
            args: Vec::new(),
            dir: None,
            size: fs::metadata(path).ok().map(|m| m.len()),
        }
    }
}

pub(super) struct Running {
    api: RuntimeApi,
    pub(super) child: Child,
    /// Spawn to first `/invocation/next`.
    pub(super) init: Duration,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) struct Env<'a> {
    pub(super) table: &'a str,
    pub(super) endpoint: &'a str,
    pub(super) logs: &'a Path,
}

/// Starts `subject` on a new Runtime API with the environment Lambda gives a function
/// (plus the function's own variables) and waits for its first poll.
pub(super) async fn start(subject: &Subject, env: &Env<'_>) -> Running {
    start_in(subject, env, None).await
}

/// [`start`], in `group` when given: from its first instruction, with the group's CPU quota
/// and `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` set to the group's memory.
pub(super) async fn start_in(
    subject: &Subject,
    env: &Env<'_>,
    group: Option<&CpuGroup>,
) -> Running {
    let mut api = RuntimeApi::start().await.expect("bind the runtime API");
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(env.logs.join(format!("{}.log", subject.label)))
        .expect("open the function's log");
    let task_root = subject
        .dir
        .clone()
        .unwrap_or_else(|| subject.program.parent().unwrap().to_owned());
    let mut command = Command::new(&subject.program);
    command
        .args(&subject.args)
        .current_dir(&task_root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.logs)
        .envs(api.lambda_environment(&subject.label))
        .env("LAMBDA_TASK_ROOT", &task_root)
        // Lambda's task root is read-only: Python finds no bytecode cache for the handler there.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("TABLE_NAME", env.table)
        .env("DYNAMODB_ENDPOINT", env.endpoint)
        // Both sets, as the dev server has: the subjects include the functions that sign.
        .env("TENANTRY_SIGNING_KEYS", SIGNING_KEYS)
        .env("TENANTRY_VERIFYING_KEYS", VERIFYING_KEYS)
        .env("TENANTRY_LOGIN_GUARD_KEY", LOGIN_GUARD_KEY)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("the log"))
        .stderr(log);
    if let Some(group) = group {
        command.env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", group.mb.to_string());
    }
    let spawned = Instant::now();
    let child = match group {
        None => command.spawn().map_err(|e| e.to_string()),
        Some(group) => group.spawn(&mut command),
    }
    .unwrap_or_else(|e| panic!("start {}: {e}", subject.program.display()));
    let polled = api.next_poll(TIMEOUT).await.unwrap_or_else(|| {
        panic!(
            "{} did not ask for an event within {TIMEOUT:?} (init errors: {:?}); see {}",
            subject.label,
            api.init_errors(),
            env.logs.display()
        )
    });
    Running {
        api,
        child,
        init: polled - spawned,
    }
}

/// Peak resident set size of a live process, in bytes.
pub(super) fn peak_rss(child: &Child) -> u64 {
    let status = fs::read_to_string(format!("/proc/{}/status", child.id())).expect("/proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .expect("VmHWM in /proc/PID/status")
        * 1024
}

/// One invocation: its duration, after checking the function answered `status` with a body
/// for which `check` holds.
pub(super) async fn invoke(
    running: &Running,
    event: &Value,
    status: u16,
    check: impl Fn(&Value) -> bool,
) -> Duration {
    let (duration, answer) = invoke_raw(running, event).await;
    let body: Value = answer["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    assert!(
        answer["statusCode"] == status && check(&body),
        "unexpected answer to {} {}: {answer}",
        event["routeKey"],
        event["rawPath"]
    );
    duration
}

/// One invocation of a function that is not behind API Gateway: its duration and its answer,
/// after checking it did not fail.
pub(super) async fn invoke_raw(running: &Running, event: &Value) -> (Duration, Value) {
    let outcome = running
        .api
        .invoke(event.to_string().into_bytes(), TIMEOUT)
        .await
        .expect("an answer");
    let answer: Value = serde_json::from_slice(&outcome.body).expect("a JSON answer");
    assert!(outcome.ok, "the function failed: {answer}");
    (outcome.duration, answer)
}
