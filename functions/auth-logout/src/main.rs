#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(auth_logout::ACTION, auth_logout::handle).await
}
