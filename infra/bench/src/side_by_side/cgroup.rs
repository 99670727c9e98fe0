//! The CPU a function gets at a memory size, as Lambda gives it: a cgroup v1 `cpu` group per
//! size whose CFS quota is Lambda's share of one CPU, `cpu.cfs_quota_us = round(period ×
//! memory / 1769)`, for the memory sweep (`memory_sweep`).
//!
//! The groups are `tenantry-bench/<name>` under the bench's own group of the `cpu` hierarchy
//! (`/sys/fs/cgroup/cpu/tenantry-bench/128/` when the bench runs at its root). A process is
//! put in its group before its first instruction: the parent opens the group's
//! `cgroup.procs`, and the child, between fork and exec (`pre_exec`), writes "0" to it with
//! `libc::write`, which moves the writing process itself (kernel/cgroup/cgroup.c,
//! `cgroup_procs_write_start`: pid 0 is `current`; v1 and v2 alike). After the spawn,
//! `/proc/PID/cgroup` is read to check the group is the right one.
//!
//! The groups are removed at the end ([`CpuGroups::remove`]) and, when the bench panics (the
//! release profile aborts, so no destructor runs), by a panic hook that first ends the
//! bench's own children left in them.

use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Mutex, Once};
use std::time::Duration;

use tenantry_tests::memory_sizes::FULL_VCPU_MB;

/// The folder of the bench's groups, under its own group.
const ROOT_NAME: &str = "tenantry-bench";

/// The groups made by this process, for the panic hook.
static MADE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

/// `round(period × memory / 1769)`: the CPU time per period Lambda's share of one vCPU
/// amounts to at `mb`.
pub(super) fn quota_us(period_us: u64, mb: u32) -> u64 {
    (period_us as f64 * f64::from(mb) / f64::from(FULL_VCPU_MB)).round() as u64
}

/// One group: a memory size's CPU at a CFS period.
#[derive(Clone, Debug)]
pub(super) struct CpuGroup {
    pub(super) mb: u32,
    pub(super) period_us: u64,
    pub(super) quota_us: u64,
    dir: PathBuf,
    /// Its path in the hierarchy, as `/proc/PID/cgroup` names it.
    path: String,
}

/// Throttling counters of a group (`cpu.stat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CpuStat {
    pub(super) nr_periods: u64,
    pub(super) nr_throttled: u64,
    pub(super) throttled_ns: u64,
}

impl CpuStat {
    pub(super) fn since(self, before: CpuStat) -> CpuStat {
        CpuStat {
            nr_periods: self.nr_periods - before.nr_periods,
            nr_throttled: self.nr_throttled - before.nr_throttled,
            throttled_ns: self.throttled_ns - before.throttled_ns,
        }
    }
}

impl CpuGroup {
    /// Spawns `command` in this group, from the program's first instruction, and checks that
    /// `/proc/PID/cgroup` names the group.
    pub(super) fn spawn(&self, command: &mut Command) -> Result<Child, String> {
        let procs = fs::OpenOptions::new()
            .write(true)
            .open(self.dir.join("cgroup.procs"))
            .map_err(|e| format!("open {}/cgroup.procs: {e}", self.dir.display()))?;
        let fd = procs.as_raw_fd();
        // SAFETY: between fork and exec only async-signal-safe calls are allowed: `write(2)`
        // on a descriptor the parent opened, and reading errno.
        unsafe {
            command.pre_exec(move || {
                let written = libc::write(fd, b"0".as_ptr().cast(), 1);
                if written == 1 {
                    Ok(())
                } else {
                    Err(io::Error::last_os_error())
                }
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("spawn in {}: {e}", self.path))?;
        drop(procs);
        if let Err(wrong) = self.check_member(child.id()) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(wrong);
        }
        Ok(child)
    }

    /// Whether the `cpu` line of `/proc/PID/cgroup` names this group.
    pub(super) fn check_member(&self, pid: u32) -> Result<(), String> {
        let text = fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .map_err(|e| format!("/proc/{pid}/cgroup: {e}"))?;
        match cpu_path(&text) {
            Some(path) if path == self.path => Ok(()),
            other => Err(format!(
                "process {pid} is in the cpu group {other:?}, not {:?}",
                self.path
            )),
        }
    }

    pub(super) fn stat(&self) -> CpuStat {
        let text = fs::read_to_string(self.dir.join("cpu.stat")).unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or(0)
        };
        CpuStat {
            nr_periods: field("nr_periods "),
            nr_throttled: field("nr_throttled "),
            throttled_ns: field("throttled_time "),
        }
    }
}

/// The groups of one sweep.
pub(super) struct CpuGroups {
    root: PathBuf,
    groups: Vec<CpuGroup>,
}

impl CpuGroups {
    /// A group for each (memory, period); `Err` says why they cannot be made (not root, no
    /// cgroup v1 `cpu` hierarchy, no CFS bandwidth control).
    pub(super) fn create(cells: &[(u32, u64)]) -> Result<CpuGroups, String> {
        let mounts = fs::read_to_string("/proc/self/mounts")
            .map_err(|e| format!("cannot read /proc/self/mounts: {e}"))?;
        let mount = v1_cpu_mount(&mounts).ok_or(
            "no cgroup v1 hierarchy with the cpu controller is mounted (cgroup v2 alone is \
             not supported by the sweep)",
        )?;
        let own = fs::read_to_string("/proc/self/cgroup")
            .ok()
            .as_deref()
            .and_then(cpu_path)
            .ok_or("/proc/self/cgroup names no cpu group")?;
        let base = if own == "/" { String::new() } else { own };
        let under = Path::new(&mount).join(base.trim_start_matches('/'));
        if !under.join("cpu.cfs_quota_us").exists() {
            return Err(format!(
                "{} has no cpu.cfs_quota_us: the kernel lacks CFS bandwidth control",
                under.display()
            ));
        }
        let root = under.join(ROOT_NAME);
        make_dir(&root)?;
        let mut groups = CpuGroups {
            root,
            groups: Vec::new(),
        };
        for &(mb, period_us) in cells {
            let name = group_name(mb, period_us);
            let dir = groups.root.join(&name);
            let made = make_dir(&dir).and_then(|()| {
                let quota_us = quota_us(period_us, mb);
                write(&dir, "cpu.cfs_period_us", period_us)?;
                write(&dir, "cpu.cfs_quota_us", quota_us)?;
                if dir.join("cpu.cfs_burst_us").exists() {
                    write(&dir, "cpu.cfs_burst_us", 0)?;
                }
                Ok(quota_us)
            });
            match made {
                Ok(quota_us) => groups.groups.push(CpuGroup {
                    mb,
                    period_us,
                    quota_us,
                    dir,
                    path: format!("{base}/{ROOT_NAME}/{name}"),
                }),
                Err(reason) => {
                    groups.remove();
                    return Err(reason);
                }
            }
        }
        Ok(groups)
    }

    /// The group of `mb` at `period_us`.
    pub(super) fn get(&self, mb: u32, period_us: u64) -> &CpuGroup {
        self.groups
            .iter()
            .find(|g| g.mb == mb && g.period_us == period_us)
            .unwrap_or_else(|| panic!("no group for {mb} MB at {period_us} µs"))
    }

    /// Removes the groups (each must be empty: the processes in them have ended).
    pub(super) fn remove(self) {
        let dirs: Vec<PathBuf> = self.groups.iter().map(|g| g.dir.clone()).collect();
        for dir in dirs.iter().chain([&self.root]) {
            remove_dir(dir);
        }
        MADE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|made| !dirs.contains(made) && *made != self.root);
    }
}

/// `128` at the sweep's period, `128-period-100ms` at another.
pub(super) fn group_name(mb: u32, period_us: u64) -> String {
    if period_us == super::memory_sweep::PERIOD_US {
        mb.to_string()
    } else {
        format!("{mb}-period-{}ms", period_us / 1000)
    }
}

fn make_dir(dir: &Path) -> Result<(), String> {
    match fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(format!(
                "cannot create {}: {e} (the sweep needs root and a writable cgroup v1 cpu \
                 hierarchy)",
                dir.display()
            ));
        }
    }
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            clean_up_after_panic();
        }));
    });
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if !made.iter().any(|d| d == dir) {
        made.push(dir.to_owned());
    }
    Ok(())
}

fn write(dir: &Path, file: &str, value: u64) -> Result<(), String> {
    fs::write(dir.join(file), value.to_string())
        .map_err(|e| format!("cannot write {value} to {}/{file}: {e}", dir.display()))
}

/// `rmdir`, retried for a second while processes that were just ended leave the group.
fn remove_dir(dir: &Path) {
    for attempt in 0..20 {
        match fs::remove_dir(dir) {
            Ok(()) => return,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(e) if attempt == 19 => {
                eprintln!("bench: could not remove {}: {e}", dir.display());
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Ends this process's children still in the groups it made, then removes the groups
/// (deepest first).
fn clean_up_after_panic() {
    let made: Vec<PathBuf> = MADE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let me = std::process::id();
    for dir in &made {
        let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
            if parent_of(pid) == Some(me) {
                // SAFETY: sending a signal to a child of this process.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
    for dir in made.iter().rev() {
        remove_dir(dir);
    }
}

fn parent_of(pid: i32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state, then the parent's pid.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The mount point of the cgroup v1 hierarchy with the `cpu` controller, from
/// `/proc/self/mounts`.
fn v1_cpu_mount(mounts: &str) -> Option<String> {
    mounts.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (point, kind, options) = (fields.get(1)?, fields.get(2)?, fields.get(3)?);
        (*kind == "cgroup" && options.split(',').any(|o| o == "cpu")).then(|| point.to_string())
    })
}

/// The path of the `cpu` controller's line of a `/proc/PID/cgroup`.
fn cpu_path(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        controllers
            .split(',')
            .any(|c| c == "cpu")
            .then(|| path.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_is_lambda_s_share_of_the_period() {
        assert_eq!(quota_us(100_000, 128), 7_236);
        assert_eq!(quota_us(20_000, 128), 1_447);
        assert_eq!(quota_us(20_000, 1769), 20_000);
        assert_eq!(quota_us(100_000, 1024), 57_886);
    }

    #[test]
    fn the_cpu_hierarchy_and_group_are_read_from_proc() {
        let mounts = "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n\
                      cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0\n\
                      cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0\n";
        assert_eq!(
            v1_cpu_mount(mounts).as_deref(),
            Some("/sys/fs/cgroup/cpu,cpuacct")
        );
        assert_eq!(
            v1_cpu_mount("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"),
            None
        );
        let cgroup = "2:cpuacct:/\n1:cpu:/tenantry-bench/128\n0::/\n";
        assert_eq!(cpu_path(cgroup).as_deref(), Some("/tenantry-bench/128"));
        assert_eq!(cpu_path("0::/\n"), None);
    }
}
