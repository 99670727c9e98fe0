#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(
        revoke_directory_token::ACTION,
        revoke_directory_token::handle,
    )
    .await
}
