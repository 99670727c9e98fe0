#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    purge_deleted::run().await
}
