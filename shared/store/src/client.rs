//! Connecting: where the table is, the one HTTP client, and the `Store` handle every read and
//! write goes through.

use std::time::Duration;

use aws_sdk_dynamodb::Client;

/// Where the table is and how to reach it.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub table: String,
    pub region: String,
    /// Endpoint override for DynamoDB Local; `None` in AWS.
    pub endpoint: Option<String>,
    /// Total attempts per DynamoDB call, including the first.
    pub max_attempts: u32,
}

impl StoreConfig {
    /// Reads `TABLE_NAME` (default `tenantry`), `AWS_REGION` (default `us-east-1`) and
    /// `DYNAMODB_ENDPOINT` (unset or empty means the real DynamoDB).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        StoreConfig {
            table: var("TABLE_NAME").unwrap_or_else(|| "tenantry".into()),
            region: var("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
            endpoint: var("DYNAMODB_ENDPOINT"),
            max_attempts: 3,
        }
    }
}

/// The table. Cheap to clone; build it once per process.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) client: Client,
    pub(crate) table: String,
}

/// The SDK's HTTP client: hyper with rustls on `ring` (the SDK's default client uses
/// aws-lc-rs, a larger binary and a C build). Trusts the system's root certificates.
/// Every DynamoDB client needs one: the SDK is built without its default client.
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The AWS SDK configuration every client of tenantry uses (DynamoDB, its stream, EventBridge):
/// the HTTP client above, short timeouts, `max_attempts` attempts per call, and an endpoint
/// override for local runs. With an override and no `AWS_ACCESS_KEY_ID`, it uses dummy
/// credentials: local emulators accept any, and must not send it looking for real ones.
pub async fn sdk_config(
    region: &str,
    endpoint: Option<&str>,
    max_attempts: u32,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .region(aws_config::Region::new(region.to_owned()))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(max_attempts))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        );
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                "local", "local", None, None, "static",
            ));
        }
    }
    loader.load().await
}

impl Store {
    pub async fn connect(config: &StoreConfig) -> Store {
        Store::connect_with(config, |builder| builder).await
    }

    /// Like `connect`, with a last say over the client's configuration (tests add
    /// interceptors here, to count round trips or inject faults).
    pub async fn connect_with(
        config: &StoreConfig,
        customize: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
    ) -> Store {
        let sdk = sdk_config(
            &config.region,
            config.endpoint.as_deref(),
            config.max_attempts,
        )
        .await;
        let client =
            Client::from_conf(customize(aws_sdk_dynamodb::config::Builder::from(&sdk)).build());
        Store::new(client, config.table.clone())
    }

    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}
