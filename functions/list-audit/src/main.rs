#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(list_audit::ACTION, list_audit::handle).await
}
