//! Section 8, login timing: a wrong password for a name that has an account, against a name
//! that has none, interleaved, through the login handler in this process. An attacker who
//! could tell the two apart would learn who has an account.

use std::time::{Duration, Instant};

use serde_json::json;
use tenantry_tests::{Request, Stack};

use super::TENANT;

/// Attempts per name: one fewer than lock a name, so no attempt is refused unchecked.
const PER_NAME: usize = 4;
/// Attempts of each kind made before any is counted (argon2's memory, the first connections).
const WARM_UP: usize = 8;

pub(super) struct LoginTiming {
    /// A wrong password for a name with an account.
    pub existing: Vec<Duration>,
    /// Any password for a name with no account.
    pub unknown: Vec<Duration>,
}

/// `owner` (a token of the tenant's owner) creates the accounts through the API, so that each
/// has a real argon2id hash: seeded accounts carry a placeholder that verifies nothing.
pub(super) async fn measure(stack: &Stack, owner: &str, samples: usize) -> LoginTiming {
    let attempts = WARM_UP + samples;
    let names = attempts.div_ceil(PER_NAME);
    let existing: Vec<String> = (0..names).map(|n| format!("login-{n}")).collect();
    for name in &existing {
        let created = stack.create_user(TENANT, owner, name, "user").await;
        assert_eq!(created.status, 201, "create {name}: {created}");
    }
    let mut timing = LoginTiming {
        existing: Vec::new(),
        unknown: Vec::new(),
    };
    for i in 0..attempts {
        let known = &existing[i / PER_NAME];
        let unknown = format!("nobody-{}", i / PER_NAME);
        // Each kind goes first every other time.
        let mut pair = [(true, known.as_str()), (false, unknown.as_str())];
        if i % 2 == 1 {
            pair.reverse();
        }
        for (is_known, username) in pair {
            let start = Instant::now();
            let answer = Request::post("/auth/login")
                .json(
                    json!({"tenant": TENANT, "username": username, "password": "not-the-password"}),
                )
                .send(stack)
                .await;
            let took = start.elapsed();
            assert_eq!(answer.status, 401, "login {username}: {answer}");
            if i >= WARM_UP {
                if is_known {
                    timing.existing.push(took);
                } else {
                    timing.unknown.push(took);
                }
            }
        }
    }
    timing
}
