#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(get_jwks::ACTION, get_jwks::handle).await
}
