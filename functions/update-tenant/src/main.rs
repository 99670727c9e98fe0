#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(update_tenant::ACTION, update_tenant::handle).await
}
