//! A permission set's inline policy, for ending live sessions (issue 13 item 1): read it,
//! write or delete it, and provision the permission set to one account so the change
//! reaches the role Identity Center keeps there, polling the provisioning until AWS says
//! SUCCEEDED or FAILED.

use aws_sdk_ssoadmin::types::{PermissionSetProvisioningStatus, ProvisionTargetType};

use super::{AwsError, ChangeOutcome, IdentityCenter, Polled};

impl IdentityCenter {
    /// The permission set's inline policy as Identity Center holds it; empty for none.
    pub async fn inline_policy(&self, permission_set_arn: &str) -> Result<String, AwsError> {
        let out = self
            .call("GetInlinePolicyForPermissionSet", || {
                self.clients
                    .sso_admin
                    .get_inline_policy_for_permission_set()
                    .instance_arn(&self.instance_arn)
                    .permission_set_arn(permission_set_arn)
                    .send()
            })
            .await?;
        Ok(out.inline_policy.unwrap_or_default())
    }

    /// Replaces the permission set's inline policy (the accounts see it once provisioned).
    pub async fn put_inline_policy(&self, permission_set_arn: &str, document: &str) -> Result<(), AwsError> {
        self.call("PutInlinePolicyToPermissionSet", || {
            self.clients
                .sso_admin
                .put_inline_policy_to_permission_set()
                .instance_arn(&self.instance_arn)
                .permission_set_arn(permission_set_arn)
                .inline_policy(document)
                .send()
        })
        .await?;
        Ok(())
    }

    /// Removes the permission set's inline policy.
    pub async fn delete_inline_policy(&self, permission_set_arn: &str) -> Result<(), AwsError> {
        self.call("DeleteInlinePolicyFromPermissionSet", || {
            self.clients
                .sso_admin
                .delete_inline_policy_from_permission_set()
                .instance_arn(&self.instance_arn)
                .permission_set_arn(permission_set_arn)
                .send()
        })
        .await?;
        Ok(())
    }

    /// Provisions the permission set to one account, then polls the provisioning to an end
    /// (`DescribePermissionSetProvisioningStatus`); IN_PROGRESS at the poll deadline is not done.
    pub async fn provision_to_account(
        &self,
        permission_set_arn: &str,
        account_id: &str,
    ) -> Result<ChangeOutcome, AwsError> {
        let first = self
            .call("ProvisionPermissionSet", || {
                self.clients
                    .sso_admin
                    .provision_permission_set()
                    .instance_arn(&self.instance_arn)
                    .permission_set_arn(permission_set_arn)
                    .target_type(ProvisionTargetType::AwsAccount)
                    .target_id(account_id)
                    .send()
            })
            .await?
            .permission_set_provisioning_status;
        self.settle_provisioning(first).await
    }

    async fn settle_provisioning(
        &self,
        first: Option<PermissionSetProvisioningStatus>,
    ) -> Result<ChangeOutcome, AwsError> {
        let missing = |operation| AwsError::Malformed {
            operation,
            message: "the answer has no provisioning status".into(),
        };
        let status = first.ok_or_else(|| missing("ProvisionPermissionSet"))?;
        let request_id = status.request_id.clone().ok_or_else(|| AwsError::Malformed {
            operation: "ProvisionPermissionSet",
            message: "the answer has no request id".into(),
        })?;
        let polled = |s: PermissionSetProvisioningStatus| Polled {
            status: s.status,
            failure_reason: s.failure_reason,
        };
        self.poll_to_end(request_id.clone(), polled(status), || async {
            self.call("DescribePermissionSetProvisioningStatus", || {
                self.clients
                    .sso_admin
                    .describe_permission_set_provisioning_status()
                    .instance_arn(&self.instance_arn)
                    .provision_permission_set_request_id(&request_id)
                    .send()
            })
            .await?
            .permission_set_provisioning_status
            .map(polled)
            .ok_or_else(|| missing("DescribePermissionSetProvisioningStatus"))
        })
        .await
    }
}
