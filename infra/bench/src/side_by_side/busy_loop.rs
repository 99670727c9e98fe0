//! The check that the quotas bind: a loop of fixed CPU work (about [`TARGET_CPU`] of it on a
//! whole core) run as a process outside any group and inside each size's group, a few times
//! each in turn. The bench runs itself for it (`bench --busy-loop N`, [`child`]): the child
//! times its loop by the wall clock and by `getrusage` (user + system CPU), and prints both.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::cgroup::{CpuGroup, CpuStat};

/// About this much CPU per run.
const TARGET_CPU: Duration = Duration::from_millis(200);
/// Runs of each placement, interleaved.
pub(super) const RUNS: usize = 3;

/// The first argument that makes the bench a busy loop.
pub const FLAG: &str = "--busy-loop";

/// One run of the loop, as the child timed it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Spin {
    pub(super) wall: Duration,
    pub(super) cpu: Duration,
    /// The group's throttling during the run (none outside a group).
    pub(super) stat: CpuStat,
}

/// `bench --busy-loop ITERATIONS`: runs the loop and prints `WALL_NS CPU_NS`.
pub fn child(args: &[String]) -> std::process::ExitCode {
    let Some(iterations) = args.first().and_then(|n| n.parse::<u64>().ok()) else {
        eprintln!("bench {FLAG}: expected a number of iterations");
        return std::process::ExitCode::from(2);
    };
    let (cpu_before, started) = (cpu_time(), std::time::Instant::now());
    std::hint::black_box(work(iterations));
    let (wall, cpu) = (started.elapsed(), cpu_time() - cpu_before);
    println!("{} {}", wall.as_nanos(), cpu.as_nanos());
    std::process::ExitCode::SUCCESS
}

/// Fixed work: a xorshift generator, `iterations` steps.
fn work(iterations: u64) -> u64 {
    let mut x = std::hint::black_box(0x9E37_79B9_7F4A_7C15_u64);
    for _ in 0..iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let of = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    of(usage.ru_utime) + of(usage.ru_stime)
}

/// Runs the loop as a child, in `group` or outside any; blocking.
fn run(iterations: u64, group: Option<&CpuGroup>) -> Result<Spin, String> {
    let exe = std::env::current_exe().map_err(|e| format!("the bench's own path: {e}"))?;
    let mut command = Command::new(exe);
    command
        .arg(FLAG)
        .arg(iterations.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let before = group.map(CpuGroup::stat).unwrap_or_default();
    let child = match group {
        Some(group) => group.spawn(&mut command)?,
        None => command
            .spawn()
            .map_err(|e| format!("spawn the busy loop: {e}"))?,
    };
    let output = child
        .wait_with_output()
        .map_err(|e| format!("the busy loop: {e}"))?;
    let stat = group.map(CpuGroup::stat).unwrap_or_default().since(before);
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text.split_whitespace().map(|n| n.parse::<u64>());
    match (output.status.success(), numbers.next(), numbers.next()) {
        (true, Some(Ok(wall)), Some(Ok(cpu))) => Ok(Spin {
            wall: Duration::from_nanos(wall),
            cpu: Duration::from_nanos(cpu),
            stat,
        }),
        _ => Err(format!(
            "the busy loop answered {text:?} ({})",
            output.status
        )),
    }
}

/// The iterations that take about [`TARGET_CPU`], from a run outside any group.
fn calibrate() -> Result<u64, String> {
    let probe = 20_000_000;
    let spin = run(probe, None)?;
    let per_iteration = spin.cpu.as_secs_f64().max(1e-6) / probe as f64;
    Ok((TARGET_CPU.as_secs_f64() / per_iteration).round() as u64)
}

/// The loop's runs outside any group (first) and in each of `groups`, [`RUNS`] of each,
/// interleaved; with the iterations run.
pub(super) async fn measure(groups: Vec<CpuGroup>) -> Result<(u64, Vec<Vec<Spin>>), String> {
    tokio::task::spawn_blocking(move || {
        let iterations = calibrate()?;
        let mut runs: Vec<Vec<Spin>> = vec![Vec::new(); groups.len() + 1];
        for _ in 0..RUNS {
            runs[0].push(run(iterations, None)?);
            for (group, sample) in groups.iter().zip(&mut runs[1..]) {
                sample.push(run(iterations, Some(group))?);
            }
        }
        Ok((iterations, runs))
    })
    .await
    .map_err(|e| format!("the busy loop's thread: {e}"))?
}
