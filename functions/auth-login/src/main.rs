#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run_checking_passwords(auth_login::ACTION, auth_login::handle).await
}
