#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(
        create_directory_token::ACTION,
        create_directory_token::handle,
    )
    .await
}
