//! The registry of every stable code gitgrant emits: the file diagnostics of `check` and the
//! reason codes of decisions (the PR gate), of the reconcile plan (blocked requests) and of
//! removals (plan deletes, ledger `ended` events, audit), each with its kind, group, effect
//! and one-line summary. Codes are stable: tools and suppressions key on them. The long
//! explanations are in `explain.rs`; `docs/diagnostics.md` is generated from both (a test
//! compares).

/// What emits a code, and where it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A finding about a file (`gitgrant check`, and as reasons in `gitgrant pr`).
    FileDiagnostic,
    /// A reason in a PR gate decision (`gitgrant pr`).
    GateDecision,
    /// A reason the reconciler will not grant a request (`gitgrant plan`/`apply`, "blocked").
    Reconcile,
    /// Why the reconciler removes an assignment (plan deletes, ledger `ended`, audit).
    Removal,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::FileDiagnostic, Kind::GateDecision, Kind::Reconcile, Kind::Removal];

    pub fn title(self) -> &'static str {
        match self {
            Kind::FileDiagnostic => "File diagnostics",
            Kind::GateDecision => "Gate decision reasons",
            Kind::Reconcile => "Reconcile and plan reasons",
            Kind::Removal => "Removal reasons",
        }
    }

    /// One sentence on where codes of this kind appear.
    pub fn blurb(self) -> &'static str {
        match self {
            Kind::FileDiagnostic => {
                "Findings about the files of the access repository, reported by `gitgrant check` at `file:line:column` (and, for a request a PR adds, as reasons of its `invalid` decision in `gitgrant pr`). Errors make `check` exit 1; warnings are printed and exit 0."
            }
            Kind::GateDecision => {
                "Reasons in the decision `gitgrant pr` makes for each request a pull request adds (`approved`, `pending`, `rejected`, `invalid`); notes say why a review was not counted."
            }
            Kind::Reconcile => {
                "Reasons `gitgrant plan` and `gitgrant apply` list under `blocked`: a request on the default branch that the reconciler will not grant."
            }
            Kind::Removal => {
                "Why `gitgrant plan` deletes an assignment gitgrant made: the `reason` of a delete, of the ledger's `ended` event, and the end reason `gitgrant audit` shows."
            }
        }
    }
}

/// One registered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub kind: Kind,
    /// The heading it is listed under within its kind.
    pub group: &'static str,
    /// For diagnostics the severity (`error`, `warning`); for reasons the decision or
    /// action it leads to.
    pub effect: &'static str,
    pub summary: &'static str,
}

macro_rules! codes {
    ($($group:literal { $($code:literal $effect:literal => $summary:literal,)* })*) => {
        /// (code, summary) for every diagnostic code.
        pub const TABLE: &[(&str, &str)] = &[$($(($code, $summary),)*)*];
        /// Every diagnostic code.
        pub const ALL: &[&str] = &[$($($code,)*)*];
        /// Every diagnostic code, registered.
        pub const DIAGNOSTICS: &[Code] = &[$($(Code {
            code: $code,
            kind: Kind::FileDiagnostic,
            group: $group,
            effect: $effect,
            summary: $summary,
        },)*)*];
    };
}

macro_rules! reasons {
    ($($kind:ident $group:literal { $($code:literal $effect:literal => $summary:literal,)* })*) => {
        /// Every reason code of decisions, plans and removals.
        pub const REASONS: &[Code] = &[$($(Code {
            code: $code,
            kind: Kind::$kind,
            group: $group,
            effect: $effect,
            summary: $summary,
        },)*)*];
    };
}

codes! {
    "Reading files" {
        "missing-file" "error" => "a required policy file is missing",
        "file-too-large" "error" => "a file is over the size limit and was not read",
        "not-utf8" "error" => "a file is not valid UTF-8",
        "byte-order-mark" "warning" => "a file starts with a UTF-8 byte-order mark (ignored)",
        "symlink" "error" => "a policy or request file is a symbolic link",
        "toml-syntax" "error" => "a file is not valid TOML",
    }
    "Shape (schema)" {
        "unknown-field" "error" => "a key the file kind does not have",
        "missing-field" "error" => "a required key is missing",
        "wrong-type" "error" => "a value has the wrong type",
        "empty-list" "error" => "a list that needs at least one item is empty",
        "invalid-value" "error" => "a value is outside what the field allows",
        "invalid-structure" "error" => "the file does not fit its kind (reported when the schema accepted it)",
    }
    "Values" {
        "invalid-duration" "error" => "a duration is malformed, zero, or longer than a year",
        "invalid-timestamp" "error" => "a date-time is malformed or has no time zone",
        "invalid-login" "error" => "a GitHub login is malformed",
        "invalid-principal" "error" => "an eligibility principal is not `@org/team`, `login` or `idc-group:Name`",
        "invalid-account" "error" => "an account reference is neither a 12-digit id nor an account name",
        "invalid-account-id" "error" => "a directory account id is not 12 digits",
        "invalid-permission-set-name" "error" => "a permission set name is malformed",
        "invalid-rule-id" "error" => "a rule id is not lowercase letters, digits and dashes",
        "invalid-request-id" "error" => "a request file name is not a valid request id",
        "invalid-reason" "error" => "a request's reason is empty or too long",
        "invalid-ticket" "error" => "a request's ticket is empty or too long",
        "invalid-approval-mode" "error" => "`approval` is neither `required` nor `none`",
        "invalid-min-approvals" "error" => "`min_approvals` is not between 1 and 10",
        "invalid-template" "error" => "`user_name_template` lacks `{login}`",
        "invalid-user-name" "error" => "an Identity Center user name is malformed",
        "invalid-arn" "error" => "an Identity Center ARN is malformed",
        "invalid-ou-id" "error" => "an OU id is malformed",
        "invalid-ou-path" "error" => "an OU path is malformed",
        "invalid-session-duration" "error" => "a permission set session duration is not ISO 8601",
    }
    "References and uniqueness" {
        "unknown-account" "error" => "an account is not in the directory",
        "unknown-ou" "error" => "an OU is not in the directory",
        "unknown-permission-set" "error" => "a permission set is not in the directory",
        "unknown-group" "error" => "an Identity Center group is not in the directory",
        "unknown-identity" "error" => "a requester has no Identity Center user",
        "duplicate-account" "error" => "an account id or name is listed twice",
        "duplicate-ou" "error" => "an OU id or path is listed twice",
        "duplicate-permission-set" "error" => "a permission set is listed twice",
        "duplicate-group" "error" => "a group is listed twice",
        "duplicate-login" "error" => "a GitHub login is listed twice (logins compare case-insensitively)",
        "duplicate-entry" "warning" => "a list repeats an entry",
        "duplicate-rule-id" "error" => "two rules share an id",
        "duplicate-request-id" "error" => "two request files share an id",
        "account-name-not-requestable" "warning" => "an account name cannot be a request path segment",
    }
    "Policy rules" {
        "rule-without-targets" "error" => "an eligibility rule names no accounts and no OUs",
        "rule-max-exceeds-settings" "warning" => "a rule's max_duration is longer than settings.max_duration",
        "permission-set-not-managed" "error" => "a rule names a permission set that is not managed",
        "unapprovable-rule" "error" => "a rule requires approval (or review after the fact) where no code owner can approve",
        "emergency-rule-without-max-duration" "error" => "an emergency (break-glass) rule has no max_duration of its own",
        "emergency-rule-requires-approval" "error" => "an emergency (break-glass) rule says `approval = \"required\"`",
        "unprotected-policy-path" "warning" => "CODEOWNERS does not protect a policy path",
        "codeowners-syntax" "error" => "a CODEOWNERS line is malformed",
        "codeowners-invalid-owner" "error" => "a CODEOWNERS owner is not `@user`, `@org/team` or an e-mail",
        "codeowners-email-unverified" "warning" => "an e-mail owner in CODEOWNERS is no login listed in identities.toml",
        "action-placeholder" "error" => "a workflow still uses the templates' all-zero action reference",
    }
    "Requests" {
        "unexpected-file" "error" => "a non-request file is under `requests/`",
        "non-canonical-path" "error" => "a request file is not at `requests/<account>/<permission-set>/<id>.toml`",
        "path-mismatch" "error" => "a request's path disagrees with its content",
        "duration-exceeds-maximum" "error" => "a request is longer than policy allows",
        "missing-ticket" "error" => "policy requires a ticket and the request has none",
        "start-too-far-ahead" "error" => "a request starts further ahead than settings.max_start_ahead",
        "requester-not-eligible" "error" => "no eligibility rule lets the requester ask for this",
        "no-code-owner" "error" => "no code owner can approve a request that needs approval",
        "emergency-not-allowed" "error" => "a break-glass request (`emergency = true`) where no emergency rule covers the target",
        "emergency-only" "error" => "a request without `emergency = true` where only emergency rules cover the target",
        "internal" "error" => "a defect in gitgrant; please report it",
    }
}

reasons! {
    GateDecision "Decisions" {
        "approved" "approved" => "enough code owners approved the current head",
        "auto-approved" "approved" => "an eligibility rule with `approval = \"none\"` allows the request",
        "emergency" "approved" => "an emergency rule allows the break-glass request: approved without review, reviewed after the fact",
        "awaiting-approval" "pending" => "fewer code-owner approvals than required so far",
        "changes-requested" "rejected" => "a code owner's latest review requests changes",
        "request-modified" "invalid" => "the PR modifies, renames or copies an existing request file",
        "base-policy-invalid" "invalid" => "the policy files the decision is based on do not load",
        "mixed-change" "invalid" => "the PR adds requests and also changes policy files",
        "head-file-missing" "invalid" => "a request the PR adds is not in its head commit",
        "requester-not-author" "invalid" => "the request is for someone other than the PR's author",
        "start-in-past" "invalid" => "the request's start is before the PR was opened",
        "window-ended" "invalid" => "the requested window is already over",
        "team-membership-unknown" "invalid" => "eligibility depends on GitHub team membership that was not read",
        "request-path-reused" "invalid" => "the request's path was used before; request ids are never reused",
        "history-unavailable" "invalid" => "whether the request's path was used before cannot be told",
        "stale" "invalid" => "the PR was decided or merged longer than pending_timeout after it was opened",
        "policy-path-unowned" "invalid" => "a policy file the PR changes has no code owner",
        "base-not-default-branch" "invalid" => "the PR adding requests is not into the default branch (or the default branch is unknown)",
        "changed-files-disagree" "invalid" => "GitHub's list of changed files disagrees with the git diff of the PR",
        "changed-files-unavailable" "invalid" => "the git diff of the PR cannot be computed to cross-check GitHub's list",
    }
    GateDecision "Reviews that do not count" {
        "unknown-review-state" "note" => "a review has a state gitgrant does not know",
        "unresolved-commit-identity" "note" => "a commit's author, committer or co-author has no GitHub account",
        "approval-by-bot" "note" => "an approval by a bot or app",
        "self-approval" "note" => "an approval by the requester or someone who wrote a commit of the PR",
        "pusher-cannot-approve" "note" => "an approval by someone GitHub authenticated as pushing to the PR",
        "approval-not-code-owner" "note" => "an approval by someone who is not a code owner of the path",
        "team-not-read" "note" => "an approval by someone who may own the path only through an unread team",
        "approval-stale" "note" => "an approval of an earlier commit, not the PR's current head",
        "approval-without-note" "note" => "an approval without the comment this repository requires",
    }
    GateDecision "Pre-flight notes" {
        "session-outlives-window" "note" => "a session started in the window can last past its end unless end_sessions = \"at-end\"",
    }
    Reconcile "Blocked requests" {
        "no-approved-pr" "blocked" => "no merged pull request is known for a request file",
        "evidence-unreadable" "blocked" => "the approval evidence of a request cannot be read",
        "evidence-not-merged" "blocked" => "the pull request in the evidence was not merged",
        "merge-not-on-default-branch" "blocked" => "the evidence's merge commit is not on the default branch",
        "evidence-for-other-pr" "blocked" => "the evidence is for another pull request than the one that added the file",
        "head-commit-missing" "blocked" => "the evidence's head commit is not in the repository",
        "file-not-in-pr" "blocked" => "the pull request in the evidence does not add the request file",
        "file-changed-after-approval" "blocked" => "the file on the default branch differs from the approved one",
        "base-commit-missing" "blocked" => "the evidence's base commit is not in the repository",
        "not-approved" "blocked" => "re-deciding the merged pull request does not give `approved`",
        "no-approval-record" "blocked" => "no approval record binds the request file's current content",
        "record-not-introducing-merge" "blocked" => "the approval's merge is not the commit that introduced the file's content",
        "record-blob-mismatch" "blocked" => "the file on the default branch is not the blob the approval bound",
        "ledger-unreadable" "blocked" => "the ledger has lines that do not parse; one may be a revocation",
        "record-retargeted" "blocked" => "today's directory or identities would move the approved grant elsewhere",
        "record-disagrees-with-evidence" "blocked" => "the ledger's approval record names other facts than the evidence it carries proves",
        "path-revoked" "blocked" => "the request's path was revoked or deleted before; it is never granted again",
        "no-longer-eligible" "blocked" => "the current policy no longer allows the request",
        "membership-unreadable" "blocked" => "a team or Identity Center group membership the request depends on could not be read live",
        "no-rule-covers-target" "blocked" => "no eligibility rule covers the account and permission set",
        "management-account" "blocked" => "the account is the organization's management account and no covering rule allows it",
        "user-not-found" "blocked" => "Identity Center has no user with the requester's user name",
        "permission-set-not-found" "blocked" => "Identity Center has no managed permission set of that name",
    }
    Reconcile "Reading the default branch" {
        "ambiguous-ref" "refused" => "the name given for the default branch names a tag and a branch, or branches at different commits",
    }
    Removal "Removals" {
        "expired" "delete" => "the window of every request behind an assignment has ended",
        "revoked" "delete" => "a request behind an assignment was revoked or deleted",
        "drift" "delete" => "an assignment of a managed permission set made by hand",
    }
}

/// The registration of a code, diagnostic or reason.
pub fn find(code: &str) -> Option<&'static Code> {
    DIAGNOSTICS.iter().chain(REASONS.iter()).find(|c| c.code == code)
}

/// Every registered code: diagnostics first, then reasons, in registry order.
pub fn every() -> impl Iterator<Item = &'static Code> {
    DIAGNOSTICS.iter().chain(REASONS.iter())
}

/// The summary of a code, for `gitgrant explain`.
pub fn summary(code: &str) -> Option<&'static str> {
    find(code).map(|c| c.summary)
}
