#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(scim_get_user::ACTION, scim_get_user::handle).await
}
