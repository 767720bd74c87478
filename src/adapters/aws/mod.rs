//! The AWS adapter: IAM Identity Center (sso-admin), Organizations and the Identity Store,
//! reached through the AWS SDK for Rust, with one retry policy and a count of every call.
//!
//! Configuration is what the SDK reads: the standard credential chain (environment, profile,
//! SSO, `credential_process`, web identity / OIDC role in GitHub Actions, instance roles) and
//! `AWS_ENDPOINT_URL` (how tests point it at moto). HTTPS goes through rustls with the `ring`
//! provider, the binary's one TLS stack.
//!
//! # API
//!
//! ```text
//! IdentityCenter::from_env(instance_arn: Option<&str>) -> Result<IdentityCenter, AwsError>      (async)
//! IdentityCenter::from_sdk_config(&SdkConfig, instance_arn: Option<&str>) -> Result<.., AwsError> (async)
//! IdentityCenter::from_clients(Clients, instance_arn: Option<&str>) -> Result<.., AwsError>     (async)
//! IdentityCenter::with_settings(self, Settings) -> IdentityCenter
//! ic.instance_arn() -> &str;  ic.identity_store_id() -> &str
//! ic.read_organization() -> Result<OrgSnapshot, AwsError>                       every OU, ACTIVE account, permission set
//! ic.read_groups(names: &[String]) -> Result<Vec<Group>, AwsError>             groups by display name; missing ones left out
//! ic.user_ids(user_names: &[String]) -> Result<BTreeMap<String, Option<String>>, AwsError>   None = no such user
//! ic.actual_assignments(permission_set_arns: &[String]) -> Result<Vec<Assignment>, AwsError> USER and GROUP, deduplicated
//! ic.create_assignment(account_id, permission_set_arn, user_id) -> Result<ChangeOutcome, AwsError>
//! ic.delete_assignment(account_id, permission_set_arn, user_id) -> Result<ChangeOutcome, AwsError>
//! ic.api_calls() -> BTreeMap<String, u64>                                       attempts per operation name
//! config_loader() -> aws_config::ConfigLoader                                   the SDK defaults this adapter uses
//! config_loader_with(Timeouts) -> aws_config::ConfigLoader                       the same with other timeouts
//! render_directory_toml(&OrgSnapshot, &[Group], synced_at) -> String            policies/directory.toml
//! same_content(old_toml, new_toml) -> bool                                      equal but for `synced_at`
//! ```
//!
//! Every SDK call goes through one wrapper that counts it (per attempt, by operation name)
//! and applies [`RetryPolicy`]: throttling, conflicts, 5xx and transport failures are retried
//! with jittered exponential backoff until the policy's deadline; anything else (access
//! denied, validation, not found) fails at once, and expired credentials fail with an error
//! naming the operation. The SDK's own retries are turned off so that one policy decides.
//!
//! Reading the actual assignments costs, per managed permission set, the pages of
//! `ListAccountsForProvisionedPermissionSet`, plus the pages of `ListAccountAssignments` for
//! each (account, permission set) pair where the permission set is provisioned: proportional
//! to the pairs in use, not to accounts × permission sets.
//!
//! Creating and deleting assignments is asynchronous in AWS: the outcome is polled until
//! SUCCEEDED or FAILED; `IN_PROGRESS` is never reported as done (a poll that runs out of time
//! reports [`ChangeStatus::InProgress`]).

pub mod activity;
mod assignments;
mod calls;
mod directory_file;
mod error;
mod identities;
mod inline_policy;
mod organization;
pub mod retry;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub use directory_file::{render_directory_toml, same_content};
pub use error::AwsError;
pub use retry::RetryPolicy;

pub use calls::CALLS_PER_SECOND;
use calls::CallCounter;

/// An organizational unit with its path of names from the root (`Workloads/Prod`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ou {
    pub id: String,
    pub path: String,
}

/// An ACTIVE account with the OU path of its parent ("" directly under the root).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub ou: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PermissionSet {
    pub name: String,
    pub arn: String,
    /// ISO 8601, e.g. `PT1H`.
    pub session_duration: Option<String>,
}

/// The organization as Identity Center sees it, sorted (OUs by path, accounts by name,
/// permission sets by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSnapshot {
    pub instance_arn: String,
    pub identity_store_id: String,
    /// The organization's management account (`DescribeOrganization`'s `MasterAccountId`).
    pub management_account: Option<String>,
    pub ous: Vec<Ou>,
    pub accounts: Vec<Account>,
    pub permission_sets: Vec<PermissionSet>,
}

/// An Identity Center group with its members' user names (sorted).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Group {
    pub name: String,
    pub id: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalType {
    User,
    Group,
}

/// One account assignment: a principal holds a permission set in an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Assignment {
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
}

/// How a create or delete ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeStatus {
    Succeeded,
    /// AWS reported FAILED, with its reason.
    Failed(String),
    /// Still IN_PROGRESS when the poll deadline passed: not done, re-read next run.
    InProgress,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOutcome {
    pub request_id: String,
    pub status: ChangeStatus,
}

impl ChangeOutcome {
    pub fn succeeded(&self) -> bool {
        self.status == ChangeStatus::Succeeded
    }
}

/// Timing of retries, status polls and read concurrency.
#[derive(Debug, Clone)]
pub struct Settings {
    pub retry: RetryPolicy,
    /// Time between `Describe…Status` polls of an IN_PROGRESS change.
    pub poll_interval: Duration,
    /// How long one change is polled before it is reported as [`ChangeStatus::InProgress`].
    pub poll_deadline: Duration,
    /// At most this many `ListAccountAssignments` calls in flight.
    pub concurrency: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_secs(2),
            poll_deadline: Duration::from_secs(300),
            concurrency: 4,
        }
    }
}

/// The three service clients the adapter uses.
#[derive(Debug, Clone)]
pub struct Clients {
    pub sso_admin: aws_sdk_ssoadmin::Client,
    pub organizations: aws_sdk_organizations::Client,
    pub identity_store: aws_sdk_identitystore::Client,
}

impl Clients {
    pub fn from_sdk_config(config: &aws_config::SdkConfig) -> Clients {
        Clients {
            sso_admin: aws_sdk_ssoadmin::Client::new(config),
            organizations: aws_sdk_organizations::Client::new(config),
            identity_store: aws_sdk_identitystore::Client::new(config),
        }
    }
}

/// The SDK configuration loader this adapter uses: the latest behavior version, the standard
/// credential chain and environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, …), HTTPS through
/// rustls with `ring`, and the SDK's own retries off ([`RetryPolicy`] decides instead).
pub fn config_loader() -> aws_config::ConfigLoader {
    config_loader_with(Timeouts::default())
}

/// How long one AWS call may take (issue 11 item 4): a held-back answer ends the attempt,
/// which the adapter's [`RetryPolicy`] then treats like any other transient failure (and a
/// create or delete left without an answer is `unknown`, never `failed`).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Establishing the TCP and TLS connection.
    pub connect: Duration,
    /// One attempt, from sending the request to the end of the answer.
    pub attempt: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(30),
        }
    }
}

/// [`config_loader`] with the given timeouts.
pub fn config_loader_with(timeouts: Timeouts) -> aws_config::ConfigLoader {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeout_config = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.attempt)
        .operation_attempt_timeout(timeouts.attempt)
        .operation_timeout(timeouts.attempt)
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(timeout_config)
}

/// A connection to one Identity Center instance and its organization.
#[derive(Debug, Clone)]
pub struct IdentityCenter {
    clients: Clients,
    instance_arn: String,
    identity_store_id: String,
    settings: Settings,
    calls: CallCounter,
}

/// A status answer of an asynchronous change, as polling reads it.
struct Polled {
    status: Option<aws_sdk_ssoadmin::types::StatusValues>,
    failure_reason: Option<String>,
}

impl IdentityCenter {
    /// Loads the SDK configuration from the environment (see [`config_loader`]) and finds
    /// the instance: `instance_arn` when given, else the only one `ListInstances` shows.
    pub async fn from_env(instance_arn: Option<&str>) -> Result<IdentityCenter, AwsError> {
        let config = config_loader().load().await;
        Self::from_sdk_config(&config, instance_arn).await
    }

    pub async fn from_sdk_config(
        config: &aws_config::SdkConfig,
        instance_arn: Option<&str>,
    ) -> Result<IdentityCenter, AwsError> {
        // `AWS_REGION=""` (an unset workflow variable) is no region, not a region named ""
        if config.region().is_none_or(|r| r.as_ref().trim().is_empty()) {
            return Err(AwsError::NoRegion);
        }
        Self::from_clients(Clients::from_sdk_config(config), instance_arn).await
    }

    /// Uses the given clients (whose own retries should be off) and finds the instance.
    pub async fn from_clients(clients: Clients, instance_arn: Option<&str>) -> Result<IdentityCenter, AwsError> {
        let mut ic = IdentityCenter {
            clients,
            instance_arn: String::new(),
            identity_store_id: String::new(),
            settings: Settings::default(),
            calls: CallCounter::default(),
        };
        let instances = ic.list_instances().await?;
        let (arn, store) = choose_instance(&instances, instance_arn)?;
        ic.instance_arn = arn;
        ic.identity_store_id = store;
        Ok(ic)
    }

    pub fn with_settings(mut self, settings: Settings) -> IdentityCenter {
        self.settings = settings;
        self
    }

    /// Sets the run's limit on AWS calls a second (default [`calls::CALLS_PER_SECOND`]),
    /// shared by every clone: for an organization whose read quota AWS raised.
    pub fn with_call_rate(self, per_second: u32) -> IdentityCenter {
        self.calls.set_rate(per_second);
        self
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn instance_arn(&self) -> &str {
        &self.instance_arn
    }

    pub fn identity_store_id(&self) -> &str {
        &self.identity_store_id
    }

    /// Calls made so far (every attempt, retries included), by operation name.
    pub fn api_calls(&self) -> BTreeMap<String, u64> {
        self.calls.snapshot()
    }

    /// One operation through the retry policy, every attempt counted.
    async fn call<T, E, F, Fut>(&self, operation: &'static str, attempt: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, aws_sdk_ssoadmin::error::SdkError<E>>>,
        E: aws_sdk_ssoadmin::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        retry::run(&self.settings.retry, &self.calls, operation, attempt).await
    }

    /// Polls an asynchronous change (an assignment's create or delete, a permission set's
    /// provisioning) until AWS reports SUCCEEDED or FAILED. IN_PROGRESS (or a status this
    /// SDK does not know) is never done; at the poll deadline it is reported as such.
    async fn poll_to_end<F, Fut>(
        &self,
        request_id: String,
        mut current: Polled,
        mut next: F,
    ) -> Result<ChangeOutcome, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Polled, AwsError>>,
    {
        use aws_sdk_ssoadmin::types::StatusValues;
        let started = tokio::time::Instant::now();
        loop {
            let done = match current.status {
                Some(StatusValues::Succeeded) => Some(ChangeStatus::Succeeded),
                Some(StatusValues::Failed) => Some(ChangeStatus::Failed(
                    current.failure_reason.unwrap_or_else(|| "AWS gave no reason".into()),
                )),
                _ => None,
            };
            if let Some(status) = done {
                return Ok(ChangeOutcome { request_id, status });
            }
            let interval = self.settings.poll_interval;
            if started.elapsed() + interval > self.settings.poll_deadline {
                return Ok(ChangeOutcome {
                    request_id,
                    status: ChangeStatus::InProgress,
                });
            }
            tokio::time::sleep(interval).await;
            current = next().await?;
        }
    }

    /// Every page of a paginated operation: `send` makes the request for a page token,
    /// `take` splits a page into its items and the next token.
    async fn paginate<O, E, T, F, Fut>(
        &self,
        operation: &'static str,
        mut send: F,
        take: impl Fn(O) -> (Vec<T>, Option<String>),
    ) -> Result<Vec<T>, AwsError>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: std::future::Future<Output = Result<O, aws_sdk_ssoadmin::error::SdkError<E>>>,
        E: aws_sdk_ssoadmin::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.call(operation, || send(token.clone())).await?;
            let (mut page_items, next) = take(page);
            items.append(&mut page_items);
            match next {
                Some(next) if next.is_empty() => return Ok(items),
                Some(next) if Some(&next) == token.as_ref() => {
                    return Err(AwsError::Malformed {
                        operation,
                        message: "the same page token came back twice".into(),
                    });
                }
                Some(next) => token = Some(next),
                None => return Ok(items),
            }
        }
    }

    async fn list_instances(&self) -> Result<Vec<(String, String)>, AwsError> {
        self.paginate(
            "ListInstances",
            |token| self.clients.sso_admin.list_instances().set_next_token(token).send(),
            |page| {
                let found = page
                    .instances()
                    .iter()
                    .filter_map(|i| Some((i.instance_arn()?.to_string(), i.identity_store_id()?.to_string())))
                    .collect();
                (found, page.next_token)
            },
        )
        .await
    }
}

fn choose_instance(instances: &[(String, String)], wanted: Option<&str>) -> Result<(String, String), AwsError> {
    match wanted {
        Some(arn) => instances
            .iter()
            .find(|(a, _)| a == arn)
            .cloned()
            .ok_or_else(|| AwsError::UnknownInstance {
                wanted: arn.to_string(),
                visible: instances.iter().map(|(a, _)| a.clone()).collect(),
            }),
        None => match instances {
            [] => Err(AwsError::NoInstance),
            [one] => Ok(one.clone()),
            many => Err(AwsError::ManyInstances(many.iter().map(|(a, _)| a.clone()).collect())),
        },
    }
}

/// Shared so that clones of one [`IdentityCenter`] (tasks of a bounded read) add to one count.
type Shared<T> = Arc<std::sync::Mutex<T>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_choice() {
        let one = vec![("arn:a".to_string(), "d-1".to_string())];
        let two = vec![
            ("arn:a".to_string(), "d-1".to_string()),
            ("arn:b".to_string(), "d-2".to_string()),
        ];
        assert_eq!(choose_instance(&one, None).unwrap().1, "d-1");
        assert!(matches!(choose_instance(&[], None), Err(AwsError::NoInstance)));
        assert!(matches!(choose_instance(&two, None), Err(AwsError::ManyInstances(v)) if v.len() == 2));
        assert_eq!(choose_instance(&two, Some("arn:b")).unwrap().1, "d-2");
        let err = choose_instance(&two, Some("arn:c")).unwrap_err().to_string();
        assert!(err.contains("`arn:c`") && err.contains("`arn:a`"), "{err}");
    }
}
