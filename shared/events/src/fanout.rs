//! Several buses as one (`make dev`: the events file, and EventBridge when one is named). An
//! entry is taken when every bus took it; otherwise it is put again on all of them, so a bus
//! that took it already sees it twice, with the same id.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::cloudevent::CloudEvent;
use crate::publisher::{Bus, Outcomes};

pub struct Fanout(pub Vec<Arc<dyn Bus>>);

impl Bus for Fanout {
    fn put<'a>(&'a self, events: &'a [CloudEvent]) -> BoxFuture<'a, Result<Outcomes, String>> {
        Box::pin(async move {
            let mut outcomes: Outcomes = vec![Ok(()); events.len()];
            for bus in &self.0 {
                let answer = match bus.put(events).await {
                    Ok(answer) if answer.len() == events.len() => answer,
                    Ok(answer) => vec![
                        Err(format!(
                            "a bus answered {} outcomes for {}",
                            answer.len(),
                            events.len()
                        ));
                        events.len()
                    ],
                    Err(error) => vec![Err(error); events.len()],
                };
                for (outcome, answer) in outcomes.iter_mut().zip(answer) {
                    if outcome.is_ok() {
                        *outcome = answer;
                    }
                }
            }
            Ok(outcomes)
        })
    }
}
