#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(auth_logout_all::ACTION, auth_logout_all::handle).await
}
