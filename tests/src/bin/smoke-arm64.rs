//! `make smoke-arm64`: every function as it ships, run. Each arm64 `bootstrap` that `make
//! package` zipped is started under qemu with the environment `template.yaml` gives its
//! function (local values for the table, the endpoints and the key set), on a Lambda Runtime
//! API of its own (`tenantry_tests::runtime_api`), against the DynamoDB Local at
//! `TENANTRY_TEST_DYNAMODB_ENDPOINT` (seeded here) and moto's EventBridge at
//! `TENANTRY_TEST_EVENTBRIDGE_ENDPOINT`. It is fed its sample event from `events/`, must answer
//! with the expected status, log JSON lines only, one of them naming the invocation's request
//! id, and exit by itself once the Runtime API goes away. Then the failure paths, once each: a
//! missing setting is reported on `/init/error`, and an unreachable DynamoDB answers 503.
//!
//! smoke-arm64 --packages DIR [--qemu PROGRAM] [--sysroot DIR] [--logs DIR]
//!
//! DIR holds `<function>/bootstrap` (unzipped, executable) and `<function>/bootstrap.zip`.
//! Prints a table; exits 1 if a function failed, 2 on bad arguments.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tenantry_dev::template::{self, Template};
use tenantry_tests::events::{Subscriber, eventbridge_endpoint};
use tenantry_tests::runtime_api::RuntimeApi;
use tenantry_tests::{
    LOGIN_GUARD_KEY, SIGNING_KEYS, Stack, VERIFYING_KEYS, backdate_purge, samples,
};

const USAGE: &str =
    "usage: smoke-arm64 --packages DIR [--qemu PROGRAM] [--sysroot DIR] [--logs DIR]";
/// Emulated, a start and one invocation (argon2 included) take seconds, not minutes.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const INVOKE_TIMEOUT: Duration = Duration::from_secs(60);
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);
/// The stack name the template's `${AWS::StackName}` resolves to.
const STACK_NAME: &str = "tenantry-smoke";

struct Args {
    packages: PathBuf,
    qemu: PathBuf,
    sysroot: PathBuf,
    logs: PathBuf,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut packages = None;
    let mut qemu = "qemu-aarch64-static".to_owned();
    let mut sysroot = PathBuf::from("/usr/aarch64-linux-gnu");
    let mut logs = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--packages" => packages = Some(PathBuf::from(value)),
            "--qemu" => qemu = value.clone(),
            "--sysroot" => sysroot = PathBuf::from(value),
            "--logs" => logs = Some(PathBuf::from(value)),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let packages = packages.ok_or("--packages is required")?;
    // Every path absolute: each process runs in its own package's directory.
    let packages = fs::canonicalize(&packages)
        .map_err(|e| format!("--packages {}: {e}", packages.display()))?;
    let logs = logs.unwrap_or_else(|| packages.join("logs"));
    fs::create_dir_all(&logs).map_err(|e| format!("--logs {}: {e}", logs.display()))?;
    let logs = fs::canonicalize(&logs).map_err(|e| format!("--logs {}: {e}", logs.display()))?;
    let sysroot =
        fs::canonicalize(&sysroot).map_err(|e| format!("--sysroot {}: {e}", sysroot.display()))?;
    // The processes get no PATH of their own, so qemu is looked up here, in ours.
    let qemu = find_program(&qemu).ok_or(format!("--qemu {qemu}: not found on PATH"))?;
    Ok(Args {
        packages,
        qemu,
        sysroot,
        logs,
    })
}

/// `program` as an absolute path: as given if it names a path, else the first match on PATH.
fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return fs::canonicalize(program).ok();
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// One function's line of the table.
struct Row {
    function: String,
    zip_bytes: u64,
    /// Spawn to the first `/invocation/next`, emulated.
    init: Option<Duration>,
    outcome: Result<String, String>,
}

/// How one process ended, and what it logged.
struct Finished {
    answer: Option<Value>,
    request_id: Option<String>,
    init: Option<Duration>,
    init_errors: Vec<String>,
    exit: Option<ExitStatus>,
    log: String,
}

struct Smoke {
    args: Args,
    template: Template,
    stack: Stack,
    table: String,
    endpoint: String,
    bus: Subscriber,
    rows: Vec<Row>,
}

impl Smoke {
    /// The function's environment: the template's, with local values for what only a
    /// deployment gives (and only for variables the template declares), plus `extra`.
    fn environment(
        &self,
        function: &str,
        extra: &[(&'static str, String)],
    ) -> Result<BTreeMap<String, String>, String> {
        let declared = self.template.function_environment(function, STACK_NAME)?;
        let local = |name: &str| -> Option<String> {
            match name {
                "TABLE_NAME" => Some(self.table.clone()),
                "DYNAMODB_ENDPOINT" => Some(self.endpoint.clone()),
                "TENANTRY_SIGNING_KEYS" => Some(SIGNING_KEYS.to_owned()),
                "TENANTRY_VERIFYING_KEYS" => Some(VERIFYING_KEYS.to_owned()),
                "TENANTRY_LOGIN_GUARD_KEY" => Some(LOGIN_GUARD_KEY.to_owned()),
                "EVENT_BUS_NAME" => Some(self.bus.bus_name.clone()),
                _ => None,
            }
        };
        let mut environment = BTreeMap::new();
        for (name, value) in declared {
            let value = local(&name).or(value).ok_or_else(|| {
                format!("template.yaml gives {name} a value only a deployment resolves")
            })?;
            environment.insert(name, value);
        }
        for (name, value) in extra {
            environment.insert((*name).to_owned(), value.clone());
        }
        Ok(environment)
    }

    /// Starts `function` under qemu with `environment`, hands it `event` (unless it never
    /// asks), closes the Runtime API and waits for the process to end.
    async fn run(
        &self,
        function: &str,
        environment: &BTreeMap<String, String>,
        event: &str,
    ) -> Result<Finished, String> {
        let mut api = RuntimeApi::start()
            .await
            .map_err(|e| format!("runtime API: {e}"))?;
        let dir = self.args.packages.join(function);
        let log_path = self.args.logs.join(format!("{function}.log"));
        let log =
            fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let mut child = Command::new(&self.args.qemu)
            .arg("-L")
            .arg(&self.args.sysroot)
            .arg(dir.join("bootstrap"))
            .current_dir(&dir)
            .env_clear()
            .envs(api.lambda_environment(function))
            .env("LAMBDA_TASK_ROOT", &dir)
            .envs(environment)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.args.qemu.display()))?;
        let spawned = Instant::now();
        let mut finished = Finished {
            answer: None,
            request_id: None,
            init: None,
            init_errors: Vec::new(),
            exit: None,
            log: String::new(),
        };
        tokio::select! {
            polled = api.next_poll(START_TIMEOUT) => {
                if let Some(polled) = polled {
                    finished.init = Some(polled - spawned);
                    let outcome = api.invoke(event.as_bytes().to_vec(), INVOKE_TIMEOUT).await;
                    if let Ok(outcome) = outcome {
                        finished.request_id = Some(outcome.request_id);
                        finished.answer = Some(if outcome.ok {
                            serde_json::from_slice(&outcome.body)
                                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&outcome.body).into()))
                        } else {
                            serde_json::json!({"invocation_error": String::from_utf8_lossy(&outcome.body)})
                        });
                    }
                }
            }
            _ = wait_for_exit(&mut child, START_TIMEOUT) => {}
        }
        finished.init_errors = api.init_errors();
        // The Runtime API goes away, as when Lambda shuts the sandbox down.
        drop(api);
        finished.exit = wait_for_exit(&mut child, EXIT_TIMEOUT).await;
        if finished.exit.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        finished.log = fs::read_to_string(&log_path).unwrap_or_default();
        Ok(finished)
    }

    /// Runs `function` on its sample event and checks the answer with `check`, which returns
    /// the status for the table. Returns the answer.
    async fn invoke(
        &mut self,
        function: &str,
        event: String,
        check: impl Fn(&Value) -> Result<String, String>,
    ) -> Option<Value> {
        let zip_bytes = fs::metadata(self.args.packages.join(function).join("bootstrap.zip"))
            .map(|m| m.len())
            .unwrap_or(0);
        let result = match self.environment(function, &self.extra(function)) {
            Err(e) => Err(e),
            Ok(environment) => self.run(function, &environment, &event).await,
        };
        let (init, outcome, answer) = match result {
            Err(e) => (None, Err(e), None),
            Ok(finished) => {
                let outcome = judge(&finished, &check);
                (finished.init, outcome, finished.answer)
            }
        };
        self.rows.push(Row {
            function: function.to_owned(),
            zip_bytes,
            init,
            outcome,
        });
        answer
    }

    /// Variables the template does not declare that a local run needs: moto's endpoint for a
    /// function the template gives an event bus.
    fn extra(&self, function: &str) -> Vec<(&'static str, String)> {
        let declared = self
            .template
            .function_environment(function, STACK_NAME)
            .unwrap_or_default();
        if declared.contains_key("EVENT_BUS_NAME") {
            vec![("EVENTBRIDGE_ENDPOINT", eventbridge_endpoint())]
        } else {
            Vec::new()
        }
    }

    /// An HTTP function fed its filled-in sample: the status must be `status`; returns the body.
    async fn http(
        &mut self,
        function: &str,
        token: Option<&str>,
        ids: &[(&str, &str)],
        status: u16,
    ) -> Value {
        let event = samples::filled(function, token, ids);
        let answer = self
            .invoke(function, event, |answer| {
                if answer["statusCode"] == status {
                    Ok(status.to_string())
                } else {
                    Err(format!("expected {status}, answered {answer}"))
                }
            })
            .await;
        answer
            .and_then(|a| {
                a["body"]
                    .as_str()
                    .and_then(|b| serde_json::from_str(b).ok())
            })
            .unwrap_or(Value::Null)
    }
}

/// The checks every run must pass, then `check` on the answer.
fn judge(
    finished: &Finished,
    check: &impl Fn(&Value) -> Result<String, String>,
) -> Result<String, String> {
    let tail = || {
        let lines: Vec<&str> = finished.log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n    ")
    };
    if finished.log.contains("panicked") {
        return Err(format!("panicked:\n    {}", tail()));
    }
    let Some(answer) = &finished.answer else {
        return Err(format!(
            "no answer (init errors: {:?}, exit: {:?}):\n    {}",
            finished.init_errors,
            finished.exit,
            tail()
        ));
    };
    let status = check(answer)?;
    let lines: Vec<&str> = finished.log.lines().filter(|l| !l.is_empty()).collect();
    if let Some(line) = lines
        .iter()
        .find(|l| !serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()))
    {
        return Err(format!("a log line that is not a JSON object: {line}"));
    }
    let id = finished.request_id.as_deref().unwrap_or_default();
    if !lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .any(|line| line["request_id"] == id)
    {
        return Err(format!("no log line names the request id {id}"));
    }
    match finished.exit {
        None => Err("still running after the Runtime API went away".into()),
        Some(exit) if exit.code().is_none() => Err(format!("ended by a signal: {exit}")),
        Some(_) => Ok(status),
    }
}

async fn wait_for_exit(child: &mut std::process::Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("smoke-arm64: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let template = match Template::load(&template::default_path()) {
        Ok(template) => template,
        Err(e) => {
            eprintln!("smoke-arm64: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stack = Stack::new().await;
    let table = stack.store.table().to_owned();
    let bus = Subscriber::start(&format!("smoke-{}", uuid::Uuid::now_v7().simple())).await;
    let mut smoke = Smoke {
        args,
        template,
        stack,
        table,
        endpoint: tenantry_tests::endpoint(),
        bus,
        rows: Vec::new(),
    };
    every_function(&mut smoke).await;
    let mut failed = report(&smoke);
    failed |= failure_paths(&mut smoke).await;
    if failed {
        eprintln!(
            "smoke-arm64: FAILED; the functions' output is in {}",
            smoke.args.logs.display()
        );
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every function of the template, on its sample event, in an order that lets each succeed.
async fn every_function(smoke: &mut Smoke) {
    let stack = &smoke.stack;
    let (_, owner) = stack.tenant("acme").await;
    let (ben, _) = stack.user("acme", &owner, "ben", "user").await;
    let (ada, _) = stack.user("acme", &owner, "ada", "admin").await;
    let (kim, _) = stack.user("acme", &owner, "kim", "user").await;
    let (lee, _) = stack.user("acme", &owner, "lee", "user").await;
    let root = stack.root_token.clone();
    let directory = tenantry_tests::Request::post("/tenants/acme/scim-tokens")
        .token(&owner)
        .json(serde_json::json!({"name": "Smoke"}))
        .send(stack)
        .await
        .body["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Lee was deleted long ago: the scheduled purge has one user to purge.
    stack.delete("acme", &lee, &owner).await;
    backdate_purge(&stack.store, "acme", &lee).await;
    let ben_id = [("USER_ID", ben.as_str())];
    let kim_id = [("USER_ID", kim.as_str())];

    smoke.http("health", None, &[], 200).await;
    smoke.http("get-jwks", None, &[], 200).await;
    let login = smoke.http("auth-login", None, &[], 200).await;
    let refresh = login["refresh_token"].as_str().unwrap_or("none").to_owned();
    let refreshed = smoke
        .http("auth-refresh", None, &[("REFRESH_TOKEN", &refresh)], 200)
        .await;
    let ben_token = refreshed["access_token"]
        .as_str()
        .unwrap_or("none")
        .to_owned();
    smoke.http("auth-logout", Some(&ben_token), &[], 200).await;
    smoke.http("set-password", Some(&owner), &ben_id, 200).await;
    // Signed in with the password set-password set (a failed set-password shows in its row).
    let ben_token = tenantry_tests::Request::post("/auth/login")
        .json(serde_json::json!({"tenant": "acme", "username": "ben",
            "password": "a-brand-new-long-password"}))
        .send(&smoke.stack)
        .await
        .body["access_token"]
        .as_str()
        .unwrap_or("none")
        .to_owned();
    smoke
        .http("auth-logout-all", Some(&ben_token), &[], 200)
        .await;
    smoke.http("create-tenant", Some(&root), &[], 201).await;
    smoke.http("create-user", Some(&owner), &[], 201).await;
    smoke.http("get-me", Some(&owner), &[], 200).await;
    smoke.http("get-user", Some(&owner), &ben_id, 200).await;
    smoke.http("update-user", Some(&owner), &ben_id, 200).await;
    smoke.http("delete-user", Some(&owner), &ben_id, 200).await;
    smoke.http("list-users", Some(&owner), &[], 200).await;
    smoke.http("restore-user", Some(&owner), &ben_id, 200).await;
    smoke.stack.delete("acme", &ben, &owner).await;
    smoke.http("purge-user", Some(&owner), &ben_id, 200).await;
    smoke.http("update-tenant", Some(&owner), &[], 200).await;
    smoke.http("get-tenant", Some(&owner), &[], 200).await;
    smoke.http("console", None, &[], 200).await;
    smoke.http("list-audit", Some(&owner), &[], 200).await;
    let created = smoke
        .http("create-directory-token", Some(&owner), &[], 201)
        .await;
    let token_id = created["id"].as_str().unwrap_or("none").to_owned();
    smoke
        .http("list-directory-tokens", Some(&owner), &[], 200)
        .await;
    smoke
        .http(
            "revoke-directory-token",
            Some(&owner),
            &[("TOKEN_ID", &token_id)],
            200,
        )
        .await;
    smoke
        .http("scim-discovery", Some(&directory), &[], 200)
        .await;
    smoke
        .http("scim-discovery-item", Some(&directory), &[], 200)
        .await;
    smoke.http("scim-search", Some(&directory), &[], 501).await;
    smoke
        .http("scim-create-user", Some(&directory), &[], 201)
        .await;
    smoke
        .http("scim-list-users", Some(&directory), &[], 200)
        .await;
    smoke
        .http("scim-get-user", Some(&directory), &kim_id, 200)
        .await;
    smoke
        .http("scim-replace-user", Some(&directory), &kim_id, 200)
        .await;
    smoke
        .http("scim-patch-user", Some(&directory), &kim_id, 200)
        .await;
    smoke
        .http("scim-delete-user", Some(&directory), &kim_id, 204)
        .await;
    smoke
        .http(
            "transfer-ownership",
            Some(&owner),
            &[("NEW_OWNER_ID", &ada)],
            200,
        )
        .await;

    smoke
        .invoke(
            "purge-deleted",
            samples::read("purge-deleted"),
            |answer| match (answer["purged"].as_u64(), answer["failed"].as_u64()) {
                (Some(purged), Some(0)) if purged >= 1 => Ok(format!("purged {purged}")),
                _ => Err(format!("expected a purge without failures: {answer}")),
            },
        )
        .await;
    smoke
        .invoke(
            "publish-events",
            samples::read("publish-events"),
            |answer| match answer["batchItemFailures"].as_array() {
                Some(failures) if failures.is_empty() => Ok("published".into()),
                _ => Err(format!("expected no batch item failures: {answer}")),
            },
        )
        .await;
    // The two audit items of the sample reach the subscriber's queue.
    let deadline = Instant::now() + Duration::from_secs(15);
    while smoke.bus.delivered.len() < 2 && Instant::now() < deadline {
        smoke.bus.receive_once().await;
    }
    let delivered = smoke.bus.delivered.len();
    if delivered != 2
        && let Some(row) = smoke.rows.last_mut()
        && row.outcome.is_ok()
    {
        row.outcome = Err(format!("{delivered} events reached the bus's queue, not 2"));
    }
}

/// Prints the table; `true` if a function failed.
fn report(smoke: &Smoke) -> bool {
    let functions: std::collections::BTreeSet<String> = smoke
        .template
        .routes()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.function)
        .chain(smoke.template.scheduled_functions().unwrap_or_default())
        .chain(smoke.template.stream_functions().unwrap_or_default())
        .collect();
    let run: std::collections::BTreeSet<String> =
        smoke.rows.iter().map(|r| r.function.clone()).collect();
    println!(
        "{:<24} {:>9} {:>22}  status",
        "function", "zip KiB", "start to poll (qemu)"
    );
    for row in &smoke.rows {
        let init = row
            .init
            .map(|d| format!("{} ms", d.as_millis()))
            .unwrap_or_else(|| "-".into());
        let status = match &row.outcome {
            Ok(status) => status.clone(),
            Err(e) => format!("FAILED: {e}"),
        };
        println!(
            "{:<24} {:>9} {:>22}  {status}",
            row.function,
            row.zip_bytes.div_ceil(1024),
            init
        );
    }
    let mut failed = smoke.rows.iter().any(|r| r.outcome.is_err());
    for missing in functions.difference(&run) {
        println!("{missing:<24} FAILED: a function of template.yaml the smoke does not run");
        failed = true;
    }
    println!(
        "{} functions; the start times are under qemu's emulation on this machine, not Lambda's",
        smoke.rows.len()
    );
    failed
}

/// The failure paths, once each on arm64: `true` if one did not behave.
async fn failure_paths(smoke: &mut Smoke) -> bool {
    let mut failed = false;
    // Neither run gets as far as the token or the user.
    let root = (smoke.stack.root_token.clone(), smoke.stack.root_id.clone());
    let event = samples::filled("get-user", Some(&root.0), &[("USER_ID", &root.1)]);

    // A setting the template forgot: the start fails, says why, and tells Lambda.
    let mut environment = smoke.environment("get-user", &[]).unwrap_or_default();
    // get-user verifies tokens and never signs: the template gives it the verifying set only.
    let verdict = if environment.contains_key("TENANTRY_SIGNING_KEYS") {
        Err("get-user has the private signing keys".into())
    } else {
        environment.remove("TENANTRY_VERIFYING_KEYS");
        match smoke.run("get-user", &environment, &event).await {
            Err(e) => Err(e),
            Ok(finished) => missing_setting(&finished, "TENANTRY_VERIFYING_KEYS"),
        }
    };
    failed |= print_path("get-user without TENANTRY_VERIFYING_KEYS", verdict);

    // The login guard key: only the functions that check passwords get it, and they do not
    // start without it.
    let login = samples::filled("auth-login", None, &[]);
    let mut environment = smoke.environment("auth-login", &[]).unwrap_or_default();
    let verdict = if smoke
        .environment("get-user", &[])
        .is_ok_and(|e| e.contains_key("TENANTRY_LOGIN_GUARD_KEY"))
    {
        Err("get-user has the login guard key".into())
    } else {
        environment.remove("TENANTRY_LOGIN_GUARD_KEY");
        match smoke.run("auth-login", &environment, &login).await {
            Err(e) => Err(e),
            Ok(finished) => missing_setting(&finished, "TENANTRY_LOGIN_GUARD_KEY"),
        }
    };
    failed |= print_path("auth-login without TENANTRY_LOGIN_GUARD_KEY", verdict);

    // DynamoDB out of reach: 503, not 500, and no panic.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| format!("http://{a}"))
        .unwrap_or_else(|_| "http://127.0.0.1:9".into());
    let mut environment = smoke.environment("get-user", &[]).unwrap_or_default();
    environment.insert("DYNAMODB_ENDPOINT".into(), closed);
    let verdict = match smoke.run("get-user", &environment, &event).await {
        Err(e) => Err(e),
        Ok(finished) => judge(&finished, &|answer: &Value| {
            if answer["statusCode"] == 503 {
                Ok("503".into())
            } else {
                Err(format!("expected 503, answered {answer}"))
            }
        }),
    };
    failed |= print_path("get-user with DynamoDB out of reach", verdict);
    failed
}

/// A start without `setting`: no invocation, one `/init/error` naming it, an ERROR log line
/// naming it, no panic, and an exit of the process's own.
fn missing_setting(finished: &Finished, setting: &str) -> Result<String, String> {
    if finished.log.contains("panicked") {
        return Err(format!("panicked: {}", finished.log));
    }
    if finished.init.is_some() || finished.answer.is_some() {
        return Err("it started and asked for an event".into());
    }
    let [report] = finished.init_errors.as_slice() else {
        return Err(format!(
            "expected one /init/error report, got {:?}",
            finished.init_errors
        ));
    };
    let report: Value = serde_json::from_str(report).unwrap_or(Value::Null);
    if !report["errorMessage"]
        .as_str()
        .is_some_and(|m| m.contains(setting))
    {
        return Err(format!(
            "the /init/error report does not name {setting}: {report}"
        ));
    }
    let logged = finished
        .log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .any(|line| line["level"] == "ERROR" && line.to_string().contains(setting));
    if !logged {
        return Err(format!(
            "no ERROR log line names {setting}: {}",
            finished.log
        ));
    }
    match finished.exit {
        Some(exit) if exit.code().is_some() => Ok(format!(
            "init error reported: {}",
            report["errorMessage"].as_str().unwrap_or_default()
        )),
        other => Err(format!("did not exit by itself: {other:?}")),
    }
}

fn print_path(name: &str, verdict: Result<String, String>) -> bool {
    match verdict {
        Ok(result) => {
            println!("{name}: {result}");
            false
        }
        Err(e) => {
            println!("{name}: FAILED: {e}");
            true
        }
    }
}
