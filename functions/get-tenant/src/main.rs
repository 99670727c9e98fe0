#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(get_tenant::ACTION, get_tenant::handle).await
}
