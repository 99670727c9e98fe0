#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(scim_create_user::ACTION, scim_create_user::handle).await
}
