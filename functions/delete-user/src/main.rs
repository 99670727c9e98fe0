#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(delete_user::ACTION, delete_user::handle).await
}
