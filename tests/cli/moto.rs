//! The moto harness: a moto server started from the project's virtual environment on a free
//! loopback port (killed when dropped), SDK configuration pointed at it, and a seeded
//! organization like the example repository's (`policies/directory.toml`).

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_identitystore::types::{MemberId, Name};
use aws_sdk_organizations::types::OrganizationFeatureSet;
use aws_sdk_ssoadmin::types::{PrincipalType, ProvisionTargetType, TargetType};

/// A running `moto_server`; dropping it kills the process and waits for it.
pub struct Moto {
    child: Child,
    pub url: String,
    log: tempfile::NamedTempFile,
}

fn venv() -> PathBuf {
    std::env::var_os("GITGRANT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv"))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().unwrap().port()
}

impl Moto {
    pub fn start() -> Moto {
        let bin = venv().join("bin/moto_server");
        assert!(
            bin.exists(),
            "moto is not installed at `{}`: run scripts/test.sh, or `python3 -m venv .venv && .venv/bin/pip install 'moto[server]==5.2.5'` (or set GITGRANT_VENV)",
            bin.display()
        );
        // The port is free when chosen but could be taken before moto binds it: try again.
        let mut last_log = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().unwrap();
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.reopen().unwrap())
                .stderr(log.reopen().unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", bin.display()));
            let mut moto = Moto {
                child,
                url: format!("http://127.0.0.1:{port}"),
                log,
            };
            if moto.wait_until_ready(port) {
                return moto;
            }
            last_log = std::fs::read_to_string(moto.log.path()).unwrap_or_default();
        }
        panic!("moto_server did not start; its last output:\n{last_log}");
    }

    fn wait_until_ready(&mut self, port: u16) -> bool {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The SDK configuration the adapter uses, pointed at this server with dummy keys.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        gitgrant::adapters::aws::config_loader()
            .endpoint_url(&self.url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ssoadmin::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }

    /// Environment for running the `gitgrant` binary against this server: only what the
    /// AWS SDK defines, and no profile or config file of the machine.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_CONFIG_FILE", "/nonexistent/gitgrant-test/config".into()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/gitgrant-test/credentials".into(),
            ),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the seed created, by name.
#[derive(Debug, Default)]
pub struct Seeded {
    pub instance_arn: String,
    pub identity_store_id: String,
    /// The management account (moto's caller account, named `master` by moto).
    pub management_account: String,
    pub ous: BTreeMap<String, String>,
    pub accounts: BTreeMap<String, String>,
    pub permission_sets: BTreeMap<String, String>,
    pub users: BTreeMap<String, String>,
    pub groups: BTreeMap<String, String>,
}

pub const OUS: [&str; 5] = [
    "Workloads",
    "Workloads/Prod",
    "Workloads/NonProd",
    "Security",
    "Sandbox",
];
pub const ACCOUNTS: [(&str, &str); 8] = [
    ("acme-management", ""),
    ("data-dev", "Workloads/NonProd"),
    ("data-prod", "Workloads/Prod"),
    ("log-archive", "Security"),
    ("payments-prod", "Workloads/Prod"),
    ("payments-staging", "Workloads/NonProd"),
    ("sandbox-alice", "Sandbox"),
    ("security-audit", "Security"),
];
pub const PERMISSION_SETS: [&str; 4] = [
    "AdministratorAccess",
    "DatabaseAdmin",
    "ReadOnlyAccess",
    "BillingReadOnly",
];
pub const MANAGED: [&str; 2] = ["AdministratorAccess", "DatabaseAdmin"];
pub const USERS: [&str; 7] = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"];
pub const GROUPS: [(&str, &[&str]); 2] = [("SRE", &["alice", "grace"]), ("DBA", &["dave", "erin"])];

pub fn user_name(login: &str) -> String {
    format!("{login}@acme.example")
}

/// Builds, through the AWS APIs, an organization like the example repository's.
pub async fn seed(config: &aws_config::SdkConfig) -> Seeded {
    let orgs = aws_sdk_organizations::Client::new(config);
    let sso = aws_sdk_ssoadmin::Client::new(config);
    let ids = aws_sdk_identitystore::Client::new(config);
    let mut s = Seeded::default();

    let org = orgs
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    s.management_account = org.organization.unwrap().master_account_id.unwrap();
    let root = orgs.list_roots().send().await.unwrap().roots.unwrap()[0]
        .id
        .clone()
        .unwrap();
    for path in OUS {
        let (parent, name) = match path.rsplit_once('/') {
            Some((parent, name)) => (s.ous[parent].clone(), name),
            None => (root.clone(), path),
        };
        let ou = orgs
            .create_organizational_unit()
            .parent_id(parent)
            .name(name)
            .send()
            .await
            .unwrap();
        s.ous
            .insert(path.to_string(), ou.organizational_unit.unwrap().id.unwrap());
    }
    for (name, ou) in ACCOUNTS {
        let created = orgs
            .create_account()
            .account_name(name)
            .email(format!("{name}@acme.example"))
            .send()
            .await
            .unwrap();
        let id = created.create_account_status.unwrap().account_id.unwrap();
        if !ou.is_empty() {
            orgs.move_account()
                .account_id(&id)
                .source_parent_id(&root)
                .destination_parent_id(&s.ous[ou])
                .send()
                .await
                .unwrap();
        }
        s.accounts.insert(name.to_string(), id);
    }

    let instance = sso.list_instances().send().await.unwrap().instances.unwrap().remove(0);
    s.instance_arn = instance.instance_arn.unwrap();
    s.identity_store_id = instance.identity_store_id.unwrap();
    for name in PERMISSION_SETS {
        // without a session duration moto answers a permission set the SDK cannot decode
        let ps = sso
            .create_permission_set()
            .instance_arn(&s.instance_arn)
            .name(name)
            .session_duration("PT1H")
            .send()
            .await
            .unwrap();
        let arn = ps.permission_set.unwrap().permission_set_arn.unwrap();
        s.permission_sets.insert(name.to_string(), arn);
    }
    // moto lists a permission set as provisioned (to its own account only) once
    // ProvisionPermissionSet ran; real AWS provisions on the first assignment
    for name in MANAGED {
        sso.provision_permission_set()
            .instance_arn(&s.instance_arn)
            .permission_set_arn(&s.permission_sets[name])
            .target_type(ProvisionTargetType::AwsAccount)
            .target_id(&s.management_account)
            .send()
            .await
            .unwrap();
    }

    for login in USERS {
        let user = ids
            .create_user()
            .identity_store_id(&s.identity_store_id)
            .user_name(user_name(login))
            .display_name(login)
            .name(Name::builder().given_name(login).family_name("Example").build())
            .send()
            .await
            .unwrap();
        s.users.insert(login.to_string(), user.user_id);
    }
    for (group, members) in GROUPS {
        let g = ids
            .create_group()
            .identity_store_id(&s.identity_store_id)
            .display_name(group)
            .send()
            .await
            .unwrap();
        for login in members {
            ids.create_group_membership()
                .identity_store_id(&s.identity_store_id)
                .group_id(&g.group_id)
                .member_id(MemberId::UserId(s.users[*login].clone()))
                .send()
                .await
                .unwrap();
        }
        s.groups.insert(group.to_string(), g.group_id);
    }
    s
}

/// A GROUP assignment made directly through the SDK (gitgrant only makes USER ones).
pub async fn assign_group(config: &aws_config::SdkConfig, s: &Seeded, account: &str, ps_arn: &str, group_id: &str) {
    aws_sdk_ssoadmin::Client::new(config)
        .create_account_assignment()
        .instance_arn(&s.instance_arn)
        .target_id(account)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(ps_arn)
        .principal_type(PrincipalType::Group)
        .principal_id(group_id)
        .send()
        .await
        .unwrap();
}
