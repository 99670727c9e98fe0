#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(get_jwks::ACTION, get_jwks::handle).await
}
