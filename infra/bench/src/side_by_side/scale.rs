//! Scale (section 3): list-users on a small tenant and on a large one, by one process.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::events::{full_page, list_event};
use super::processes::start;
use super::warm_latency::interleaved;
use super::{Bench, seed_users, session};

impl Bench {
    /// list-users on a tenant of 1,000 users and on one of `--scale-users`, alternately.
    pub(super) async fn scale(&self) -> Vec<(usize, Vec<Duration>)> {
        let sizes = [1_000, self.args.scale_users];
        let mut tenants = Vec::new();
        for size in sizes {
            let tenant = format!("scale-{size}");
            let (owner, _) = self.stack.tenant(&tenant).await;
            let started = Instant::now();
            seed_users(&self.stack, &tenant, "member", size - 1, false).await;
            println!(
                "scale: seeded {size} users in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            let (_, token) = session(&self.stack, &tenant, &owner).await;
            tenants.push(list_event(&tenant, &token));
        }
        let running = start(&self.shipped("list-users"), &self.env()).await;
        let first_page = |body: &Value| full_page(body) && body["next_cursor"].is_string();
        let calls: Vec<_> = tenants.iter().map(|list| (&running, list)).collect();
        let samples = interleaved(self.args.warm / 2, &calls, first_page).await;
        sizes.into_iter().zip(samples).collect()
    }
}
