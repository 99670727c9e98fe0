#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(scim_replace_user::ACTION, scim_replace_user::handle).await
}
