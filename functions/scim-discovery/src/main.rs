#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(scim_discovery::ACTION, scim_discovery::handle).await
}
