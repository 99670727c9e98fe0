//! Lifecycle events, end to end on real parts: DynamoDB Local's stream, the local publisher
//! running the publish-events handler, moto's EventBridge with a rule to an SQS queue.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lambda_http::http::StatusCode;
use rand::Rng;
use serde_json::{Value, json};
use tenantry_accounts::{AuditAction, PurgeRun, Purger};
use tenantry_store::AuditItem;
use tenantry_tests::events::{
    EventsRig, InFlight, RefuseEntries, Subscriber, audit_log, publisher_to,
};
use tenantry_tests::{PASSWORD, ROOT_PASSWORD, Request, Stack, backdate_purge};

/// Every audited action once (and delete twice), on tenant `acme` and the platform. Returns
/// the usernames and emails it used, and the tokens it was given.
async fn every_action(stack: &Stack) -> (Vec<String>, Vec<String>) {
    let mut secrets = Vec::new();
    let (owner_id, owner) = stack.tenant("acme").await;
    secrets.push(owner.clone());
    let (ben, ben_token) = stack.user("acme", &owner, "ben", "user").await;
    let (ada, _) = stack.user("acme", &owner, "ada", "admin").await;
    let (cy, _) = stack.user("acme", &owner, "cyd", "user").await;
    secrets.push(ben_token.clone());
    let user = |id: &str| format!("/tenants/acme/users/{id}");
    // (method, path, body, whether ben acts, with a fresh login, instead of the owner)
    for (method, path, body, as_ben) in [
        ("PATCH", user(&ben), json!({"role": "agent"}), false),
        (
            "PATCH",
            user(&ben),
            json!({"email": "ben.new@acme.test"}),
            false,
        ),
        (
            "POST",
            format!("{}/password", user(&ben)),
            json!({"new_password": "a-brand-new-long-password"}),
            false,
        ),
        ("POST", "/auth/logout-all".to_owned(), Value::Null, true),
        ("DELETE", user(&ben), Value::Null, false),
        (
            "POST",
            format!("{}/restore", user(&ben)),
            Value::Null,
            false,
        ),
        ("DELETE", user(&ben), Value::Null, false),
        ("POST", format!("{}/purge", user(&ben)), Value::Null, false),
        (
            "PATCH",
            "/tenants/acme".to_owned(),
            json!({"retention_days": 7}),
            false,
        ),
        (
            "POST",
            "/tenants/acme/ownership".to_owned(),
            json!({"new_owner_id": ada}),
            false,
        ),
        ("DELETE", user(&cy), Value::Null, false),
    ] {
        let token = if as_ben {
            stack
                .login("acme", "ben", "a-brand-new-long-password")
                .await
        } else {
            owner.clone()
        };
        let mut request = Request::new(method, path.clone()).token(&token);
        if !body.is_null() {
            request = request.json(body);
        }
        let answer = request.send(stack).await;
        assert!(
            answer.status.is_success(),
            "{method} {path}: {}",
            answer.body
        );
        secrets.push(token);
    }
    // A directory token, created and revoked (by a super admin: the owner has handed over).
    let made = Request::new("POST", "/tenants/acme/scim-tokens".to_owned())
        .token(&stack.root_token)
        .json(json!({"name": "Entra ID"}))
        .send(stack)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    secrets.push(made.body["token"].as_str().unwrap().to_owned());
    let revoked = Request::new(
        "DELETE",
        format!(
            "/tenants/acme/scim-tokens/{}",
            made.body["id"].as_str().unwrap()
        ),
    )
    .token(&stack.root_token)
    .send(stack)
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    // The scheduled purge takes cy once its window has closed.
    backdate_purge(&stack.store, "acme", &cy).await;
    let summary = Purger::new(stack.store.clone(), Default::default())
        .run(&PurgeRun::now(), |_| {})
        .await;
    assert_eq!(summary.purged, 1, "{summary:?}");
    let _ = owner_id;
    let names = ["root", "acme-owner", "ben", "ada", "cyd"]
        .map(str::to_owned)
        .to_vec();
    let emails = ["root@platform.invalid", "ben.new@acme.test"]
        .map(str::to_owned)
        .into_iter()
        .chain(names.iter().skip(1).map(|n| format!("{n}@acme.test")))
        .collect();
    secrets.push(stack.root_token.clone());
    let mut words = names;
    words.push(PASSWORD.into());
    words.push(ROOT_PASSWORD.into());
    words.push("a-brand-new-long-password".into());
    words.extend(secrets);
    (words, emails)
}

fn schema(detail_type: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/../infra/events/{detail_type}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

async fn delivered_log(stack: &Stack, rig: &mut EventsRig) -> Vec<AuditItem> {
    let audits = audit_log(stack, &["platform", "acme"]).await;
    let ids: BTreeSet<String> = audits.iter().map(|a| a.id.clone()).collect();
    let missing = rig.subscriber.receive(&ids, Duration::from_secs(30)).await;
    assert!(
        missing.is_empty(),
        "never delivered: {missing:?}; publisher: {:?}; set aside: {:?}",
        rig.publisher.as_ref().map(|p| p.progress()),
        std::fs::read_to_string(rig.file.with_file_name("events-failed.jsonl")).ok(),
    );
    audits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_audited_action_publishes_its_event_with_its_type_subject_and_data() {
    let stack = Stack::with_events().await;
    let mut rig = EventsRig::start(&stack).await;
    every_action(&stack).await;
    let audits = delivered_log(&stack, &mut rig).await;

    let published: BTreeSet<&str> = audits
        .iter()
        .map(|a| AuditAction::parse(&a.action).unwrap().event_type().unwrap())
        .collect();
    let every_type: BTreeSet<&str> = AuditAction::ALL
        .into_iter()
        .filter_map(AuditAction::event_type)
        .collect();
    assert_eq!(published, every_type, "the story covers every event type");
    let schemas: BTreeSet<String> =
        std::fs::read_dir(format!("{}/../infra/events", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
    let expected: BTreeSet<String> = every_type.iter().map(|t| format!("{t}.json")).collect();
    assert_eq!(
        schemas, expected,
        "infra/events has one schema per event type, and no other file"
    );

    let by_id: BTreeMap<&str, &AuditItem> = audits.iter().map(|a| (a.id.as_str(), a)).collect();
    for delivered in &rig.subscriber.delivered {
        let event = &delivered.event;
        let audit = by_id[event.id.as_str()];
        let action = AuditAction::parse(&audit.action).unwrap();
        assert_eq!(Some(delivered.detail_type.as_str()), action.event_type());
        assert_eq!(delivered.source, "tenantry");
        assert_eq!(event.kind, format!("tenantry.{}", delivered.detail_type));
        assert_eq!(
            (event.time.as_str(), event.tenantid.as_str()),
            (audit.at.as_str(), audit.tenant_id.as_str())
        );
        assert_eq!(event.data["actor_id"], json!(audit.actor_id));
        let subject = if delivered.detail_type.starts_with("tenant.") {
            &audit.tenant_id
        } else {
            &audit.target_id
        };
        assert_eq!(&event.subject, subject, "{}", delivered.detail);
        if let Err(error) = schema(&delivered.detail_type).validate(&delivered.detail) {
            panic!("{}: {error}: {}", delivered.detail_type, delivered.detail);
        }
    }
    // The versions are the ones the changes produced: the restored user's is the one its
    // item holds, the tenant's is the one its item holds.
    let restored = rig
        .subscriber
        .delivered
        .iter()
        .find(|d| d.detail_type == "user.restored")
        .unwrap();
    let deleted_again = rig
        .subscriber
        .delivered
        .iter()
        .filter(|d| d.detail_type == "user.deleted" && d.event.subject == restored.event.subject)
        .map(|d| d.event.data["version"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(
        deleted_again,
        restored.event.data["version"].as_u64().unwrap() + 1
    );
    let tenant = stack.store.get_tenant("acme").await.unwrap().unwrap();
    let transferred = rig
        .subscriber
        .delivered
        .iter()
        .find(|d| d.detail_type == "tenant.ownership_transferred")
        .unwrap();
    assert_eq!(transferred.event.data["version"], json!(tenant.version));
    let deleted = rig
        .subscriber
        .delivered
        .iter()
        .find(|d| d.detail_type == "user.deleted")
        .unwrap();
    assert_eq!(
        deleted.event.data["restorable_until"],
        deleted.event.data["purge_after"]
    );
    rig.stop().await;

    // The template's filter held back the other records (users, claims, sessions...).
    let progress_file = rig.file_lines();
    assert_eq!(
        progress_file.len(),
        rig.subscriber.delivered.len(),
        "the file has what the bus got"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_event_holds_a_username_an_email_a_password_a_hash_or_a_token() {
    let stack = Stack::with_events().await;
    let mut rig = EventsRig::start(&stack).await;
    let (words, emails) = every_action(&stack).await;
    delivered_log(&stack, &mut rig).await;
    rig.stop().await;
    // Every password hash and refresh token digest of the table, while it still has them.
    let mut secrets: Vec<String> = words.into_iter().chain(emails).collect();
    let items = stack
        .store
        .client()
        .scan()
        .table_name(stack.store.table())
        .send()
        .await
        .unwrap();
    for item in items.items() {
        for key in ["password_hash", "refresh_hash", "secret_hash"] {
            if let Some(value) = item.get(key).and_then(|v| v.as_s().ok()) {
                secrets.push(value.clone());
            }
        }
    }
    assert!(
        secrets.iter().any(|s| s.starts_with("$argon2")),
        "the scan looks for hashes too"
    );

    let texts: Vec<String> = rig
        .subscriber
        .delivered
        .iter()
        .map(|d| d.detail.to_string())
        .chain(rig.file_lines())
        .collect();
    assert!(texts.len() >= 2 * 14, "{}", texts.len());
    for text in &texts {
        assert_eq!(leaks(text, &secrets), None, "{text}");
    }
    // The scan can fail: an event carrying a username, or a hash, is caught.
    let mut planted: Value = rig.subscriber.delivered[0].detail.clone();
    planted["data"]["username"] = json!("ben");
    assert_eq!(leaks(&planted.to_string(), &secrets), Some("ben".into()));
    let hash = secrets.iter().find(|s| s.starts_with("$argon2")).unwrap();
    planted["data"]["username"] = json!(hash);
    assert_eq!(leaks(&planted.to_string(), &secrets), Some(hash.clone()));
}

/// The first secret the text contains, as a JSON string value or inside one.
fn leaks(text: &str, secrets: &[String]) -> Option<String> {
    let value: Value = serde_json::from_str(text).unwrap();
    let mut strings = Vec::new();
    collect_strings(&value, &mut strings);
    secrets
        .iter()
        .find(|secret| {
            strings.iter().any(|s| {
                // Whole words only for short names ("ben" is not in "benefit"), anywhere for
                // hashes, tokens and addresses.
                if secret.len() <= 12 && !secret.contains('@') {
                    s.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
                        .any(|word| word.eq_ignore_ascii_case(secret))
                } else {
                    s.contains(secret.as_str())
                }
            })
        })
        .cloned()
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            collect_strings(v, out);
        }),
        _ => {}
    }
}

/// A tenant and three users, written before the publisher starts: it then reads them in one
/// batch, bootstrap first.
async fn five_events_then_publish(refuse: RefuseEntries) -> (Stack, EventsRig, Vec<AuditItem>) {
    let stack = Stack::with_events().await;
    let (_, owner) = stack.tenant("acme").await;
    for name in ["ben", "cyd", "dot"] {
        stack.user("acme", &owner, name, "user").await;
    }
    let mut audits = audit_log(&stack, &["platform", "acme"]).await;
    audits.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    assert_eq!(audits.len(), 5);
    let rig = EventsRig::start_with(&stack, refuse).await;
    (stack, rig, audits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_put_events_failure_puts_again_only_the_refused_entries() {
    let refuse = RefuseEntries::default();
    refuse.refuse([vec![1, 3]]);
    let (_stack, mut rig, audits) = five_events_then_publish(refuse.clone()).await;
    let ids: BTreeSet<String> = audits.iter().map(|a| a.id.clone()).collect();
    let missing = rig.subscriber.receive(&ids, Duration::from_secs(30)).await;
    assert!(missing.is_empty(), "{missing:?}");
    rig.subscriber.receive_once().await;
    rig.stop().await;

    let calls = refuse.calls();
    let in_order: Vec<String> = audits.iter().map(|a| a.id.clone()).collect();
    assert_eq!(
        calls[0], in_order,
        "one call with the five, in commit order"
    );
    assert_eq!(
        calls[1],
        [in_order[1].clone(), in_order[3].clone()],
        "then the two refused, alone"
    );
    assert_eq!(calls.len(), 2, "{calls:?}");
    // The bus never took an entry twice: each arrived once.
    let mut arrived: Vec<String> = rig
        .subscriber
        .delivered
        .iter()
        .map(|d| d.event.id.clone())
        .collect();
    arrived.sort();
    let mut expected = in_order.clone();
    expected.sort();
    assert_eq!(arrived, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_refused_every_time_is_set_aside_and_the_records_behind_it_go_on() {
    let refuse = RefuseEntries::default();
    // The third entry of the first call, then that entry at the head of every call after:
    // three attempts in each of three deliveries.
    refuse.refuse([vec![2]].into_iter().chain(std::iter::repeat_n(vec![0], 8)));
    let (stack, mut rig, audits) = five_events_then_publish(refuse.clone()).await;
    let poisoned = audits[2].id.clone();
    let publisher = rig.publisher.as_ref().unwrap();
    let set_aside = publisher
        .wait_for(Duration::from_secs(30), |p| p.set_aside == 1)
        .await;
    assert!(set_aside, "{:?}", publisher.progress());
    assert_eq!(publisher.progress().redeliveries, 2);
    // Three attempts in each of three deliveries, every one after the first starting at it.
    let calls = refuse.calls();
    assert_eq!(calls.len(), 9, "{calls:?}");
    assert!(calls[1..].iter().all(|c| c[0] == poisoned), "{calls:?}");

    // What comes after it is published.
    let owner = stack.login("acme", "acme-owner", PASSWORD).await;
    let (later, _) = stack.user("acme", &owner, "eve", "user").await;
    let later_audits = audit_log(&stack, &["acme"]).await;
    let everything_else: BTreeSet<String> = audits
        .iter()
        .chain(&later_audits)
        .map(|a| a.id.clone())
        .filter(|id| *id != poisoned)
        .collect();
    let missing = rig
        .subscriber
        .receive(&everything_else, Duration::from_secs(30))
        .await;
    assert!(
        missing.is_empty(),
        "held up behind the refused record: {missing:?}"
    );
    assert!(later_audits.iter().any(|a| a.target_id == later));
    rig.subscriber.receive_once().await;
    rig.stop().await;
    assert!(
        rig.subscriber
            .delivered
            .iter()
            .all(|d| d.event.id != poisoned)
    );
    let log = std::fs::read_to_string(rig.file.with_file_name("events-failed.jsonl")).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("InternalFailure"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_racing_the_purge_publishes_exactly_the_side_that_won() {
    let stack = Stack::with_events().await;
    let mut rig = EventsRig::start(&stack).await;
    let (_, owner) = stack.tenant("acme").await;
    let mut rng = rand::rng();
    let mut racers = Vec::new();
    for round in 0..30 {
        let (id, _) = stack
            .user("acme", &owner, &format!("racer{round}"), "user")
            .await;
        assert!(stack.delete("acme", &id, &owner).await.status.is_success());
        let (restore_delay, purge_delay) = (rng.random_range(0..4), rng.random_range(0..4));
        let restore = async {
            tokio::time::sleep(Duration::from_millis(restore_delay)).await;
            stack.restore("acme", &id, &owner).await
        };
        let purge = async {
            tokio::time::sleep(Duration::from_millis(purge_delay)).await;
            let run = PurgeRun {
                as_of: time::OffsetDateTime::now_utc() + time::Duration::days(31),
                ..PurgeRun::now()
            };
            Purger::new(stack.store.clone(), Default::default())
                .run(&run, |_| {})
                .await
        };
        let (restored, summary) = tokio::join!(restore, purge);
        assert_eq!(summary.failed, 0);
        racers.push((id, restored.status.is_success()));
    }
    let audits = delivered_log(&stack, &mut rig).await;
    rig.stop().await;
    assert_eq!(
        audits.len(),
        2 + 30 * 3,
        "bootstrap, tenant, and per racer: create, delete, restore or purge"
    );
    let (mut restores, mut purges) = (0, 0);
    for (id, restored) in &racers {
        let mut types: Vec<(u64, String)> = rig
            .subscriber
            .delivered
            .iter()
            .filter(|d| d.event.subject == *id)
            .map(|d| {
                (
                    d.event.data["version"].as_u64().unwrap(),
                    d.detail_type.clone(),
                )
            })
            .collect();
        types.sort();
        types.dedup();
        let types: Vec<&str> = types.iter().map(|(_, t)| t.as_str()).collect();
        let on_table = stack.user_item("acme", id).await.is_some();
        assert_eq!(on_table, *restored, "{id}");
        let last = if *restored {
            "user.restored"
        } else {
            "user.purged"
        };
        assert_eq!(types, ["user.created", "user.deleted", last], "{id}");
        if *restored {
            restores += 1;
        } else {
            purges += 1;
        }
    }
    println!("restore vs purge, 30 rounds, with events: restored {restores}, purged {purges}");
    assert!(restores > 0 && purges > 0, "the race went one way only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_publisher_killed_at_fifty_points_loses_nothing_when_it_starts_again() {
    let stack = std::sync::Arc::new(Stack::with_events().await);
    let mut subscriber = Subscriber::start(stack.store.table()).await;
    let checkpoint = std::env::temp_dir().join(format!("{}.checkpoint.json", stack.store.table()));
    // Changes keep coming while the publisher is killed and started again.
    let writer = {
        let stack = std::sync::Arc::clone(&stack);
        tokio::spawn(async move {
            let (_, owner) = stack.tenant("acme").await;
            for i in 0..60 {
                let (id, _) = stack
                    .user("acme", &owner, &format!("user{i}"), "user")
                    .await;
                if i % 2 == 0 {
                    assert!(stack.delete("acme", &id, &owner).await.status.is_success());
                }
            }
        })
    };
    let mut rng = rand::rng();
    let mut mid_put = 0;
    for kill in 0..50 {
        let in_flight = InFlight::default();
        let publisher =
            publisher_to(&stack, &subscriber.bus_name, &checkpoint, in_flight.clone()).await;
        if kill % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..120))).await;
        } else {
            // Right while a PutEvents is on its way.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
            while in_flight.now() == 0 && tokio::time::Instant::now() < deadline {
                tokio::task::yield_now().await;
            }
        }
        if in_flight.now() > 0 {
            mid_put += 1;
        }
        publisher.kill();
    }
    writer.await.unwrap();
    let publisher = publisher_to(
        &stack,
        &subscriber.bus_name,
        &checkpoint,
        InFlight::default(),
    )
    .await;
    let audits = audit_log(&stack, &["platform", "acme"]).await;
    let ids: BTreeSet<String> = audits.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids.len(), 2 + 60 + 30);
    let missing = subscriber.receive(&ids, Duration::from_secs(60)).await;
    publisher.stop().await.unwrap();
    let _ = std::fs::remove_file(&checkpoint);
    assert!(missing.is_empty(), "lost to the kills: {missing:?}");
    while subscriber.receive_once().await > 0 {}
    let mut first: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut duplicates = 0;
    for d in &subscriber.delivered {
        match first.get(d.event.id.as_str()) {
            Some(body) => {
                assert_eq!(*body, &d.detail, "a redelivery with another body");
                duplicates += 1;
            }
            None => {
                first.insert(&d.event.id, &d.detail);
            }
        }
    }
    println!(
        "50 kills, {mid_put} with a PutEvents in flight: {} events, {duplicates} delivered again",
        ids.len()
    );
    assert!(mid_put > 0, "no kill landed while a put was in flight");
}

/// A local service that records the CloudEvents POSTed to it, answering 503 to the first one.
async fn webhook_receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
) {
    use http_body_util::{BodyExt, Full};
    use hyper::body::{Bytes, Incoming};
    let received: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>> = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/tenantry", listener.local_addr().unwrap());
    let store = std::sync::Arc::clone(&received);
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (store, calls) = (std::sync::Arc::clone(&store), std::sync::Arc::clone(&calls));
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let (store, calls) =
                        (std::sync::Arc::clone(&store), std::sync::Arc::clone(&calls));
                    async move {
                        let kind = req.headers()["content-type"].to_str().unwrap().to_owned();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let first = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
                        let status = if first {
                            503
                        } else {
                            store
                                .lock()
                                .unwrap()
                                .push((kind, serde_json::from_slice(&body).unwrap()));
                            204
                        };
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_gets_every_event_as_a_cloudevent_and_a_refused_post_is_made_again() {
    let (url, received) = webhook_receiver().await;
    assert!(
        tenantry_dev::webhook::WebhookBus::new("https://example.com/hook", Duration::from_secs(1))
            .is_err()
    );
    assert!(tenantry_dev::webhook::WebhookBus::new("not a url", Duration::from_secs(1)).is_err());
    let stack = Stack::with_events().await;
    let bus = tenantry_dev::webhook::WebhookBus::new(&url, Duration::from_secs(5)).unwrap();
    let publisher = tenantry_tests::events::publisher_with(&stack, std::sync::Arc::new(bus)).await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben, _) = stack.user("acme", &owner, "ben", "user").await;
    assert!(stack.delete("acme", &ben, &owner).await.status.is_success());
    let ids: BTreeSet<String> = audit_log(&stack, &["platform", "acme"])
        .await
        .into_iter()
        .map(|a| a.id)
        .collect();
    let all_there = publisher
        .wait_for(Duration::from_secs(30), |p| {
            p.published as usize >= ids.len()
        })
        .await;
    publisher.stop().await.unwrap();
    assert!(all_there);
    let received = received.lock().unwrap().clone();
    let got: BTreeSet<String> = received
        .iter()
        .map(|(_, e)| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, ids, "the refused first POST was made again");
    assert!(
        received
            .iter()
            .all(|(kind, e)| kind == "application/cloudevents+json" && e["specversion"] == "1.0")
    );
    let types: Vec<&str> = received
        .iter()
        .map(|(_, e)| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "tenantry.user.created",
            "tenantry.tenant.created",
            "tenantry.user.created",
            "tenantry.user.deleted"
        ]
    );
}
