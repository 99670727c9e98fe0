#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(auth_logout_all::ACTION, auth_logout_all::handle).await
}
