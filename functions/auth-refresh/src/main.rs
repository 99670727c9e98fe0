#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(auth_refresh::ACTION, auth_refresh::handle).await
}
