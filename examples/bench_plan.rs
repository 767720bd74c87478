//! Benchmark (not a test): the reconcile plan for 10,000 active grants across 5,000
//! accounts. Run: `cargo run --release --example bench_plan`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use gitgrant::core::ledger::{AssignmentKey, Owned};
use gitgrant::core::reconcile::plan::{Actual, Candidate, PlanInput, plan};

fn main() {
    let at: chrono::DateTime<chrono::Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
    let sets: BTreeMap<String, String> = (0..5)
        .map(|i| {
            (
                format!("Set{i}"),
                format!("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-{i:016x}"),
            )
        })
        .collect();
    let names: Vec<&String> = sets.keys().collect();
    let mut candidates = Vec::new();
    let mut user_ids = BTreeMap::new();
    for i in 0..10_000u32 {
        let user = format!("user{:05}@acme.example", i % 1000);
        user_ids.insert(user.clone(), Some(format!("u-{:05}", i % 1000)));
        candidates.push(Candidate {
            path: format!(
                "requests/acct-{:05}/{}/req-{i:06}.toml",
                i % 5000,
                names[(i as usize / 5000) % 5]
            ),
            id: format!("req-{i:06}"),
            requester: format!("user{:05}", i % 1000),
            user_name: Some(user),
            account_id: format!("{:012}", 100_000_000_000u64 + u64::from(i % 5000)),
            account_name: format!("acct-{:05}", i % 5000),
            permission_set: names[(i as usize / 5000) % 5].clone(),
            start: at - chrono::TimeDelta::hours(1),
            end: at + chrono::TimeDelta::hours(1 + i64::from(i % 7)),
            blocked: vec![],
            keeps_active: false,
        });
    }
    // steady state but for 1%: 9,900 of the grants exist and are owned, plus 100 stale ones
    let mut actual = Vec::new();
    let mut owned = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let key = AssignmentKey {
            account_id: c.account_id.clone(),
            permission_set_arn: sets[&c.permission_set].clone(),
            user_id: user_ids[c.user_name.as_ref().unwrap()].clone().unwrap(),
        };
        if i % 100 != 0 {
            actual.push(Actual {
                account_id: key.account_id.clone(),
                permission_set_arn: key.permission_set_arn.clone(),
                user_id: key.user_id.clone(),
            });
            owned.insert(
                key.clone(),
                Owned {
                    key,
                    requests: BTreeSet::from([c.path.clone()]),
                    ends_at: Some(c.end),
                    user_name: c.user_name.clone(),
                    permission_set: Some(c.permission_set.clone()),
                    activated: true,
                    claimed_at: None,
                },
            );
        }
    }
    for j in 0..100 {
        let key = AssignmentKey {
            account_id: format!("{:012}", 200_000_000_000u64 + j),
            permission_set_arn: sets["Set0"].clone(),
            user_id: "u-stale".into(),
        };
        actual.push(Actual {
            account_id: key.account_id.clone(),
            permission_set_arn: key.permission_set_arn.clone(),
            user_id: key.user_id.clone(),
        });
        owned.insert(
            key.clone(),
            Owned {
                key,
                requests: BTreeSet::from([format!("gone-{j}")]),
                ends_at: Some(at),
                user_name: None,
                permission_set: Some("Set0".into()),
                activated: true,
                claimed_at: None,
            },
        );
    }
    let revoked = BTreeSet::new();
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..21 {
        let t = Instant::now();
        let p = plan(&PlanInput {
            candidates: &candidates,
            desired_readable: true,
            user_ids: &user_ids,
            permission_sets: &sets,
            actual: &actual,
            owned: &owned,
            revoked: &revoked,
            remove_drift: false,
            max_removals: 1000,
            force: false,
            at,
        });
        times.push(t.elapsed());
        last = Some(p);
    }
    times.sort();
    let p = last.unwrap();
    println!(
        "plan over {} grants, {} assignments: {} create, {} delete; median {:.1} ms, min {:.1} ms, max {:.1} ms (21 runs)",
        candidates.len(),
        actual.len(),
        p.create.len(),
        p.delete.len(),
        times[10].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[20].as_secs_f64() * 1000.0
    );
}
