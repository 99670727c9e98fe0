//! `make dev`: table from template.yaml, root bootstrap, API on http://127.0.0.1:PORT.

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use tenantry_dev::{Router, template};
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
    for route in router.routes() {
        println!(
            "  {:<6} {:<45} -> {}",
            route.method, route.path, route.function
        );
    }
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    Ok(())
}
