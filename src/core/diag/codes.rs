//! Every diagnostic code gitgrant emits, with a one-line summary. Codes are stable: tools
//! and suppressions key on them. `docs/diagnostics.md` documents each (a test checks).

macro_rules! codes {
    ($($code:literal => $summary:literal,)*) => {
        /// (code, summary) for every code.
        pub const TABLE: &[(&str, &str)] = &[$(($code, $summary)),*];
        /// Every code.
        pub const ALL: &[&str] = &[$($code),*];
    };
}

codes! {
    // reading files
    "missing-file" => "a required policy file is missing",
    "file-too-large" => "a file is over the size limit and was not read",
    "not-utf8" => "a file is not valid UTF-8",
    "byte-order-mark" => "a file starts with a UTF-8 byte-order mark (ignored)",
    "symlink" => "a policy or request file is a symbolic link",
    "toml-syntax" => "a file is not valid TOML",
    // shape (schema)
    "unknown-field" => "a key the file kind does not have",
    "missing-field" => "a required key is missing",
    "wrong-type" => "a value has the wrong type",
    "empty-list" => "a list that needs at least one item is empty",
    "invalid-value" => "a value is outside what the field allows",
    "invalid-structure" => "the file does not fit its kind (reported when the schema accepted it)",
    // values
    "invalid-duration" => "a duration is malformed, zero, or longer than a year",
    "invalid-timestamp" => "a date-time is malformed or has no time zone",
    "invalid-login" => "a GitHub login is malformed",
    "invalid-principal" => "an eligibility principal is not `@org/team`, `login` or `idc-group:Name`",
    "invalid-account" => "an account reference is neither a 12-digit id nor an account name",
    "invalid-account-id" => "a directory account id is not 12 digits",
    "invalid-permission-set-name" => "a permission set name is malformed",
    "invalid-rule-id" => "a rule id is not lowercase letters, digits and dashes",
    "invalid-request-id" => "a request file name is not a valid request id",
    "invalid-reason" => "a request's reason is empty or too long",
    "invalid-ticket" => "a request's ticket is empty or too long",
    "invalid-approval-mode" => "`approval` is neither `required` nor `none`",
    "invalid-min-approvals" => "`min_approvals` is not between 1 and 10",
    "invalid-template" => "`user_name_template` lacks `{login}`",
    "invalid-user-name" => "an Identity Center user name is malformed",
    "invalid-arn" => "an Identity Center ARN is malformed",
    "invalid-ou-id" => "an OU id is malformed",
    "invalid-ou-path" => "an OU path is malformed",
    "invalid-session-duration" => "a permission set session duration is not ISO 8601",
    // references and uniqueness
    "unknown-account" => "an account is not in the directory",
    "unknown-ou" => "an OU is not in the directory",
    "unknown-permission-set" => "a permission set is not in the directory",
    "unknown-group" => "an Identity Center group is not in the directory",
    "unknown-identity" => "a requester has no Identity Center user",
    "duplicate-account" => "an account id or name is listed twice",
    "duplicate-ou" => "an OU id or path is listed twice",
    "duplicate-permission-set" => "a permission set is listed twice",
    "duplicate-group" => "a group is listed twice",
    "duplicate-login" => "a GitHub login is listed twice (logins compare case-insensitively)",
    "duplicate-entry" => "a list repeats an entry",
    "duplicate-rule-id" => "two rules share an id",
    "duplicate-request-id" => "two request files share an id",
    "account-name-not-requestable" => "an account name cannot be a request path segment",
    // policy rules
    "rule-without-targets" => "an eligibility rule names no accounts and no OUs",
    "rule-max-exceeds-settings" => "a rule's max_duration is longer than settings.max_duration",
    "permission-set-not-managed" => "a rule names a permission set that is not managed",
    "unapprovable-rule" => "a rule requires approval where no code owner can approve",
    "unprotected-policy-path" => "CODEOWNERS does not protect a policy path",
    "codeowners-syntax" => "a CODEOWNERS line is malformed",
    "codeowners-invalid-owner" => "a CODEOWNERS owner is not `@user`, `@org/team` or an e-mail",
    // requests
    "unexpected-file" => "a non-request file is under `requests/`",
    "non-canonical-path" => "a request file is not at `requests/<account>/<permission-set>/<id>.toml`",
    "path-mismatch" => "a request's path disagrees with its content",
    "duration-exceeds-maximum" => "a request is longer than policy allows",
    "missing-ticket" => "policy requires a ticket and the request has none",
    "start-too-far-ahead" => "a request starts further ahead than settings.max_start_ahead",
    "requester-not-eligible" => "no eligibility rule lets the requester ask for this",
    "no-code-owner" => "no code owner can approve a request that needs approval",
    "internal" => "a defect in gitgrant; please report it",
}

/// The summary of a code, for `gitgrant explain`.
pub fn summary(code: &str) -> Option<&'static str> {
    TABLE.iter().find(|(c, _)| *c == code).map(|(_, s)| *s)
}
