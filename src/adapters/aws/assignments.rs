//! Account assignments: reading the actual ones of the managed permission sets, creating and
//! deleting USER assignments, and polling each change until AWS says SUCCEEDED or FAILED.

use std::collections::BTreeSet;

use aws_sdk_ssoadmin::types::{AccountAssignmentOperationStatus, PrincipalType as SdkPrincipal, TargetType};
use tokio::task::JoinSet;

use super::{Assignment, AwsError, ChangeOutcome, IdentityCenter, Polled, PrincipalType};

/// A create or a delete, and the AWS operations that make it and read its status.
#[derive(Debug, Clone, Copy)]
enum Action {
    Create,
    Delete,
}

impl Action {
    fn operation(self) -> &'static str {
        match self {
            Action::Create => "CreateAccountAssignment",
            Action::Delete => "DeleteAccountAssignment",
        }
    }

    fn status_operation(self) -> &'static str {
        match self {
            Action::Create => "DescribeAccountAssignmentCreationStatus",
            Action::Delete => "DescribeAccountAssignmentDeletionStatus",
        }
    }
}

impl IdentityCenter {
    /// The assignments (USER and GROUP principals) of these permission sets, deduplicated
    /// and sorted. Calls: per permission set the pages of
    /// `ListAccountsForProvisionedPermissionSet`; per (account, permission set) pair where it
    /// is provisioned, the pages of `ListAccountAssignments`, at most
    /// `Settings::concurrency` at a time.
    pub async fn actual_assignments(&self, permission_set_arns: &[String]) -> Result<Vec<Assignment>, AwsError> {
        self.actual_assignments_with(permission_set_arns, &[]).await
    }

    /// As [`Self::actual_assignments`], also reading the (account, permission set) pairs in
    /// `in_use` (the reconciler's desired and owned grants) whether or not Identity Center
    /// lists the permission set as provisioned there: a pair gitgrant cares about is always
    /// read, and the cost stays proportional to the pairs in use.
    pub async fn actual_assignments_with(
        &self,
        permission_set_arns: &[String],
        in_use: &[(String, String)],
    ) -> Result<Vec<Assignment>, AwsError> {
        let sso = &self.clients.sso_admin;
        let mut pairs: BTreeSet<(String, String)> = in_use.iter().cloned().collect();
        for ps in permission_set_arns.iter().collect::<BTreeSet<_>>() {
            let accounts = self
                .paginate(
                    "ListAccountsForProvisionedPermissionSet",
                    |token| {
                        sso.list_accounts_for_provisioned_permission_set()
                            .instance_arn(&self.instance_arn)
                            .permission_set_arn(ps)
                            .set_next_token(token)
                            .send()
                    },
                    |page| (page.account_ids.unwrap_or_default(), page.next_token),
                )
                .await?;
            pairs.extend(accounts.into_iter().map(|a| (a, ps.clone())));
        }

        let mut found = BTreeSet::new();
        let mut pending = pairs.into_iter();
        let mut tasks = JoinSet::new();
        loop {
            while tasks.len() < self.settings.concurrency.max(1) {
                let Some((account, ps)) = pending.next() else { break };
                let ic = self.clone();
                tasks.spawn(async move { ic.assignments_of(&account, &ps).await });
            }
            match tasks.join_next().await {
                None => break,
                Some(Ok(list)) => found.extend(list?),
                // a task panicked: carry the panic on (dropping `tasks` aborts the others)
                Some(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        Ok(found.into_iter().collect())
    }

    /// The assignments of one permission set in one account (pages of `ListAccountAssignments`).
    async fn assignments_of(&self, account_id: &str, permission_set_arn: &str) -> Result<Vec<Assignment>, AwsError> {
        let listed = self
            .paginate(
                "ListAccountAssignments",
                |token| {
                    self.clients
                        .sso_admin
                        .list_account_assignments()
                        .instance_arn(&self.instance_arn)
                        .account_id(account_id)
                        .permission_set_arn(permission_set_arn)
                        .set_next_token(token)
                        .send()
                },
                |page| (page.account_assignments.unwrap_or_default(), page.next_token),
            )
            .await?;
        let mut out = Vec::with_capacity(listed.len());
        for a in listed {
            let principal_type = match a.principal_type {
                Some(SdkPrincipal::User) => PrincipalType::User,
                Some(SdkPrincipal::Group) => PrincipalType::Group,
                other => {
                    return Err(AwsError::Malformed {
                        operation: "ListAccountAssignments",
                        message: format!("unknown principal type {other:?}"),
                    });
                }
            };
            out.push(Assignment {
                account_id: a.account_id.unwrap_or_else(|| account_id.to_string()),
                permission_set_arn: a.permission_set_arn.unwrap_or_else(|| permission_set_arn.to_string()),
                principal_type,
                principal_id: a.principal_id.unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Assigns a permission set in an account to a user (`CreateAccountAssignment`) and polls
    /// the request until it SUCCEEDED or FAILED, or the poll deadline passed.
    pub async fn create_assignment(
        &self,
        account_id: &str,
        permission_set_arn: &str,
        user_id: &str,
    ) -> Result<ChangeOutcome, AwsError> {
        self.change(Action::Create, account_id, permission_set_arn, user_id)
            .await
    }

    /// Removes a user's assignment (`DeleteAccountAssignment`) and polls the request until it
    /// SUCCEEDED or FAILED, or the poll deadline passed.
    pub async fn delete_assignment(
        &self,
        account_id: &str,
        permission_set_arn: &str,
        user_id: &str,
    ) -> Result<ChangeOutcome, AwsError> {
        self.change(Action::Delete, account_id, permission_set_arn, user_id)
            .await
    }

    /// Sends the create or delete of a USER assignment, then settles it.
    async fn change(
        &self,
        action: Action,
        account_id: &str,
        permission_set_arn: &str,
        user_id: &str,
    ) -> Result<ChangeOutcome, AwsError> {
        // the two operations' builders are different types with the same fields
        macro_rules! send {
            ($operation:ident) => {
                self.call(action.operation(), || {
                    self.clients
                        .sso_admin
                        .$operation()
                        .instance_arn(&self.instance_arn)
                        .target_id(account_id)
                        .target_type(TargetType::AwsAccount)
                        .permission_set_arn(permission_set_arn)
                        .principal_type(SdkPrincipal::User)
                        .principal_id(user_id)
                        .send()
                })
                .await?
            };
        }
        let first = match action {
            Action::Create => send!(create_account_assignment).account_assignment_creation_status,
            Action::Delete => send!(delete_account_assignment).account_assignment_deletion_status,
        };
        self.settle(action, first).await
    }

    /// Polls a change until AWS reports SUCCEEDED or FAILED ([`IdentityCenter::poll_to_end`]).
    async fn settle(
        &self,
        action: Action,
        first: Option<AccountAssignmentOperationStatus>,
    ) -> Result<ChangeOutcome, AwsError> {
        let missing = |operation| AwsError::Malformed {
            operation,
            message: "the answer has no request status".into(),
        };
        let status = first.ok_or_else(|| missing(action.operation()))?;
        let request_id = status.request_id.clone().ok_or_else(|| AwsError::Malformed {
            operation: action.operation(),
            message: "the answer has no request id".into(),
        })?;
        let polled = |s: AccountAssignmentOperationStatus| Polled {
            status: s.status,
            failure_reason: s.failure_reason,
        };
        self.poll_to_end(request_id.clone(), polled(status), || async {
            self.status_of(action, &request_id)
                .await?
                .map(polled)
                .ok_or_else(|| missing(action.status_operation()))
        })
        .await
    }

    /// The current status of a create or delete request (`DescribeAccountAssignment*Status`).
    async fn status_of(
        &self,
        action: Action,
        request_id: &str,
    ) -> Result<Option<AccountAssignmentOperationStatus>, AwsError> {
        // as in `change`: two builder types with the same fields
        macro_rules! describe {
            ($operation:ident, $request_id:ident, $status:ident) => {
                self.call(action.status_operation(), || {
                    self.clients
                        .sso_admin
                        .$operation()
                        .instance_arn(&self.instance_arn)
                        .$request_id(request_id)
                        .send()
                })
                .await?
                .$status
            };
        }
        Ok(match action {
            Action::Create => describe!(
                describe_account_assignment_creation_status,
                account_assignment_creation_request_id,
                account_assignment_creation_status
            ),
            Action::Delete => describe!(
                describe_account_assignment_deletion_status,
                account_assignment_deletion_request_id,
                account_assignment_deletion_status
            ),
        })
    }
}
