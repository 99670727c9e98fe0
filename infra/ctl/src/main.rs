//! tenantryctl purge --table NAME [--endpoint URL] [--region REGION] [--dry-run] [--limit N]
//!     [--as-of RFC3339] [--concurrency N]
//! tenantryctl signing-keys new --kid KID [--from FILE] [--standby | --keep-private]
//! tenantryctl signing-keys activate --kid KID --from FILE [--keep-private]
//! tenantryctl signing-keys retire --kid KID --from FILE
//! tenantryctl unlock --table NAME --tenant ID --username NAME [--endpoint URL] [--region REGION]
//! tenantryctl events replay --table NAME --tenant ID --stack NAME --since RFC3339 [--until RFC3339]
//!     [--type TYPE]... [--bus NAME] [--endpoint URL] [--eventbridge-endpoint URL] [--region REGION]
//!
//! Exits 0 when no user (no event) failed, 1 when some did or the table could not be read, 2 on
//! bad arguments.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = tenantryctl::Cli::parse();
    match tenantryctl::run(cli, &mut std::io::stdout().lock()).await {
        Ok(report) => ExitCode::from(report.exit_status()),
        Err(message) => {
            eprintln!("tenantryctl: {message}");
            ExitCode::FAILURE
        }
    }
}
