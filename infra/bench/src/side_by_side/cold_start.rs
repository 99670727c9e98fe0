//! Cold start (section 1, and the builds of section 6): a new process for every invocation,
//! each subject in turn, round after round.

use std::time::Duration;

use super::events::{get_event, page_event};
use super::processes::{Subject, invoke, peak_rss, start};
use super::{Bench, TENANT};

/// Each cold start of one subject.
#[derive(Default)]
pub(super) struct Cold {
    /// Spawn to first poll.
    pub(super) init: Vec<Duration>,
    /// The first invocation.
    pub(super) first: Vec<Duration>,
    /// Peak RSS after it, in bytes.
    pub(super) rss: Vec<u64>,
}

impl Bench {
    /// Python, the earlier builds, the shipped build: one start of each in turn, round after
    /// round, after an unmeasured round (so every file is in the page cache alike).
    pub(super) async fn cold_starts(&self) -> Vec<(Subject, Cold)> {
        let mut subjects = vec![self.python()];
        for (label, path) in &self.args.variants {
            subjects.push(Subject::rust(label, path));
        }
        subjects.push(self.shipped("get-user"));
        let (_, token) = self.owner().await;
        let get = get_event(TENANT, &self.target, &token);
        let mut samples: Vec<Cold> = subjects.iter().map(|_| Cold::default()).collect();
        println!(
            "cold starts: {} of each of {} functions",
            self.args.cold,
            subjects.len()
        );
        for round in 0..=self.args.cold {
            for (subject, sample) in subjects.iter().zip(&mut samples) {
                let running = start(subject, &self.env()).await;
                let first = invoke(&running, &get, 200, self.is_target()).await;
                let rss = peak_rss(&running.child);
                if round > 0 {
                    sample.init.push(running.init);
                    sample.first.push(first);
                    sample.rss.push(rss);
                }
            }
        }
        subjects.into_iter().zip(samples).collect()
    }

    /// The console's function beside `health`, the other function that reads nothing: one
    /// start of each in turn, round after round, after an unmeasured round. The first
    /// invocation is `GET /console` (the page) and `GET /health`.
    pub(super) async fn page_cold_starts(&self) -> Vec<(Subject, Cold)> {
        let subjects = [
            (self.shipped("health"), page_event("/health")),
            (self.shipped("console"), page_event("/console")),
        ];
        println!("cold starts: {} of health and of console", self.args.cold);
        let mut samples: Vec<Cold> = subjects.iter().map(|_| Cold::default()).collect();
        for round in 0..=self.args.cold {
            for ((subject, event), sample) in subjects.iter().zip(&mut samples) {
                let running = start(subject, &self.env()).await;
                // The page is HTML: its body is not JSON, and only its status is checked.
                let first = invoke(&running, event, 200, |_| true).await;
                let rss = peak_rss(&running.child);
                if round > 0 {
                    sample.init.push(running.init);
                    sample.first.push(first);
                    sample.rss.push(rss);
                }
            }
        }
        subjects
            .into_iter()
            .map(|(subject, _)| subject)
            .zip(samples)
            .collect()
    }
}
