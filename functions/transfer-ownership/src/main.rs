#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    tenantry_http::run(transfer_ownership::ACTION, transfer_ownership::handle).await
}
