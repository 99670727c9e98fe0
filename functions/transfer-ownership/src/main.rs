#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(transfer_ownership::ACTION, transfer_ownership::handle).await
}
