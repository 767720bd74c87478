//! Benchmark (not a test): the reconciler's desired state (the part of `plan` before any AWS
//! call: read the default branch, the ledger and its index, verify the live requests) on a
//! repository from `scripts/gen-large-repo.py`. Run:
//! `cargo run --release --example bench_desired -- REPO [AT] [RUNS]`.

use std::time::Instant;

use gitgrant::adapters::git::Git;
use gitgrant::app::reconcile::desired::{Branch, NoEvidence, desired};

fn main() {
    let mut args = std::env::args().skip(1);
    let repo = args.next().expect("usage: bench_desired REPO [AT] [RUNS]");
    let at: chrono::DateTime<chrono::Utc> = args
        .next()
        .unwrap_or_else(|| "2027-06-01T00:00:00Z".into())
        .parse()
        .expect("AT is RFC 3339");
    let runs: usize = args.next().map_or(5, |r| r.parse().expect("RUNS is a number"));
    let git = Git::open(std::path::Path::new(&repo)).expect("a git repository");
    let tip = git
        .resolve_branch("refs/heads/main")
        .expect("a main branch")
        .into_string();
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let ledger = git.read_ledger().expect("the ledger reads");
        let d = desired(
            &git,
            Branch {
                tip: &tip,
                name: "main",
            },
            &ledger,
            &NoEvidence,
            at,
        );
        let secs = started.elapsed().as_secs_f64();
        let blocked = d.candidates.iter().filter(|c| !c.blocked.is_empty()).count();
        eprintln!(
            "{secs:.2} s: {} candidate(s) examined, {blocked} blocked, readable {}",
            d.candidates.len(),
            d.readable
        );
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "desired at {at}: median {:.2} s, min {:.2} s, max {:.2} s over {runs} run(s)",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}
