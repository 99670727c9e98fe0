// Deep async nesting (the directory use cases over the API's own) needs more than the default.
#![recursion_limit = "256"]

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tenantry_http::run(scim_search::ACTION, scim_search::handle).await
}
