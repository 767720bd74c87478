//! The GitHub adapter's requests checked against GitHub's official OpenAPI description, served
//! by Prism (`scripts/prism-check.sh` starts it and runs this with `--ignored`). Prism answers
//! a request that breaks the description with a 4xx, which the adapter reports as
//! `Error::Status`; answers are the description's examples.

use std::time::Duration;

use gitgrant::adapters::github::{
    CheckRun, CommitStatus, Conclusion, Error, GitHub, Repo, RetryPolicy, StatusState, Upserted,
};

const HEAD: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

fn prism_url() -> String {
    std::env::var("GITGRANT_PRISM_URL").expect("`GITGRANT_PRISM_URL` is not set; run scripts/prism-check.sh")
}

/// A request Prism refused comes back as a status error; anything else is the adapter's.
fn accepted<T: std::fmt::Debug>(what: &str, result: Result<T, Error>) -> Result<T, Error> {
    if let Err(e @ Error::Status { .. }) = &result {
        panic!("{what}: the request does not match GitHub's OpenAPI description: {e}");
    }
    result
}

#[tokio::test]
#[ignore = "needs Prism serving GitHub's OpenAPI description: scripts/prism-check.sh"]
async fn requests_match_githubs_openapi_description() {
    let gh = GitHub::new(&prism_url(), "ghs_prism")
        .unwrap()
        .with_retry_policy(RetryPolicy {
            deadline: Duration::from_secs(20),
            ..RetryPolicy::default()
        });
    let repo = Repo::parse("octocat/hello-world").unwrap();

    // The examples disagree with each other (the PR says 3 commits, the list holds 1), so
    // the snapshot is refused after every request was sent and accepted.
    match accepted("read a pull request", gh.fetch_pull_request(&repo, 1347).await) {
        Ok(snap) => assert_eq!(snap.pull_request["head"]["sha"], HEAD),
        Err(Error::TooLarge { .. } | Error::Inconsistent { .. }) => {}
        Err(e) => panic!("read a pull request: {e}"),
    }
    let members = accepted("team members", gh.fetch_team_members("github", "justice-league").await).unwrap();
    assert!(!members.is_empty());

    // No example comment carries the marker: created. The example comment says "Me too":
    // with that as the marker, it is edited.
    let made = accepted(
        "create a comment",
        gh.upsert_comment(&repo, 1347, "<!-- gitgrant:pr-gate -->", "pending")
            .await,
    )
    .unwrap();
    assert_eq!(made.action, Upserted::Created);
    let edited = accepted(
        "edit a comment",
        gh.upsert_comment(&repo, 1347, "Me too", "approved").await,
    )
    .unwrap();
    assert_eq!(edited.action, Upserted::Updated);

    accepted(
        "create a check run",
        gh.create_check_run(
            &repo,
            &CheckRun {
                name: "gitgrant",
                head_sha: HEAD,
                conclusion: Some(Conclusion::ActionRequired),
                title: "pending",
                summary: "1 of 2 approvals",
                text: Some("details"),
                details_url: Some("https://github.com/octocat/hello-world/actions/runs/1"),
            },
        )
        .await,
    )
    .unwrap();
    accepted(
        "create a check run in progress (a pending decision)",
        gh.create_check_run(
            &repo,
            &CheckRun {
                name: "gitgrant",
                head_sha: HEAD,
                conclusion: None,
                title: "pending",
                summary: "1 of 2 approvals",
                text: None,
                details_url: None,
            },
        )
        .await,
    )
    .unwrap();
    // `pr --merge`: the merge pinned to the head, then the reconciler's dispatch
    let merged = accepted(
        "merge a pull request",
        gh.merge_pull(
            &repo,
            1347,
            HEAD,
            "squash",
            "gitgrant: grant 1 approved request(s) (#1347)",
        )
        .await,
    )
    .unwrap();
    assert!(!merged.is_empty());
    accepted(
        "start a workflow",
        gh.dispatch_workflow(&repo, "gitgrant-reconcile.yml", "main").await,
    )
    .unwrap();
    accepted(
        "set a commit status",
        gh.set_commit_status(
            &repo,
            &CommitStatus {
                sha: HEAD,
                state: StatusState::Pending,
                context: "gitgrant",
                description: "waiting for approval",
                target_url: Some("https://github.com/octocat/hello-world/actions/runs/1"),
            },
        )
        .await,
    )
    .unwrap();
    let pr = accepted("pull request of a commit", gh.find_pull_for_commit(&repo, HEAD).await).unwrap();
    assert!(pr.is_some());
}

/// A control: Prism does refuse a request that breaks the description, so the test above
/// would notice one.
#[tokio::test]
#[ignore = "needs Prism serving GitHub's OpenAPI description: scripts/prism-check.sh"]
async fn prism_refuses_a_request_that_breaks_the_description() {
    let octo = octocrab::Octocrab::builder()
        .base_uri(prism_url())
        .unwrap()
        .build()
        .unwrap();
    let bad = serde_json::json!({ "state": "green", "context": "gitgrant" });
    let response = octo
        ._post(format!("/repos/octocat/hello-world/statuses/{HEAD}"), Some(&bad))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
}
