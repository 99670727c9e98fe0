//! `make dev`: table from template.yaml, root bootstrap, API on http://127.0.0.1:PORT.

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use tenantry_dev::webhook::WebhookBus;
use tenantry_dev::{Router, events, template};
use tenantry_events::{Bus, EVENT_SOURCE_PREFIX, EventBridgeBus, Fanout, JsonlBus};
use tenantry_http::{App, Config, SigningKeys};

const ROOT_USERNAME: &str = "root";
const ROOT_EMAIL: &str = "root@platform.invalid";

fn random_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tenantry_http::init_tracing();
    // A dev key set per run unless one is given: tokens from an earlier run stop working.
    if std::env::var("TENANTRY_SIGNING_KEYS").is_err() {
        let keys = SigningKeys::generate("dev")?.to_json();
        // SAFETY: single-threaded at this point; nothing else reads the environment yet.
        unsafe { std::env::set_var("TENANTRY_SIGNING_KEYS", keys) };
    }
    // Likewise the login guard key: failed-login counts start afresh with each run.
    if std::env::var("TENANTRY_LOGIN_GUARD_KEY").is_err() {
        let key = random_secret() + &random_secret();
        // SAFETY: as above.
        unsafe { std::env::set_var("TENANTRY_LOGIN_GUARD_KEY", key) };
    }
    let config = Config::from_env()?;
    let template = template::Template::load(&template::default_path())?;
    let app = Arc::new(App::new(&config).await);

    let store = app.accounts.store();
    let created = store.create_table(&template.table()?).await?;
    println!(
        "table {} on {}: {}",
        store.table(),
        config.store.endpoint.as_deref().unwrap_or("AWS"),
        if created {
            "created from template.yaml"
        } else {
            "already there"
        }
    );

    let events = start_events(store, &config, &template).await?;

    let password = std::env::var("TENANTRY_ROOT_PASSWORD").ok();
    let generated = password.is_none();
    // A generated password must pass the policy too: it may not contain the username.
    let password = password.unwrap_or_else(|| {
        std::iter::repeat_with(random_secret)
            .find(|p| !p.to_lowercase().contains(ROOT_USERNAME))
            .expect("an endless supply")
    });
    if app
        .accounts
        .bootstrap_super_admin(ROOT_USERNAME, ROOT_EMAIL, &password)
        .await?
    {
        if generated {
            println!("super admin `root` created; password (shown once): {password}");
        } else {
            println!("super admin `root` created with TENANTRY_ROOT_PASSWORD");
        }
    } else {
        println!("super admin `root` already exists; its password is unchanged");
    }

    let router = Arc::new(Router::new(Arc::clone(&app), &template.routes()?)?);
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let addr = tenantry_dev::spawn(
        Arc::clone(&router),
        SocketAddr::from(([127, 0, 0, 1], port)),
    )
    .await?;
    println!("tenantry API on http://{addr} (log in with tenant `platform`, user `root`)");
    println!("admin console on http://{addr}/console");
    for route in router.routes() {
        println!(
            "  {:<6} {:<45} -> {}",
            route.method, route.path, route.function
        );
    }
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    let progress = events.stop().await?;
    println!("events: {} published this run", progress.published);
    Ok(())
}

/// The local publisher: the table's stream, published to `.tenantry/events.jsonl`, to
/// EventBridge when `EVENTBRIDGE_ENDPOINT` names one (bus `EVENT_BUS_NAME`, default
/// `tenantry-events`), and to a webhook when `TENANTRY_EVENTS_WEBHOOK` names one.
async fn start_events(
    store: &tenantry_store::Store,
    config: &Config,
    template: &template::Template,
) -> Result<events::StreamPublisher, Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let dir =
        std::path::PathBuf::from(var("TENANTRY_DATA_DIR").unwrap_or_else(|| ".tenantry".into()));
    std::fs::create_dir_all(&dir)?;
    let view = template
        .table()?
        .stream_view_type
        .ok_or("template.yaml: the table declares no stream")?;
    store.ensure_stream(&view).await?;
    let file = Arc::new(JsonlBus::new(dir.join("events.jsonl")));
    let mut buses: Vec<Arc<dyn Bus>> = vec![file.clone()];
    let mut to = vec![file.path().display().to_string()];
    if let Some(endpoint) = var("EVENTBRIDGE_ENDPOINT") {
        let bus_name = var("EVENT_BUS_NAME").unwrap_or_else(|| "tenantry-events".into());
        buses.push(Arc::new(
            EventBridgeBus::connect(&config.store.region, Some(&endpoint), &bus_name).await,
        ));
        to.push(format!("EventBridge bus {bus_name} on {endpoint}"));
    }
    if let Some(url) = var("TENANTRY_EVENTS_WEBHOOK") {
        buses.push(Arc::new(WebhookBus::new(
            &url,
            std::time::Duration::from_secs(5),
        )?));
        to.push(format!("POST {url}"));
    }
    let settings = events::StreamSettings {
        table: config.store.table.clone(),
        region: config.store.region.clone(),
        endpoint: config
            .store
            .endpoint
            .clone()
            .ok_or("make dev runs on DynamoDB Local: DYNAMODB_ENDPOINT must name it")?,
        filters: template.stream_filters("publish-events")?,
        source: format!("{EVENT_SOURCE_PREFIX}local"),
        checkpoint: Some(dir.join("events.checkpoint.json")),
        failure_log: Some(dir.join("events-failed.jsonl")),
        max_deliveries: 3,
        idle: std::time::Duration::from_millis(250),
    };
    let publisher = events::StreamPublisher::start(settings, Arc::new(Fanout(buses))).await?;
    println!(
        "lifecycle events: the table's stream, published to {}",
        to.join(" and ")
    );
    Ok(publisher)
}
