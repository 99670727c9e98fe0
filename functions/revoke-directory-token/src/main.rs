#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(
        revoke_directory_token::ACTION,
        revoke_directory_token::handle,
    )
    .await
}
