#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(create_tenant::ACTION, create_tenant::handle).await
}
