#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    purge_deleted::run().await
}
