//! Faults moto cannot inject (throttling, 5xx, conflicts, slow or failed changes, denied or
//! expired credentials), answered by `aws-smithy-mocks` as AWS's JSON on the wire, through
//! the adapter's real code paths: the SDK decodes them and the adapter's retry policy and
//! status polling decide.

use std::time::{Duration, Instant};

use aws_sdk_ssoadmin::config::retry::RetryConfig;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use gitgrant::adapters::aws::{AwsError, ChangeStatus, Clients, IdentityCenter, RetryPolicy, Settings};

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";
const ACCOUNT: &str = "111122223333";
const USER: &str = "u-1";

fn fast() -> Settings {
    Settings {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            deadline: Duration::from_secs(5),
        },
        poll_interval: Duration::from_millis(1),
        poll_deadline: Duration::from_secs(5),
        concurrency: 2,
    }
}

fn error(code: &str, message: &str) -> Option<String> {
    Some(format!(r#"{{"__type":"{code}","message":"{message}"}}"#))
}

fn ok(json: &str) -> Option<String> {
    Some(json.to_string())
}

fn creation(status: &str) -> String {
    format!(r#"{{"AccountAssignmentCreationStatus":{{"Status":"{status}","RequestId":"req-1"}}}}"#)
}

fn list_instances() -> Rule {
    mock!(aws_sdk_ssoadmin::Client::list_instances)
        .sequence()
        .http_status(
            200,
            ok(&format!(
                r#"{{"Instances":[{{"InstanceArn":"{INSTANCE}","IdentityStoreId":"d-1234567890","Status":"ACTIVE"}}]}}"#
            )),
        )
        .repeatedly()
        .build()
}

/// An adapter whose clients answer from the given rules (the SDK's own retries off, as in
/// production).
async fn adapter(sso: &[Rule], orgs: &[Rule], ids: &[Rule], settings: Settings) -> IdentityCenter {
    let instances = list_instances();
    let sso_rules: Vec<&Rule> = std::iter::once(&instances).chain(sso.iter()).collect();
    let clients = Clients {
        sso_admin: mock_client!(aws_sdk_ssoadmin, RuleMode::MatchAny, sso_rules, |c| c
            .retry_config(RetryConfig::disabled())),
        organizations: mock_client!(aws_sdk_organizations, RuleMode::MatchAny, orgs.iter(), |c| c
            .retry_config(RetryConfig::disabled())),
        identity_store: mock_client!(aws_sdk_identitystore, RuleMode::MatchAny, ids.iter(), |c| c
            .retry_config(RetryConfig::disabled())),
    };
    IdentityCenter::from_clients(clients, Some(INSTANCE))
        .await
        .unwrap()
        .with_settings(settings)
}

fn calls(ic: &IdentityCenter, op: &str) -> u64 {
    ic.api_calls().get(op).copied().unwrap_or(0)
}

#[tokio::test]
async fn throttling_then_success_is_retried() {
    let create = mock!(aws_sdk_ssoadmin::Client::create_account_assignment)
        .sequence()
        .http_status(400, error("ThrottlingException", "Rate exceeded"))
        .times(2)
        .http_status(200, ok(&creation("SUCCEEDED")))
        .build();
    let ic = adapter(&[create], &[], &[], fast()).await;
    let outcome = ic.create_assignment(ACCOUNT, PS, USER).await.unwrap();
    assert_eq!(outcome.status, ChangeStatus::Succeeded);
    assert_eq!(outcome.request_id, "req-1");
    assert_eq!(calls(&ic, "CreateAccountAssignment"), 3);
}

#[tokio::test]
async fn a_server_error_then_success_is_retried() {
    let provisioned = mock!(aws_sdk_ssoadmin::Client::list_accounts_for_provisioned_permission_set)
        .sequence()
        .http_status(200, ok(&format!(r#"{{"AccountIds":["{ACCOUNT}"]}}"#)))
        .build();
    let listed = mock!(aws_sdk_ssoadmin::Client::list_account_assignments)
        .sequence()
        .http_status(500, None)
        .http_status(500, error("InternalServerException", "try again"))
        .http_status(
            200,
            ok(&format!(
                r#"{{"AccountAssignments":[{{"AccountId":"{ACCOUNT}","PermissionSetArn":"{PS}","PrincipalType":"USER","PrincipalId":"{USER}"}}]}}"#
            )),
        )
        .build();
    let ic = adapter(&[provisioned, listed], &[], &[], fast()).await;
    let found = ic.actual_assignments(&[PS.to_string()]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].principal_id, USER);
    assert_eq!(calls(&ic, "ListAccountAssignments"), 3);
    assert_eq!(calls(&ic, "ListAccountsForProvisionedPermissionSet"), 1);
}

#[tokio::test]
async fn a_conflict_then_success_is_retried() {
    let delete = mock!(aws_sdk_ssoadmin::Client::delete_account_assignment)
        .sequence()
        .http_status(
            409,
            error(
                "ConflictException",
                "an operation is in progress for this account and permission set",
            ),
        )
        .http_status(
            200,
            ok(r#"{"AccountAssignmentDeletionStatus":{"Status":"SUCCEEDED","RequestId":"req-2"}}"#),
        )
        .build();
    let ic = adapter(&[delete], &[], &[], fast()).await;
    let outcome = ic.delete_assignment(ACCOUNT, PS, USER).await.unwrap();
    assert_eq!(outcome.status, ChangeStatus::Succeeded);
    assert_eq!(calls(&ic, "DeleteAccountAssignment"), 2);
}

#[tokio::test]
async fn in_progress_then_failed_is_reported_as_failed_with_the_reason() {
    let create = mock!(aws_sdk_ssoadmin::Client::create_account_assignment)
        .sequence()
        .http_status(200, ok(&creation("IN_PROGRESS")))
        .build();
    let status = mock!(aws_sdk_ssoadmin::Client::describe_account_assignment_creation_status)
        .sequence()
        .http_status(200, ok(&creation("IN_PROGRESS")))
        .http_status(
            200,
            ok(r#"{"AccountAssignmentCreationStatus":{"Status":"FAILED","RequestId":"req-1","FailureReason":"Received a 404 status error: No permission set provisioned in this account"}}"#),
        )
        .build();
    let ic = adapter(&[create, status], &[], &[], fast()).await;
    let outcome = ic.create_assignment(ACCOUNT, PS, USER).await.unwrap();
    assert_eq!(
        outcome.status,
        ChangeStatus::Failed("Received a 404 status error: No permission set provisioned in this account".into())
    );
    assert!(!outcome.succeeded());
    assert_eq!(calls(&ic, "DescribeAccountAssignmentCreationStatus"), 2);
}

#[tokio::test]
async fn in_progress_then_succeeded_after_polls() {
    let create = mock!(aws_sdk_ssoadmin::Client::create_account_assignment)
        .sequence()
        .http_status(200, ok(&creation("IN_PROGRESS")))
        .build();
    let status = mock!(aws_sdk_ssoadmin::Client::describe_account_assignment_creation_status)
        .sequence()
        .http_status(200, ok(&creation("IN_PROGRESS")))
        .times(2)
        .http_status(400, error("ThrottlingException", "Rate exceeded"))
        .http_status(200, ok(&creation("SUCCEEDED")))
        .build();
    let ic = adapter(&[create, status], &[], &[], fast()).await;
    let outcome = ic.create_assignment(ACCOUNT, PS, USER).await.unwrap();
    assert_eq!(outcome.status, ChangeStatus::Succeeded);
    assert_eq!(calls(&ic, "DescribeAccountAssignmentCreationStatus"), 4);
}

#[tokio::test]
async fn still_in_progress_at_the_poll_deadline_is_never_done() {
    let delete = mock!(aws_sdk_ssoadmin::Client::delete_account_assignment)
        .sequence()
        .http_status(
            200,
            ok(r#"{"AccountAssignmentDeletionStatus":{"Status":"IN_PROGRESS","RequestId":"req-3"}}"#),
        )
        .build();
    let status = mock!(aws_sdk_ssoadmin::Client::describe_account_assignment_deletion_status)
        .sequence()
        .http_status(
            200,
            ok(r#"{"AccountAssignmentDeletionStatus":{"Status":"IN_PROGRESS","RequestId":"req-3"}}"#),
        )
        .repeatedly()
        .build();
    let settings = Settings {
        poll_interval: Duration::from_millis(10),
        poll_deadline: Duration::from_millis(100),
        ..fast()
    };
    let ic = adapter(&[delete, status], &[], &[], settings).await;
    let outcome = ic.delete_assignment(ACCOUNT, PS, USER).await.unwrap();
    assert_eq!(outcome.status, ChangeStatus::InProgress);
    assert_eq!(outcome.request_id, "req-3");
    let polls = calls(&ic, "DescribeAccountAssignmentDeletionStatus");
    assert!((2..=10).contains(&polls), "{polls} polls");
}

#[tokio::test]
async fn access_denied_is_not_retried() {
    let create = mock!(aws_sdk_ssoadmin::Client::create_account_assignment)
        .sequence()
        .http_status(
            403,
            error(
                "AccessDeniedException",
                "User is not authorized to perform: sso:CreateAccountAssignment",
            ),
        )
        .http_status(200, ok(&creation("SUCCEEDED")))
        .build();
    let ic = adapter(&[create], &[], &[], fast()).await;
    let err = ic.create_assignment(ACCOUNT, PS, USER).await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert_eq!(calls(&ic, "CreateAccountAssignment"), 1);
    assert_eq!(
        err.to_string(),
        "`CreateAccountAssignment` failed: AccessDeniedException: User is not authorized to perform: sso:CreateAccountAssignment (HTTP 403)"
    );
}

#[tokio::test]
async fn the_deadline_stops_retries() {
    let create = mock!(aws_sdk_ssoadmin::Client::create_account_assignment)
        .sequence()
        .http_status(400, error("ThrottlingException", "Rate exceeded"))
        .repeatedly()
        .build();
    let settings = Settings {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
            deadline: Duration::from_millis(200),
        },
        ..fast()
    };
    let ic = adapter(&[create], &[], &[], settings).await;
    let started = Instant::now();
    let err = ic.create_assignment(ACCOUNT, PS, USER).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let AwsError::Deadline {
        operation, attempts, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*operation, "CreateAccountAssignment");
    assert_eq!(u64::from(*attempts), calls(&ic, "CreateAccountAssignment"));
    assert!((3..=25).contains(attempts), "{attempts} attempts");
    let message = err.to_string();
    assert!(
        message.starts_with("`CreateAccountAssignment` still failing after") && message.contains("ThrottlingException"),
        "{message}"
    );
}

#[tokio::test]
async fn expired_credentials_give_a_clear_error_naming_the_operation() {
    // the first call works, the credentials expire before the second
    let user = mock!(aws_sdk_identitystore::Client::get_user_id)
        .sequence()
        .http_status(200, ok(r#"{"UserId":"u-1","IdentityStoreId":"d-1234567890"}"#))
        .http_status(
            400,
            error(
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
        )
        .build();
    // two names walk one page of ListUsers first; an empty directory page finds neither
    let page = mock!(aws_sdk_identitystore::Client::list_users)
        .sequence()
        .http_status(200, ok(r#"{"Users":[]}"#))
        .build();
    let ic = adapter(&[], &[], &[page, user], fast()).await;
    let names = ["alice@acme.example".to_string(), "bob@acme.example".to_string()];
    let err = ic.user_ids(&names).await.unwrap_err();
    assert!(
        matches!(
            err,
            AwsError::CredentialsExpired {
                operation: "GetUserId",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "aws credentials expired during `GetUserId`: ExpiredTokenException: The security token included in the request is expired (HTTP 400); renew them (re-run the role or login step) and run again"
    );
    assert_eq!(calls(&ic, "GetUserId"), 2);
    assert_eq!(calls(&ic, "ListUsers"), 1);
}

#[tokio::test]
async fn organizations_too_many_requests_is_retried_while_reading() {
    let roots = mock!(aws_sdk_organizations::Client::list_roots)
        .sequence()
        .http_status(
            400,
            error(
                "TooManyRequestsException",
                "AWS Organizations can't complete your request",
            ),
        )
        .http_status(200, ok(r#"{"Roots":[{"Id":"r-ab12","Name":"Root"}]}"#))
        .build();
    let accounts = mock!(aws_sdk_organizations::Client::list_accounts_for_parent)
        .sequence()
        .http_status(
            200,
            ok(r#"{"Accounts":[
                {"Id":"999988887777","Name":"acme-management","Status":"ACTIVE","State":"ACTIVE"},
                {"Id":"999988887778","Name":"closing","Status":"PENDING_CLOSURE","State":"PENDING_CLOSURE"},
                {"Id":"999988887779","Name":"old-style","Status":"ACTIVE"}]}"#),
        )
        .build();
    let ous = mock!(aws_sdk_organizations::Client::list_organizational_units_for_parent)
        .sequence()
        .http_status(200, ok(r#"{"OrganizationalUnits":[]}"#))
        .build();
    let sets = mock!(aws_sdk_ssoadmin::Client::list_permission_sets)
        .sequence()
        .http_status(200, ok(r#"{"PermissionSets":[]}"#))
        .build();
    let org = mock!(aws_sdk_organizations::Client::describe_organization)
        .sequence()
        .http_status(
            200,
            ok(r#"{"Organization":{"Id":"o-ab12cd34ef","MasterAccountId":"999988887777"}}"#),
        )
        .build();
    let ic = adapter(&[sets], &[org, roots, accounts, ous], &[], fast()).await;
    let org = ic.read_organization().await.unwrap();
    let names: Vec<&str> = org.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["acme-management", "old-style"]);
    assert_eq!(org.management_account.as_deref(), Some("999988887777"));
    assert_eq!(calls(&ic, "ListRoots"), 2);
}

#[tokio::test]
async fn pages_are_followed_and_a_missing_user_is_none() {
    let provisioned = mock!(aws_sdk_ssoadmin::Client::list_accounts_for_provisioned_permission_set)
        .sequence()
        .http_status(200, ok(r#"{"AccountIds":["111122223333"],"NextToken":"t1"}"#))
        .http_status(200, ok(r#"{"AccountIds":["444455556666"]}"#))
        .build();
    let assignment = |account: &str, user: &str| {
        format!(
            r#"{{"AccountId":"{account}","PermissionSetArn":"{PS}","PrincipalType":"USER","PrincipalId":"{user}"}}"#
        )
    };
    let first = format!(
        r#"{{"AccountAssignments":[{},{}]}}"#,
        assignment("111122223333", "u-1"),
        assignment("111122223333", "u-1")
    );
    let second = format!(r#"{{"AccountAssignments":[{}]}}"#, assignment("444455556666", "u-2"));
    let listed = mock!(aws_sdk_ssoadmin::Client::list_account_assignments)
        .match_requests(|r| r.account_id() == Some("111122223333"))
        .sequence()
        .http_status(200, ok(&first))
        .build();
    let listed2 = mock!(aws_sdk_ssoadmin::Client::list_account_assignments)
        .match_requests(|r| r.account_id() == Some("444455556666"))
        .sequence()
        .http_status(200, ok(&second))
        .build();
    let user = mock!(aws_sdk_identitystore::Client::get_user_id)
        .sequence()
        .http_status(400, error("ResourceNotFoundException", "USER not found."))
        .build();
    let ic = adapter(&[provisioned, listed, listed2], &[], &[user], fast()).await;
    let found = ic.actual_assignments(&[PS.to_string()]).await.unwrap();
    let got: Vec<(&str, &str)> = found
        .iter()
        .map(|a| (a.account_id.as_str(), a.principal_id.as_str()))
        .collect();
    assert_eq!(got, [("111122223333", "u-1"), ("444455556666", "u-2")]);
    assert_eq!(calls(&ic, "ListAccountsForProvisionedPermissionSet"), 2);
    let ids = ic.user_ids(&["ghost@acme.example".to_string()]).await.unwrap();
    assert_eq!(ids["ghost@acme.example"], None);
}

#[tokio::test]
async fn no_region_or_an_empty_one_is_a_clear_error_before_any_call() {
    let unset = aws_config::SdkConfig::builder().build();
    let empty = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new(""))
        .build();
    for config in [unset, empty] {
        let err = IdentityCenter::from_sdk_config(&config, None).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "no AWS region is configured (unset or empty); set `AWS_REGION` (or a region in the AWS profile)"
        );
    }
}

/// A server that accepts connections and never answers (a held-back response): every AWS
/// call ends at the adapter's attempt timeout instead of hanging the run (issue 11 item 4).
#[tokio::test]
async fn a_held_back_answer_ends_at_the_attempt_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // keeps every accepted connection open, unanswered, until the test binary exits
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let timeouts = gitgrant::adapters::aws::Timeouts {
        connect: Duration::from_secs(1),
        attempt: Duration::from_millis(500),
    };
    let config = gitgrant::adapters::aws::config_loader_with(timeouts)
        .endpoint_url(&url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ssoadmin::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let client = aws_sdk_ssoadmin::Client::new(&config);
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(20), client.list_instances().send()).await;
    let took = started.elapsed();
    let Ok(result) = answer else {
        panic!("the call was still waiting after 20 s: no attempt timeout");
    };
    assert!(result.is_err(), "a server that never answers cannot succeed");
    assert!(
        took < Duration::from_secs(5),
        "the attempt took {took:?}, over its 500 ms timeout"
    );
    let defaults = gitgrant::adapters::aws::Timeouts::default();
    assert!(defaults.attempt <= Duration::from_secs(60) && defaults.connect <= Duration::from_secs(10));
}

/// Every progress line of this test process (the reporter can be set once per process).
fn progress_lines() -> &'static std::sync::Mutex<Vec<String>> {
    static LINES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    gitgrant::adapters::progress::set_reporter(|line| LINES.lock().unwrap().push(line.to_string()));
    &LINES
}

#[tokio::test(start_paused = true)]
async fn a_call_throttled_for_long_says_it_is_still_trying_then_succeeds() {
    let lines = progress_lines();
    let settings = Settings {
        retry: RetryPolicy {
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(8),
            deadline: Duration::from_secs(120),
        },
        ..fast()
    };
    // throttled for about 50 s (jittered waits of 1-2, 2-4, 4-8, then 4-8 s), then an answer
    let delete = mock!(aws_sdk_ssoadmin::Client::delete_account_assignment)
        .sequence()
        .http_status(400, error("ThrottlingException", "Rate exceeded"))
        .times(10)
        .http_status(
            200,
            ok(r#"{"AccountAssignmentDeletionStatus":{"Status":"SUCCEEDED","RequestId":"req-9"}}"#),
        )
        .build();
    let ic = adapter(&[delete], &[], &[], settings).await;
    let outcome = ic.delete_assignment(ACCOUNT, PS, USER).await.unwrap();
    assert_eq!(outcome.status, ChangeStatus::Succeeded);
    assert_eq!(calls(&ic, "DeleteAccountAssignment"), 11);
    let mine: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("still trying DeleteAccountAssignment:"))
        .cloned()
        .collect();
    assert!(!mine.is_empty() && mine.len() <= 2, "{mine:?}");
    assert!(
        mine[0].contains("last: ThrottlingException: Rate exceeded (HTTP 400); gives up 120s after the first attempt"),
        "{mine:?}"
    );
}

fn provisioning(status: &str, reason: Option<&str>) -> String {
    let reason = reason.map(|r| format!(r#","FailureReason":"{r}""#)).unwrap_or_default();
    format!(
        r#"{{"PermissionSetProvisioningStatus":{{"Status":"{status}","RequestId":"prov-1","AccountId":"{ACCOUNT}","PermissionSetArn":"{PS}"{reason}}}}}"#
    )
}

/// `ProvisionPermissionSet` answering IN_PROGRESS (AWS's first answer, as a rule).
fn provision_in_progress() -> Rule {
    mock!(aws_sdk_ssoadmin::Client::provision_permission_set)
        .sequence()
        .http_status(200, ok(&provisioning("IN_PROGRESS", None)))
        .build()
}

#[tokio::test]
async fn provisioning_in_progress_is_polled_to_succeeded() {
    let provision = provision_in_progress();
    let status = mock!(aws_sdk_ssoadmin::Client::describe_permission_set_provisioning_status)
        .sequence()
        .http_status(200, ok(&provisioning("IN_PROGRESS", None)))
        .http_status(400, error("ThrottlingException", "Rate exceeded"))
        .http_status(200, ok(&provisioning("SUCCEEDED", None)))
        .build();
    let ic = adapter(&[provision, status], &[], &[], fast()).await;
    let outcome = ic.provision_to_account(PS, ACCOUNT).await.unwrap();
    assert_eq!(outcome.status, ChangeStatus::Succeeded);
    assert_eq!(outcome.request_id, "prov-1");
    assert_eq!(calls(&ic, "ProvisionPermissionSet"), 1);
    assert_eq!(calls(&ic, "DescribePermissionSetProvisioningStatus"), 3);
}

#[tokio::test]
async fn provisioning_that_fails_is_reported_with_aws_reason() {
    let provision = provision_in_progress();
    let status = mock!(aws_sdk_ssoadmin::Client::describe_permission_set_provisioning_status)
        .sequence()
        .http_status(
            200,
            ok(&provisioning(
                "FAILED",
                Some("The policy is too large for the role in this account"),
            )),
        )
        .build();
    let ic = adapter(&[provision, status], &[], &[], fast()).await;
    let outcome = ic.provision_to_account(PS, ACCOUNT).await.unwrap();
    assert_eq!(
        outcome.status,
        ChangeStatus::Failed("The policy is too large for the role in this account".into())
    );
}

#[tokio::test]
async fn provisioning_still_in_progress_at_the_poll_deadline_is_not_done() {
    let provision = provision_in_progress();
    let status = mock!(aws_sdk_ssoadmin::Client::describe_permission_set_provisioning_status)
        .sequence()
        .http_status(200, ok(&provisioning("IN_PROGRESS", None)))
        .repeatedly()
        .build();
    let settings = Settings {
        poll_deadline: Duration::from_millis(30),
        ..fast()
    };
    let ic = adapter(&[provision, status], &[], &[], settings).await;
    let outcome = ic.provision_to_account(PS, ACCOUNT).await.unwrap();
    assert_eq!(outcome.status, ChangeStatus::InProgress);
}

#[tokio::test]
async fn an_error_page_without_an_aws_error_is_named_by_its_status_not_dumped() {
    let create = mock!(aws_sdk_ssoadmin::Client::create_account_assignment)
        .sequence()
        .http_status(
            500,
            Some(
                "<html><body><h1>Internal Server Error</h1><p>Traceback (most recent call last)</p></body></html>"
                    .into(),
            ),
        )
        .repeatedly()
        .build();
    let settings = Settings {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            deadline: Duration::from_millis(100),
        },
        ..fast()
    };
    let ic = adapter(&[create], &[], &[], settings).await;
    let message = ic.create_assignment(ACCOUNT, PS, USER).await.unwrap_err().to_string();
    assert!(message.contains("HTTP 500 without an AWS error code"), "{message}");
    assert!(
        !message.contains("<html") && !message.contains("Traceback"),
        "{message}"
    );
}
