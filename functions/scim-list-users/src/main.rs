#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(scim_list_users::ACTION, scim_list_users::handle).await
}
