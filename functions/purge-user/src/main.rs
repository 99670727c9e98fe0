#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(purge_user::ACTION, purge_user::handle).await
}
