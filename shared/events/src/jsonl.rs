//! A file as the bus: one CloudEvent per line, appended (`make dev`'s `.tenantry/events.jsonl`).

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::cloudevent::CloudEvent;
use crate::publisher::{Bus, Outcomes};

#[derive(Debug)]
pub struct JsonlBus {
    path: PathBuf,
    file: Mutex<Option<tokio::fs::File>>,
}

impl JsonlBus {
    /// Appends to `path`, creating it (not its directory) on the first put.
    pub fn new(path: impl Into<PathBuf>) -> JsonlBus {
        JsonlBus {
            path: path.into(),
            file: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Bus for JsonlBus {
    fn put<'a>(&'a self, events: &'a [CloudEvent]) -> BoxFuture<'a, Result<Outcomes, String>> {
        Box::pin(async move {
            let mut lines = String::new();
            for event in events {
                lines.push_str(&serde_json::to_string(event).map_err(|e| e.to_string())?);
                lines.push('\n');
            }
            let mut file = self.file.lock().await;
            let open = match file.as_mut() {
                Some(open) => open,
                None => file.insert(
                    tokio::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&self.path)
                        .await
                        .map_err(|e| format!("{}: {e}", self.path.display()))?,
                ),
            };
            // One write per put: the lines of a put land together or not at all.
            open.write_all(lines.as_bytes())
                .await
                .and(open.flush().await)
                .map_err(|e| format!("{}: {e}", self.path.display()))?;
            Ok(vec![Ok(()); events.len()])
        })
    }
}
