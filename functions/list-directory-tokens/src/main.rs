#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(list_directory_tokens::ACTION, list_directory_tokens::handle).await
}
