#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(create_tenant::ACTION, create_tenant::handle).await
}
