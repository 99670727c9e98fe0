#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    publish_events::run().await
}
