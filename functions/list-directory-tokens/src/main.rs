#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(list_directory_tokens::ACTION, list_directory_tokens::handle).await
}
