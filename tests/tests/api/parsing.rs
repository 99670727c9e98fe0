//! Request bodies, parsed strictly: malformed JSON, syntax errors, duplicate, unknown,
//! missing, mistyped and invalid members are `400 validation_failed` naming the field; empty
//! bodies name the body; more than 64 KiB is 413, a non-JSON content type 415. A refused body
//! writes nothing and claims no name.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_tests::{PASSWORD, ROOT_PASSWORD, Request, Stack};

use crate::support::{
    MAX_BODY_BYTES, create_with_email, event_count, me_status, patch, table_keys, tenant_body,
    user_body, view,
};

/// A refused body: (what, method, path, body bytes, content type, status, code, field).
struct Refusal {
    what: String,
    path: &'static str,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    status: StatusCode,
    code: &'static str,
    field: Field,
}

/// What a refusal says about `field`.
enum Field {
    Named(&'static str),
    Absent,
}

fn bad(path: &'static str, what: &str, body: impl Into<Vec<u8>>, field: &'static str) -> Refusal {
    Refusal {
        what: what.to_owned(),
        path,
        body: body.into(),
        content_type: Some("application/json"),
        status: StatusCode::BAD_REQUEST,
        code: "validation_failed",
        field: Field::Named(field),
    }
}

const USERS: &str = "/tenants/acme/users";
const TENANTS: &str = "/tenants";

/// The owner of "acme" creates users, root creates tenants; all refused, nothing written,
/// and afterwards the names used are still free (no claim was left behind).
async fn refuse_all(cases: Vec<Refusal>) {
    assert!(!cases.is_empty());
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let users_before = stack.list_ids("acme", "all", &owner).await;
    let keys_before = table_keys(&stack).await;
    for case in &cases {
        let token = if case.path == TENANTS {
            &stack.root_token
        } else {
            &owner
        };
        let answer = Request::post(case.path)
            .token(token)
            .body(case.content_type, case.body.clone())
            .send(&stack)
            .await;
        let what = format!("POST {} {}", case.path, case.what);
        assert_eq!(
            (answer.status, answer.code()),
            (case.status, case.code),
            "{what}: {answer}"
        );
        match case.field {
            Field::Named(field) => assert_eq!(answer.field(), field, "{what}: {answer}"),
            Field::Absent => assert!(answer.body.get("field").is_none(), "{what}: {answer}"),
        }
        assert_eq!(
            stack.list_ids("acme", "all", &owner).await,
            users_before,
            "{what} changed the user list"
        );
    }
    assert_eq!(
        table_keys(&stack).await,
        keys_before,
        "a refused body wrote something"
    );
    Request::get("/tenants/newco/users")
        .token(&stack.root_token)
        .send(&stack)
        .await
        .expect_code(StatusCode::NOT_FOUND, "tenant_not_found");
    // The names every refused body carried are free: no partial claim survived.
    Request::post(USERS)
        .token(&owner)
        .json(user_body("ben"))
        .send(&stack)
        .await
        .expect(StatusCode::CREATED);
    Request::post(TENANTS)
        .token(&stack.root_token)
        .json(tenant_body("newco"))
        .send(&stack)
        .await
        .expect(StatusCode::CREATED);
}

fn with(mut base: Value, pointer: &str, value: Value) -> Vec<u8> {
    *base.pointer_mut(pointer).unwrap() = value;
    base.to_string().into_bytes()
}

fn without(mut base: Value, parent: &str, key: &str) -> Vec<u8> {
    base.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key)
        .unwrap();
    base.to_string().into_bytes()
}

fn plus(mut base: Value, parent: &str, key: &str, value: Value) -> Vec<u8> {
    base.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), value);
    base.to_string().into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_bodies_are_rejected_and_write_nothing() {
    let mut cases = Vec::new();
    for path in [USERS, TENANTS] {
        let valid = if path == USERS {
            user_body("ben")
        } else {
            tenant_body("newco")
        };
        cases.push(bad(path, "not JSON", "not json at all", "body"));
        cases.push(bad(path, "a JSON array", "[]", "body"));
        cases.push(bad(path, "JSON null", "null", "body"));
        cases.push(bad(path, "a JSON string", "\"ben\"", "body"));
        cases.push(bad(path, "trailing data", format!("{valid}}}"), "body"));
        cases.push(bad(path, "two objects", format!("{valid} {valid}"), "body"));
        cases.push(bad(
            path,
            "a key without a colon",
            if path == USERS {
                r#"{"username" "ben"}"#
            } else {
                r#"{"id" "newco"}"#
            },
            "body",
        ));
    }
    // Cut inside a member's value, the member is named.
    cases.push(bad(USERS, "cut after a key", r#"{"username":"#, "username"));
    cases.push(bad(
        USERS,
        "cut inside a string",
        r#"{"username":"be"#,
        "username",
    ));
    cases.push(bad(
        TENANTS,
        "cut inside owner",
        r#"{"id":"newco","owner":{"username":"#,
        "owner.username",
    ));
    refuse_all(cases).await;
}

/// A syntax error between two members has no field of its own (serde_path_to_error says
/// `?`): the answer names the enclosing object, never a question mark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_syntax_errors_between_members_name_the_body_not_a_question_mark() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let cases = [
        (USERS, r#"{"#, "body"),
        (USERS, r#"{"username":"ben","#, "body"),
        (USERS, r#"{"username":"ben""#, "body"),
        (USERS, r#"{"username":"ben",}"#, "body"),
        (USERS, r#"{"username":"ben" "email":"b@acme.test"}"#, "body"),
        (
            TENANTS,
            r#"{"id":"newco","owner":{"username":"nora","#,
            "owner",
        ),
    ];
    for (path, text, field) in cases {
        let token = if path == TENANTS {
            &stack.root_token
        } else {
            &owner
        };
        let answer = Request::post(path)
            .token(token)
            .body(Some("application/json"), text)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", field),
            "{text}: {answer}"
        );
    }
}

/// A member given twice is refused, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_body_fields_are_rejected_naming_the_field() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let text = format!(
        r#"{{"username":"ben","username":"bob","email":"ben@acme.test","password":"{PASSWORD}","role":"user"}}"#
    );
    let answer = Request::post(USERS)
        .token(&owner)
        .body(Some("application/json"), text)
        .send(&stack)
        .await;
    assert_eq!(
        (answer.status, answer.code(), answer.field()),
        (StatusCode::BAD_REQUEST, "validation_failed", "username"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_body_fields_are_rejected_naming_the_field() {
    let mut cases = Vec::new();
    for field in ["username", "email", "password", "role"] {
        cases.push(bad(
            USERS,
            &format!("missing {field}"),
            without(user_body("ben"), "", field),
            field,
        ));
    }
    cases.push(bad(USERS, "empty object", "{}", "username"));
    for field in ["id", "name", "owner"] {
        cases.push(bad(
            TENANTS,
            &format!("missing {field}"),
            without(tenant_body("newco"), "", field),
            field,
        ));
    }
    for (field, name) in [
        ("username", "owner.username"),
        ("email", "owner.email"),
        ("password", "owner.password"),
    ] {
        cases.push(bad(
            TENANTS,
            &format!("missing {name}"),
            without(tenant_body("newco"), "/owner", field),
            name,
        ));
    }
    cases.push(bad(TENANTS, "empty object", "{}", "id"));
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrongly_typed_body_fields_are_rejected_naming_the_field() {
    let cases = vec![
        bad(
            USERS,
            "numeric username",
            with(user_body("ben"), "/username", json!(5)),
            "username",
        ),
        bad(
            USERS,
            "object email",
            with(user_body("ben"), "/email", json!({})),
            "email",
        ),
        bad(
            USERS,
            "array password",
            with(user_body("ben"), "/password", json!([PASSWORD])),
            "password",
        ),
        bad(
            USERS,
            "null role",
            with(user_body("ben"), "/role", Value::Null),
            "role",
        ),
        bad(
            USERS,
            "boolean role",
            with(user_body("ben"), "/role", json!(true)),
            "role",
        ),
        bad(
            TENANTS,
            "numeric id",
            with(tenant_body("newco"), "/id", json!(7)),
            "id",
        ),
        bad(
            TENANTS,
            "null name",
            with(tenant_body("newco"), "/name", Value::Null),
            "name",
        ),
        bad(
            TENANTS,
            "string owner",
            with(tenant_body("newco"), "/owner", json!("nora")),
            "owner",
        ),
        bad(
            TENANTS,
            "numeric owner.email",
            with(tenant_body("newco"), "/owner/email", json!(5)),
            "owner.email",
        ),
        bad(
            TENANTS,
            "null owner.password",
            with(tenant_body("newco"), "/owner/password", Value::Null),
            "owner.password",
        ),
    ];
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_body_values_are_rejected_naming_the_field() {
    let user = |pointer: &str, value: &str| with(user_body("ben"), pointer, json!(value));
    let tenant = |pointer: &str, value: &str| with(tenant_body("newco"), pointer, json!(value));
    let cases = vec![
        bad(
            USERS,
            "too short username",
            user("/username", "ab"),
            "username",
        ),
        bad(
            USERS,
            "username starting with -",
            user("/username", "-ben"),
            "username",
        ),
        bad(
            USERS,
            "username with a space",
            user("/username", "be n"),
            "username",
        ),
        bad(
            USERS,
            "Cyrillic look-alike username",
            user("/username", "b\u{0435}n"),
            "username",
        ),
        bad(
            USERS,
            "too long username",
            user("/username", &"b".repeat(129)),
            "username",
        ),
        bad(
            USERS,
            "email without @",
            user("/email", "ben.acme.test"),
            "email",
        ),
        bad(
            USERS,
            "email without a dotted domain",
            user("/email", "ben@acme"),
            "email",
        ),
        bad(USERS, "empty email", user("/email", ""), "email"),
        bad(
            USERS,
            "email with a zero-width space",
            user("/email", "ben\u{200B}@acme.test"),
            "email",
        ),
        bad(
            USERS,
            "email with a right-to-left override",
            user("/email", "\u{202E}tset.emca@neb"),
            "email",
        ),
        bad(
            USERS,
            "email with a byte-order mark at its end",
            user("/email", "ben@acme.test\u{FEFF}"),
            "email",
        ),
        bad(
            USERS,
            "short password",
            user("/password", "short"),
            "password",
        ),
        bad(
            USERS,
            "too long password",
            user("/password", &"p".repeat(257)),
            "password",
        ),
        bad(
            USERS,
            "password containing the username",
            user("/password", "my-BEN-password-1"),
            "password",
        ),
        bad(USERS, "unknown role", user("/role", "boss"), "role"),
        bad(USERS, "empty role", user("/role", ""), "role"),
        bad(USERS, "role in capitals", user("/role", "ADMIN"), "role"),
        bad(
            TENANTS,
            "tenant id with capitals",
            tenant("/id", "NewCo"),
            "id",
        ),
        bad(TENANTS, "tenant id with _", tenant("/id", "new_co"), "id"),
        bad(TENANTS, "too short tenant id", tenant("/id", "nc"), "id"),
        bad(
            TENANTS,
            "reserved tenant id",
            tenant("/id", "platform"),
            "id",
        ),
        bad(TENANTS, "blank tenant name", tenant("/name", "   "), "name"),
        bad(
            TENANTS,
            "tenant name with a zero-width joiner",
            tenant("/name", "New\u{200D} Co"),
            "name",
        ),
        bad(
            TENANTS,
            "tenant name with a tag character",
            tenant("/name", "New Co\u{E0041}"),
            "name",
        ),
        bad(
            TENANTS,
            "owner.email with a zero-width non-joiner",
            tenant("/owner/email", "nora\u{200C}@newco.test"),
            "owner.email",
        ),
        bad(
            TENANTS,
            "invalid owner.username",
            tenant("/owner/username", "x"),
            "owner.username",
        ),
        bad(
            TENANTS,
            "invalid owner.email",
            tenant("/owner/email", "nope"),
            "owner.email",
        ),
        bad(
            TENANTS,
            "short owner.password",
            tenant("/owner/password", "short"),
            "owner.password",
        ),
        bad(
            TENANTS,
            "owner.password containing the owner's username",
            tenant("/owner/password", "password-of-\u{ff4e}ora-1"),
            "owner.password",
        ),
    ];
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_bodies_are_rejected_naming_the_body() {
    let mut cases = Vec::new();
    for path in [USERS, TENANTS] {
        cases.push(Refusal {
            content_type: None,
            ..bad(path, "no body", "", "body")
        });
        cases.push(bad(path, "empty body with a JSON content type", "", "body"));
        cases.push(bad(path, "whitespace body", " \r\n\t ", "body"));
    }
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_64_kib_are_refused_with_413() {
    let mut cases = Vec::new();
    for path in [USERS, TENANTS] {
        // Valid JSON with valid fields, only too long: JSON allows whitespace anywhere.
        let padded = |extra: usize| {
            let valid = if path == USERS {
                user_body("ben")
            } else {
                tenant_body("newco")
            };
            let mut bytes = valid.to_string().into_bytes();
            bytes.extend(std::iter::repeat_n(
                b' ',
                MAX_BODY_BYTES + extra - bytes.len(),
            ));
            bytes
        };
        cases.push(Refusal {
            what: "65537 bytes".into(),
            path,
            body: padded(1),
            content_type: Some("application/json"),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            field: Field::Absent,
        });
        cases.push(Refusal {
            what: "a megabyte of JSON".into(),
            path,
            body: format!("{{\"username\": \"{}\"}}", "a".repeat(1 << 20)).into_bytes(),
            content_type: Some("application/json"),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            field: Field::Absent,
        });
    }
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_of_exactly_64_kib_is_still_read() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let mut bytes = user_body("ben").to_string().into_bytes();
    bytes.extend(std::iter::repeat_n(b' ', MAX_BODY_BYTES - bytes.len()));
    assert_eq!(bytes.len(), MAX_BODY_BYTES);
    let answer = Request::post(USERS)
        .token(&owner)
        .body(Some("application/json"), bytes)
        .send(&stack)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(answer.body["username"], "ben");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_json_content_types_are_refused_with_415() {
    let mut cases = Vec::new();
    for path in [USERS, TENANTS] {
        let valid = if path == USERS {
            user_body("ben")
        } else {
            tenant_body("newco")
        };
        for kind in [
            "text/plain",
            "text/plain; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
        ] {
            cases.push(Refusal {
                what: format!("Content-Type: {kind}"),
                path,
                body: valid.to_string().into_bytes(),
                content_type: Some(kind),
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
                field: Field::Absent,
            });
        }
    }
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_bodies_are_validated_like_every_other_body() {
    let stack = Stack::new().await;
    let login = json!({"tenant": "platform", "username": "root", "password": ROOT_PASSWORD});
    let cases = vec![
        (
            "missing password",
            without(login.clone(), "", "password"),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("password"),
        ),
        (
            "unknown field",
            plus(login.clone(), "", "otp", json!("123456")),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("otp"),
        ),
        (
            "numeric tenant",
            with(login.clone(), "/tenant", json!(1)),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("tenant"),
        ),
        (
            "not JSON",
            b"tenant=platform".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("body"),
        ),
        (
            "form body",
            b"tenant=platform&username=root".to_vec(),
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        ),
    ];
    for (what, body, kind, status, expected, field) in cases {
        let answer = Request::post("/auth/login")
            .body(Some(kind), body)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, expected),
            "{what}: {answer}"
        );
        assert_eq!(
            answer.body.get("field").and_then(Value::as_str),
            field,
            "{what}"
        );
    }
    // Media types with a +json suffix or parameters are JSON.
    for kind in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
    ] {
        let answer = Request::post("/auth/login")
            .body(Some(kind), login.to_string())
            .send(&stack)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{kind}: {answer}");
        assert_eq!(answer.body["token_type"], "Bearer");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_body_is_strict_and_a_refused_one_changes_nothing() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, ben) = stack.user("acme", &owner, "ben", "user").await;
    let before = view(&stack, "acme", &ben_id, &owner).await;
    let events = event_count(&stack, "acme").await;

    let cases: Vec<(Value, &str)> = vec![
        // Server-owned or immutable fields are unknown here.
        (json!({"is_owner": true}), "is_owner"),
        (json!({"role": "agent", "is_owner": true}), "is_owner"),
        (
            json!({"deleted_at": "2030-01-01T00:00:00.000Z"}),
            "deleted_at",
        ),
        (json!({"tenant_id": "globex"}), "tenant_id"),
        (json!({"username": "mallory"}), "username"),
        (json!({"password": "a-brand-new-password"}), "password"),
        (
            json!({"email": "ben2@acme.test", "state": "deleted"}),
            "state",
        ),
        // Nothing to change.
        (json!({}), "body"),
        (json!({"role": null, "email": null}), "body"),
        // Values.
        (json!({"role": "owner"}), "role"),
        (json!({"role": "Admin"}), "role"),
        (json!({"role": ""}), "role"),
        (json!({"role": 3}), "role"),
        (json!({"email": "not-an-email"}), "email"),
        (json!({"email": "ben@acme"}), "email"),
        (json!({"email": ""}), "email"),
        (json!({"email": ["ben@acme.test"]}), "email"),
        // A valid part does not commit when another part is invalid.
        (
            json!({"role": "agent", "email": "bad address@acme.test"}),
            "email",
        ),
        (json!({"role": "root", "email": "ben2@acme.test"}), "role"),
    ];
    for (body, expected) in cases {
        let answer = patch(&stack, "acme", &ben_id, &owner, body.clone()).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", expected),
            "{body}: {answer}"
        );
    }
    // Not JSON at all, or not an object.
    for raw in ["not json", "[]", "{\"role\": \"agent\"} trailing"] {
        let answer = Request::patch(format!("/tenants/acme/users/{ben_id}"))
            .token(&owner)
            .body(Some("application/json"), raw)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, "validation_failed"),
            "{raw}: {answer}"
        );
    }

    assert_eq!(view(&stack, "acme", &ben_id, &owner).await, before);
    assert_eq!(event_count(&stack, "acme").await, events);
    assert_eq!(me_status(&stack, &ben).await, StatusCode::OK);
    // The email ben would have got is still free, and his own is still his.
    create_with_email(&stack, "acme", &owner, "benny", "ben2@acme.test")
        .await
        .expect(StatusCode::CREATED);
    let answer = create_with_email(&stack, "acme", &owner, "benno", "ben@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken")
    );
}
