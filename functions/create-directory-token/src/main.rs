#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(
        create_directory_token::ACTION,
        create_directory_token::handle,
    )
    .await
}
