#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(restore_user::ACTION, restore_user::handle).await
}
