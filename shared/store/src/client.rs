//! Connecting: where the table is, the one HTTP client, and the `Store` handle every read and
//! write goes through.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
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

/// The AWS SDK configuration every function's client uses (DynamoDB, its stream, EventBridge):
/// the HTTP client above, short timeouts, `max_attempts` attempts per call, an endpoint override
/// for local runs, and the credentials Lambda gives a function: `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` from the environment, read once. No provider
/// chain: aws-config's (profiles, web identity through STS, container and instance metadata)
/// is for machines that are not Lambda, and took 1.2 MB of every function's binary
/// (BENCHMARKS.md, section 5). With an override and no `AWS_ACCESS_KEY_ID`, it uses dummy
/// credentials: local emulators accept any. With neither, calls fail as unavailable.
///
/// Built with the `aws-sdk-defaults` feature (for `make bench`'s before-and-after only), it is
/// [`operator_sdk_config`], as every function's was before.
pub async fn sdk_config(
    region: &str,
    endpoint: Option<&str>,
    max_attempts: u32,
) -> aws_config::SdkConfig {
    #[cfg(feature = "aws-sdk-defaults")]
    {
        operator_sdk_config(region, endpoint, max_attempts).await
    }
    #[cfg(not(feature = "aws-sdk-defaults"))]
    {
        lambda_sdk_config(
            |name| std::env::var(name).ok(),
            region,
            endpoint,
            max_attempts,
        )
    }
}

/// [`sdk_config`] without the feature, reading the environment through `env`.
#[cfg_attr(feature = "aws-sdk-defaults", allow(dead_code))]
fn lambda_sdk_config(
    env: impl Fn(&str) -> Option<String>,
    region: &str,
    endpoint: Option<&str>,
    max_attempts: u32,
) -> aws_config::SdkConfig {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Some(Credentials::new(
            id,
            secret,
            var("AWS_SESSION_TOKEN"),
            None,
            "environment",
        )),
        (None, _) if endpoint.is_some() => Some(local_credentials()),
        _ => None,
    };
    let builder = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .region(aws_config::Region::new(region.to_owned()))
        .retry_config(retry_config(max_attempts))
        .timeout_config(timeout_config());
    let builder = match credentials {
        Some(credentials) => {
            builder.credentials_provider(SharedCredentialsProvider::new(credentials))
        }
        None => builder,
    };
    match endpoint {
        Some(endpoint) => builder.endpoint_url(endpoint).build(),
        None => builder.build(),
    }
}

/// [`sdk_config`] for operators' tools (`tenantryctl`), which run on people's machines: the
/// credentials come from aws-config's default provider chain (the environment, profiles, web
/// identity, container and instance metadata).
pub async fn operator_sdk_config(
    region: &str,
    endpoint: Option<&str>,
    max_attempts: u32,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .region(aws_config::Region::new(region.to_owned()))
        .retry_config(retry_config(max_attempts))
        .timeout_config(timeout_config());
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(local_credentials());
        }
    }
    loader.load().await
}

fn local_credentials() -> Credentials {
    Credentials::new("local", "local", None, None, "static")
}

fn retry_config(max_attempts: u32) -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard().with_max_attempts(max_attempts)
}

fn timeout_config() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build()
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

    /// Like `connect`, with an operator's credentials ([`operator_sdk_config`]).
    pub async fn connect_operator(config: &StoreConfig) -> Store {
        let sdk = operator_sdk_config(
            &config.region,
            config.endpoint.as_deref(),
            config.max_attempts,
        )
        .await;
        Store::new(Client::new(&sdk), config.table.clone())
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

#[cfg(test)]
mod tests {
    use aws_credential_types::provider::ProvideCredentials;

    use super::*;

    fn config(vars: &[(&str, &str)], endpoint: Option<&str>) -> aws_config::SdkConfig {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        lambda_sdk_config(env, "eu-west-1", endpoint, 3)
    }

    async fn credentials(config: &aws_config::SdkConfig) -> Option<Credentials> {
        let provider = config.credentials_provider()?;
        Some(provider.provide_credentials().await.unwrap())
    }

    #[tokio::test]
    async fn a_function_takes_the_credentials_lambda_puts_in_its_environment() {
        let lambda = [
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ];
        let sdk = config(&lambda, None);
        let got = credentials(&sdk).await.expect("credentials");
        assert_eq!(
            (
                got.access_key_id(),
                got.secret_access_key(),
                got.session_token()
            ),
            ("ASIAEXAMPLE", "secret", Some("token"))
        );
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(sdk.endpoint_url(), None);
        assert_eq!(sdk.retry_config().map(|r| r.max_attempts()), Some(3));
        // They win over the dummy ones even with an endpoint override.
        let local = config(&lambda, Some("http://127.0.0.1:8000"));
        let got = credentials(&local).await.expect("credentials");
        assert_eq!(got.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(local.endpoint_url(), Some("http://127.0.0.1:8000"));
    }

    #[tokio::test]
    async fn a_local_endpoint_without_credentials_gets_dummy_ones_and_aws_gets_none() {
        let local = config(&[], Some("http://127.0.0.1:8000"));
        let got = credentials(&local).await.expect("credentials");
        assert_eq!(got.access_key_id(), "local");
        // Without credentials there is no provider to fall back on: calls fail, none is made up.
        assert!(config(&[], None).credentials_provider().is_none());
        let half = [
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", ""),
        ];
        assert!(config(&half, None).credentials_provider().is_none());
    }
}
