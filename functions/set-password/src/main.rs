#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run_checking_passwords(set_password::ACTION, set_password::handle).await
}
