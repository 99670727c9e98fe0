#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(update_tenant::ACTION, update_tenant::handle).await
}
