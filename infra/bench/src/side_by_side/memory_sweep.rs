//! Section 9, the memory sweep: each subject ([`SUBJECTS`]) at each memory size of
//! [`SWEPT_MB`], its process under the CPU quota Lambda gives that size (`cgroup`), on the
//! same Runtime API and DynamoDB Local as the other sections.
//!
//! First the check that the quotas bind (`busy_loop`). Then, subject after subject, with the
//! sizes side by side so that the machine's noise falls on all of them alike:
//!
//! - cold: a new process per invocation, one size after the other, round after round (after
//!   one unmeasured round): *init* (spawn to first poll) and the *first invocation*;
//! - warm: one process per size, [`WARM_UP`] invocations each uncounted, then blocks of
//!   invocations back to back (as Lambda feeds one instance under load) lasting at least
//!   [`BLOCK`], one size's block after the other, until each size has its count
//!   (`--sweep-warm`, times the subject's `warm_factor`).
//!
//! Two subjects are also run at the other CFS period ([`OTHER_PERIOD_US`]) at two sizes, in
//! the same rounds, to show how much the period (which AWS does not publish) matters.

use std::time::{Duration, Instant};

use tenantry_tests::memory_sizes::SWEPT_MB;

use super::busy_loop::{self, Spin};
use super::cgroup::{CpuGroup, CpuGroups};
use super::processes::{Running, Subject, invoke, invoke_raw, start_in};
use super::sweep_subjects::{Call, Expect, Fixtures, Kind, SUBJECTS, SweepSubject};
use super::{Bench, WARM_UP, sizing};

/// The CFS period of the sweep: 20 ms, the throttling interval observed on Lambda
/// (see the report); Linux's default is 100 ms.
pub(super) const PERIOD_US: u64 = 20_000;
/// The period the sensitivity check compares with: Linux's default.
pub(super) const OTHER_PERIOD_US: u64 = 100_000;
/// The subjects also run at [`OTHER_PERIOD_US`], and at which sizes.
const PERIOD_CHECK: [(Kind, [u32; 2]); 2] =
    [(Kind::LoginRight, [128, 512]), (Kind::GetUser, [128, 512])];
/// How long one size's invocations run back to back before the next size's turn: a few
/// periods of either length, so that a block reaches the throttling a steady load meets.
pub(super) const BLOCK: Duration = Duration::from_millis(250);

/// A size at a period: where a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cell {
    pub(super) mb: u32,
    pub(super) period_us: u64,
}

/// One subject's figures at one cell.
pub(super) struct CellFigures {
    pub(super) cell: Cell,
    pub(super) init: Vec<Duration>,
    pub(super) first: Vec<Duration>,
    pub(super) warm: Vec<Duration>,
}

pub(super) struct SubjectFigures {
    pub(super) subject: &'static SweepSubject,
    /// The sizes of [`SWEPT_MB`] at [`PERIOD_US`] first, in order; then the period check's.
    pub(super) cells: Vec<CellFigures>,
}

impl SubjectFigures {
    /// The figures of `mb` at `period_us`.
    pub(super) fn at(&self, mb: u32, period_us: u64) -> Option<&CellFigures> {
        self.cells.iter().find(|c| c.cell == Cell { mb, period_us })
    }

    /// The sizes at the sweep's period.
    pub(super) fn sizes(&self) -> impl Iterator<Item = &CellFigures> {
        self.cells.iter().filter(|c| c.cell.period_us == PERIOD_US)
    }
}

/// The quota check's runs: outside any group, then in each size's group.
pub(super) struct QuotaCheck {
    pub(super) iterations: u64,
    pub(super) outside: Vec<Spin>,
    pub(super) groups: Vec<(CpuGroup, Vec<Spin>)>,
}

pub(super) struct SweepFigures {
    pub(super) quota: QuotaCheck,
    pub(super) subjects: Vec<SubjectFigures>,
    pub(super) cold: usize,
    pub(super) warm: usize,
    pub(super) took: Duration,
}

/// The sweep, or why it was not run.
pub(super) enum Sweep {
    Skipped(String),
    Done(SweepFigures),
}

/// The cells of `subject`: every swept size at the sweep's period, then its period check.
fn cells_of(kind: Kind) -> Vec<Cell> {
    let mut cells: Vec<Cell> = SWEPT_MB
        .iter()
        .map(|&mb| Cell {
            mb,
            period_us: PERIOD_US,
        })
        .collect();
    for (checked, sizes) in PERIOD_CHECK {
        if checked == kind {
            cells.extend(sizes.iter().map(|&mb| Cell {
                mb,
                period_us: OTHER_PERIOD_US,
            }));
        }
    }
    cells
}

impl Bench {
    /// The whole sweep; `Skipped` with the reason when the CPU quotas cannot be set here.
    pub(super) async fn memory_sweep(&self) -> Sweep {
        let started = Instant::now();
        let measured: Vec<&str> = SUBJECTS.iter().map(|s| s.function).collect();
        let crates = sizing::function_crates(&sizing::functions_dir());
        if let Err(wrong) = sizing::check_coverage(&crates, &measured) {
            panic!("memory sweep: {wrong}");
        }
        let mut all_cells: Vec<(u32, u64)> = Vec::new();
        for subject in &SUBJECTS {
            for cell in cells_of(subject.kind) {
                if !all_cells.contains(&(cell.mb, cell.period_us)) {
                    all_cells.push((cell.mb, cell.period_us));
                }
            }
        }
        let groups = match CpuGroups::create(&all_cells) {
            Ok(groups) => groups,
            Err(reason) => {
                println!("memory sweep: SKIPPED: {reason}");
                return Sweep::Skipped(reason);
            }
        };
        let sized: Vec<CpuGroup> = SWEPT_MB
            .iter()
            .map(|&mb| groups.get(mb, PERIOD_US).clone())
            .collect();
        println!(
            "memory sweep: the quota check, a busy loop outside any group and in each of {} groups",
            sized.len()
        );
        let quota = match busy_loop::measure(sized.clone()).await {
            Ok((iterations, mut runs)) => QuotaCheck {
                iterations,
                outside: runs.remove(0),
                groups: sized.into_iter().zip(runs).collect(),
            },
            Err(reason) => {
                groups.remove();
                println!("memory sweep: SKIPPED: {reason}");
                return Sweep::Skipped(reason);
            }
        };
        let mut fixtures = Fixtures::new(self).await;
        let mut subjects = Vec::new();
        for subject in &SUBJECTS {
            subjects.push(self.sweep(subject, &groups, &mut fixtures).await);
        }
        groups.remove();
        Sweep::Done(SweepFigures {
            quota,
            subjects,
            cold: self.args.sweep_cold,
            warm: self.args.sweep_warm,
            took: started.elapsed(),
        })
    }

    /// One subject at each of its cells, cold then warm.
    async fn sweep(
        &self,
        subject: &'static SweepSubject,
        groups: &CpuGroups,
        fixtures: &mut Fixtures<'_>,
    ) -> SubjectFigures {
        let started = Instant::now();
        let cells = cells_of(subject.kind);
        let (cold, warm) = (
            self.args.sweep_cold,
            self.args.sweep_warm * subject.warm_factor,
        );
        let calls = cells.len() * (cold + 1 + WARM_UP + warm);
        fixtures.provide(subject.kind, calls).await;
        let program = Subject::rust(subject.function, &self.args.bin_dir.join(subject.function));
        let group = |cell: &Cell| groups.get(cell.mb, cell.period_us);
        let mut figures: Vec<CellFigures> = cells
            .iter()
            .map(|&cell| CellFigures {
                cell,
                init: Vec::new(),
                first: Vec::new(),
                warm: Vec::new(),
            })
            .collect();
        for round in 0..=cold {
            for (cell, figures) in cells.iter().zip(&mut figures) {
                let call = fixtures.call(subject.kind).await;
                let running = start_in(&program, &self.env(), Some(group(cell))).await;
                let first = invoke_call(&running, &call).await;
                if round > 0 {
                    figures.init.push(running.init);
                    figures.first.push(first);
                }
            }
        }
        let mut processes = Vec::new();
        for cell in &cells {
            processes.push(start_in(&program, &self.env(), Some(group(cell))).await);
        }
        for running in &processes {
            for _ in 0..WARM_UP {
                let call = fixtures.call(subject.kind).await;
                invoke_call(running, &call).await;
            }
        }
        while figures.iter().any(|f| f.warm.len() < warm) {
            for (running, figures) in processes.iter().zip(&mut figures) {
                let block = Instant::now();
                while figures.warm.len() < warm
                    && (block.elapsed() < BLOCK || figures.warm.is_empty())
                {
                    let call = fixtures.call(subject.kind).await;
                    figures.warm.push(invoke_call(running, &call).await);
                }
            }
        }
        println!(
            "memory sweep: {} at {} cells in {:.0} s",
            subject.label,
            cells.len(),
            started.elapsed().as_secs_f64()
        );
        SubjectFigures {
            subject,
            cells: figures,
        }
    }
}

/// Invokes `call` and checks its answer; the invocation's duration.
async fn invoke_call(running: &Running, call: &Call) -> Duration {
    match &call.expect {
        Expect::Http(status, check) => invoke(running, &call.event, *status, check).await,
        Expect::Purged(count) => {
            let (took, summary) = invoke_raw(running, &call.event).await;
            assert!(
                summary["purged"] == *count && summary["failed"] == 0,
                "purge-deleted purged other than {count}: {summary}"
            );
            took
        }
    }
}
