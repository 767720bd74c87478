//! The long explanation of every registered code, as data: what it means, why gitgrant
//! refuses (or warns, or decides so), how to fix it, and an example of it as gitgrant
//! prints it. `gitgrant explain CODE` shows one; `docs/diagnostics.md` is generated from
//! these with the registry in `codes.rs` (see `catalog.rs`).

/// The four parts of a code's explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    pub code: &'static str,
    pub meaning: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    /// Verbatim output (and the file text behind it); may start and end with a newline.
    pub example: &'static str,
}

impl Explanation {
    /// The example without the newlines a raw string literal opens and closes with.
    pub fn example_text(&self) -> &'static str {
        self.example.trim_matches('\n')
    }
}

macro_rules! explanations {
    ($($code:literal { $meaning:literal, $why:literal, $fix:literal, $example:literal $(,)? })*) => {
        /// Every explanation, in no particular order (the registry orders codes).
        pub const EXPLANATIONS: &[Explanation] = &[$(Explanation {
            code: $code,
            meaning: $meaning,
            why: $why,
            fix: $fix,
            example: $example,
        }),*];
    };
}

/// The explanation of a code.
pub fn explanation(code: &str) -> Option<&'static Explanation> {
    EXPLANATIONS.iter().find(|e| e.code == code)
}

explanations! {
// ---- reading files
"missing-file" {
    "One of the policy files every access repository needs is absent: `policies/access.toml`, `policies/directory.toml`, `policies/identities.toml` or CODEOWNERS (read where GitHub reads it: `.github/CODEOWNERS`, else `CODEOWNERS`, else `docs/CODEOWNERS`).",
    "Every decision depends on all of them: who may ask (access), what exists (directory), who a login is in Identity Center (identities) and who may approve (CODEOWNERS). With one missing, nothing can be decided, so nothing is approved or granted.",
    "Add the file. `gitgrant init DIR` writes a complete example repository to copy from; `gitgrant directory sync` writes `policies/directory.toml` from AWS.",
    r#"
error[missing-file]: `policies/identities.toml` is missing
  --> policies/identities.toml
  = help: run `gitgrant init DIR` to see a complete access repository
"#,
}
"file-too-large" {
    "A file is larger than gitgrant reads: 64 KiB for a request file, 64 MiB for a policy file. It was refused unread.",
    "A request is a handful of lines; a file that large is a mistake or an attempt to exhaust the gate. Refusing it unread keeps the cost of a run bounded.",
    "Shrink the file: a request needs only requester, account, permission_set, duration and reason (plus start and ticket when used).",
    r#"
error[file-too-large]: file is 70000 bytes, over the limit of 65536 bytes
  --> requests/payments-prod/AdministratorAccess/inc-4821.toml
  = help: request files are small; a file this large is refused unread
"#,
}
"not-utf8" {
    "A file contains bytes that are not UTF-8 text, typically a file saved as Latin-1 or Windows-1252 with an accented letter in it. The message names the first bad byte and where it is.",
    "TOML is UTF-8 by definition, and reviewers must see exactly the text gitgrant reads; guessing an encoding could make the two differ.",
    "Re-save the file as UTF-8 (most editors: \"Save with encoding\", UTF-8).",
    r#"
error[not-utf8]: file is not valid UTF-8 (byte 0xe4 at line 7, column 28)
  --> requests/payments-prod/AdministratorAccess/case.toml
  = help: save the file as UTF-8
"#,
}
"byte-order-mark" {
    "The file starts with the three bytes EF BB BF, a UTF-8 byte-order mark some Windows editors add. This is a warning: the mark is skipped and the file is read normally.",
    "The mark is invisible in most editors and in GitHub's diff, and some TOML tools refuse it; gitgrant reports it so the file can be cleaned, but does not refuse it.",
    "Save the file as UTF-8 without BOM.",
    r#"
warning[byte-order-mark]: file starts with a UTF-8 byte-order mark
  --> requests/payments-prod/AdministratorAccess/case.toml:1:1
  = help: the mark is ignored; save the file as UTF-8 without BOM to silence this
"#,
}
"symlink" {
    "A policy file, or an entry under `requests/`, is a symbolic link instead of a regular file.",
    "A link's target is not what reviewers see and approve in the diff, and it can point outside the reviewed tree; gitgrant reads only regular files.",
    "Replace the link by a copy of the file itself (`git rm` the link, add the file).",
    r#"
error[symlink]: entries under `requests/` must not be symbolic links
  --> requests/payments-prod/AdministratorAccess/link.toml
  = help: replace the link by the file itself; a link's target is not what reviewers approved
"#,
}
"toml-syntax" {
    "The file is not valid TOML: an unclosed table header or string, an unquoted value, a key given twice, and so on. The position points at where the parser gave up.",
    "A file that does not parse has no meaning to check; gitgrant never guesses what was meant.",
    "Fix the syntax at the position shown. Strings need quotes (`duration = \"2h\"`), each key appears once per table. See https://toml.io/en/v1.0.0.",
    r#"
error[toml-syntax]: string values must be quoted, expected literal string
  --> requests/payments-prod/AdministratorAccess/case.toml:6:12
  |
6 | duration = 2h
  |            ^^
  = help: fix the TOML syntax; see https://toml.io/en/v1.0.0
"#,
}
// ---- shape
"unknown-field" {
    "A key that this kind of file (request, access, directory, identities) does not have, often a typo of a real one. The help suggests the closest known key and lists the allowed ones.",
    "An unknown key is never ignored: `require_tickets = true` silently doing nothing would leave a repository less strict than its owners believe.",
    "Rename the key to the one meant, or remove it. `gitgrant schema KIND` prints every allowed key.",
    r#"
error[unknown-field]: unknown field `resaon`
  --> requests/payments-prod/AdministratorAccess/case.toml:7:1
  |
7 | resaon = "x"
  | ^^^^^^ not a field of this table
  = help: did you mean `reason`? expected one of: account, duration, permission_set, reason, requester, start, ticket
"#,
}
"missing-field" {
    "A key the file must have is absent, such as `reason` in a request or `max_duration` in `[settings]`.",
    "Required keys have no safe default: a request without a reason cannot be reviewed, a policy without a maximum duration cannot limit anything.",
    "Add the key named in the message; `gitgrant schema KIND` shows what it holds.",
    r#"
error[missing-field]: missing field `max_duration` in `settings`
  --> policies/access.toml:13:2
   |
13 | [settings]
   |  ^^^^^^^^
  = help: add `max_duration = ...`; see `gitgrant schema access`
"#,
}
"wrong-type" {
    "A value has the wrong TOML type: a number where a string is expected, a list instead of a single value, a string instead of `true`/`false`.",
    "Types are checked exactly; `duration = 2` could mean hours or minutes, and `include_child_ous = \"yes\"` is not a boolean.",
    "Write the value with the type the message asks for, e.g. `duration = \"2h\"`, `requester = \"alice\"`, `include_child_ous = true`.",
    r#"
error[wrong-type]: `requester` must be a string, found a list
  --> requests/payments-prod/AdministratorAccess/case.toml:2:13
  |
2 | requester = ["alice"]
  |             ^^^^^^^^^
  = help: see `gitgrant schema request`
"#,
}
"empty-list" {
    "A list that must hold at least one item is empty, such as an eligibility rule's `principals` or `permission_sets`.",
    "An empty list in a rule would make the rule match nobody or nothing; writing it is almost always a mistake, so it is refused rather than accepted as a no-op.",
    "Put at least one item in the list, or remove the rule.",
    r#"
error[empty-list]: `eligibility[0].principals` needs at least 1 item(s)
  --> policies/access.toml:24:14
   |
24 | principals = []
   |              ^^
  = help: see `gitgrant schema access`
"#,
}
"invalid-value" {
    "A value of the right type that the field does not allow: an identity store id not shaped `d-1234567890`, an account name over 50 characters, a group name over 128, `max_removals_per_run` below 0, `apply_concurrency` outside 1 to 10 (IAM Identity Center's quota of outstanding assignment changes), an `end_sessions` other than `on-revoke`, `at-end` or `never`, a `[[notify]]` kind, event or environment variable name gitgrant does not know, an empty OU reference, or another value outside what the schema permits.",
    "Values outside their range are refused so that the policy means one thing; gitgrant does not clamp or reinterpret them.",
    "Write a value in the range the message and help state; `gitgrant schema KIND` has the rules of every field.",
    r#"
error[invalid-value]: `d-12345` is not an identity store id
  --> policies/directory.toml:3:21
  |
3 | identity_store_id = "d-12345"
  |                     ^^^^^^^^^
  = help: identity store ids look like `d-1234567890`
"#,
}
"invalid-structure" {
    "The file passed the JSON-schema check but still does not fit the structure gitgrant reads into; the message is the reader's own. It means the schema and the reader disagree about this file.",
    "gitgrant only acts on files it read completely; a file it cannot read into its types is refused.",
    "Compare the file with `gitgrant schema KIND` and fix the part the message names. Since the schema accepted the file, please also report it: the schema should have caught it.",
    r#"
error[invalid-structure]: invalid type: sequence, expected a string
  --> policies/access.toml:31:9
  = help: compare the file with its schema: `gitgrant schema`
"#,
}
// ---- values
"invalid-duration" {
    "A duration (`duration`, `max_duration`, `pending_timeout`, `max_start_ahead`) is not digits followed by a unit (`d`, `h`, `m`, `s`, in that order, no spaces), or it is zero or negative, or it is longer than 366 days.",
    "Durations bound access; a value gitgrant would have to guess at (`8 hours`, `2h 30m`) or one with no limit (zero, over a year) is refused.",
    "Write e.g. `30m`, `2h`, `1h30m` or `1d`.",
    r#"
error[invalid-duration]: `2 hours` is not a positive duration
  --> requests/payments-prod/AdministratorAccess/case.toml:6:12
  |
6 | duration = "2 hours"
  |            ^^^^^^^^^
  = help: write digits followed by a unit (d, h, m, s), in that order, without spaces: `30m`, `2h`, `1h30m`, `1d`
"#,
}
"invalid-timestamp" {
    "A date-time (a request's `start`, the directory's `synced_at`) is malformed, is a date without a time, or has no time zone.",
    "A time without a zone means a different instant on every laptop and runner; access windows must be unambiguous.",
    "Write an RFC 3339 date-time with a zone, e.g. `start = 2026-11-22T13:00:00Z` or `2026-11-22T14:00:00+01:00`.",
    r#"
error[invalid-timestamp]: `2026-11-23T13:00:00` is not a date and time with a time zone
  --> requests/payments-prod/AdministratorAccess/case.toml:5:9
  |
5 | start = 2026-11-23T13:00:00
  |         ^^^^^^^^^^^^^^^^^^^
  = help: write an RFC 3339 date-time with a zone, e.g. `2026-11-22T13:00:00Z`
"#,
}
"invalid-login" {
    "A GitHub login (a request's `requester`, a key of `[users]` in identities.toml) is not letters, digits and single dashes of at most 39 characters, or starts or ends with a dash. Look-alike letters from other alphabets are refused too.",
    "Logins decide who asked and who approves; a login GitHub cannot have (or a Cyrillic `а` passing for a Latin `a`) could never match a real person, or could match the wrong one.",
    "Write the person's GitHub login exactly, in ASCII.",
    r#"
error[invalid-login]: `alice smith` is not a GitHub login
  --> requests/payments-prod/AdministratorAccess/case.toml:2:13
  |
2 | requester = "alice smith"
  |             ^^^^^^^^^^^^^
  = help: GitHub logins are letters, digits and single dashes, at most 39 characters, not starting or ending with a dash
"#,
}
"invalid-principal" {
    "An entry of an eligibility rule's `principals` is none of the three forms: `@org/team` (a GitHub team), `login` (a GitHub user) or `idc-group:Name` (an Identity Center group).",
    "A principal gitgrant cannot classify cannot be matched against a requester; `@acme` alone, for instance, would be a whole organization.",
    "Write the principal in one of the three forms, e.g. `@acme/oncall`, `alice`, `idc-group:SRE`.",
    r#"
error[invalid-principal]: `@acme` is not a principal
  --> policies/access.toml:86:15
   |
86 | principals = ["@acme", "frank"]
   |               ^^^^^^^
  = help: write `@org/team` for a GitHub team, `login` for a GitHub user, or `idc-group:Name` for an Identity Center group
"#,
}
"invalid-account" {
    "An account reference (a request's `account`, an entry of a rule's `accounts`) is neither an AWS account id of exactly 12 digits nor something shaped like an account name.",
    "An 11- or 13-digit number is a mistyped id; resolving it as a name could point at a different account than intended.",
    "Use the account's name from policies/directory.toml (e.g. `payments-prod`) or its 12-digit id.",
    r#"
error[invalid-account]: `11112222333` is neither a 12-digit account id nor an account name
  --> requests/payments-prod/AdministratorAccess/case.toml:3:11
  |
3 | account = "11112222333"
  |           ^^^^^^^^^^^^^
  = help: use the account's name from policies/directory.toml, or its id of exactly 12 digits
"#,
}
"invalid-account-id" {
    "An `[[account]]` entry of policies/directory.toml has an `id` that is not exactly 12 digits.",
    "The directory is the truth requests are resolved against; an id AWS cannot have would make every request for that account unresolvable or wrong.",
    "Correct the id (run `gitgrant directory sync` to rewrite the file from AWS).",
    r#"
error[invalid-account-id]: `44445555666` is not a 12-digit account id
  --> policies/directory.toml:53:6
   |
53 | id = "44445555666"
   |      ^^^^^^^^^^^^^
  = help: AWS account ids are exactly 12 digits
"#,
}
"invalid-permission-set-name" {
    "A permission set name is not 1 to 32 characters of letters, digits and `_+=,.@-`, the names AWS allows.",
    "A name AWS cannot have can never exist; in a request path it could also smuggle in a `/`.",
    "Use the permission set's name as listed in policies/directory.toml.",
    r#"
error[invalid-permission-set-name]: `Admin/Access` is not a permission set name
  --> requests/payments-prod/AdministratorAccess/case.toml:4:18
  |
4 | permission_set = "Admin/Access"
  |                  ^^^^^^^^^^^^^^
  = help: permission set names are 1 to 32 characters of letters, digits and `_+=,.@-`
"#,
}
"invalid-rule-id" {
    "A rule `id` in policies/access.toml is not lowercase letters, digits and single dashes, at most 64 characters.",
    "Decisions, approval records and the audit cite rules by id; ids must be plain and stable.",
    "Rename the rule, e.g. `oncall-prod-admin`.",
    r#"
error[invalid-rule-id]: `Prod_Admins` is not a valid rule id
  --> policies/access.toml:40:6
   |
40 | id = "Prod_Admins"
   |      ^^^^^^^^^^^^^
  = help: rule ids are lowercase letters, digits and single dashes, at most 64 characters
"#,
}
"invalid-request-id" {
    "A request file's name (its id, the file name without `.toml`) is not lowercase letters, digits and single dashes of at most 64 characters.",
    "The id names the request in the ledger, the audit and `/revoke`; it must be plain and unambiguous.",
    "Rename the file, e.g. to `inc-4821-rollback.toml`.",
    r#"
error[invalid-request-id]: request id `Case_1` is not lowercase letters, digits and single dashes
  --> requests/payments-prod/AdministratorAccess/Case_1.toml
  = help: rename the file, e.g. `inc-4821-rollback.toml` (at most 64 characters)
"#,
}
"invalid-reason" {
    "A request's `reason` is empty, only spaces, or longer than 1000 characters.",
    "Approvers decide on the reason, and the audit keeps it; an empty one gives them nothing to judge.",
    "Write 1 to 1000 characters saying why the access is needed, e.g. the incident and what will be done.",
    r#"
error[invalid-reason]: `   ` is empty or too long
  --> requests/payments-prod/AdministratorAccess/case.toml:7:10
  |
7 | reason = "   "
  |          ^^^^^
  = help: write between 1 and 1000 characters, not only spaces
"#,
}
"invalid-ticket" {
    "A request's `ticket` is present but empty or longer than 100 characters.",
    "A ticket is a reference to look up; an empty one would pass `require_ticket` without referencing anything.",
    "Write the incident or change reference (1 to 100 characters), or leave the key out where no ticket is required.",
    r#"
error[invalid-ticket]: `ticket` is empty or too long
  --> requests/payments-prod/AdministratorAccess/case.toml:8:10
  |
8 | ticket = ""
  |          ^^
  = help: write between 1 and 100 characters, or leave the field out
"#,
}
"invalid-approval-mode" {
    "An eligibility rule's `approval` is neither `required` (the default) nor `none`.",
    "`approval = \"none\"` lets requests through without review; anything that is not exactly one of the two modes is refused rather than guessed.",
    "Write `approval = \"required\"` or `approval = \"none\"`, or leave the key out for `required`.",
    r#"
error[invalid-approval-mode]: `maybe` is not an approval mode
  --> policies/access.toml:62:12
   |
62 | approval = "maybe"
   |            ^^^^^^^
  = help: use `required` or `none`
"#,
}
"invalid-min-approvals" {
    "An approval rule's `min_approvals` is not a whole number from 1 to 10.",
    "Zero approvals would turn review off by a number nobody notices; auto-approval has its own explicit form. More than 10 is a quorum that is never met.",
    "Use 1 to 10; to let a rule's requests through without review, set `approval = \"none\"` on the eligibility rule instead.",
    r#"
error[invalid-min-approvals]: `0` is not a valid number of approvals
  --> policies/access.toml:113:17
    |
113 | min_approvals = 0
    |                 ^
  = help: use a whole number from 1 to 10; for no approval use `approval = "none"` on the eligibility rule
"#,
}
"invalid-template" {
    "`user_name_template` in policies/identities.toml does not contain `{login}`.",
    "The template maps every GitHub login to an Identity Center user name; without `{login}` every requester would map to the same user.",
    "Write a template with `{login}` in it, e.g. `{login}@acme.example`, or list users under `[users]` instead.",
    r#"
error[invalid-template]: `user@acme.example` does not contain `{login}`
  --> policies/identities.toml:4:22
  |
4 | user_name_template = "user@acme.example"
  |                      ^^^^^^^^^^^^^^^^^^^
  = help: write a template such as `{login}@acme.example`
"#,
}
"invalid-user-name" {
    "An Identity Center user name (a value under `[users]` in identities.toml, a group member in directory.toml) is empty, longer than 128 characters or contains spaces.",
    "Grants are made to the Identity Center user this name finds; a name Identity Center cannot have finds nobody.",
    "Write the user's Identity Center user name exactly (often their e-mail address).",
    r#"
error[invalid-user-name]: `Alice Smith` is not an Identity Center user name
  --> policies/identities.toml:9:9
  |
9 | alice = "Alice Smith"
  |         ^^^^^^^^^^^^^
  = help: user names are 1 to 128 characters without spaces
"#,
}
"invalid-arn" {
    "An ARN in policies/directory.toml, the `instance_arn` or a permission set's `arn`, does not have the shape Identity Center uses: an instance ARN is `arn:<partition>:sso:::instance/ssoins-...`; a permission set ARN is only checked for its partition and service prefix (`arn:aws:sso:::`, `arn:aws-us-gov:sso:::`, ...) and is otherwise kept as AWS returned it.",
    "The reconciler passes these ARNs to AWS; a malformed one means the directory was edited by hand or is corrupt.",
    "Run `gitgrant directory sync` to rewrite the directory from AWS, or correct the ARN (`arn:aws:sso:::instance/ssoins-...`; a permission set ARN exactly as `aws sso-admin list-permission-sets` prints it).",
    r#"
error[invalid-arn]: `arn:aws:sso:::instanc/ssoins-1234567890abcdef` is not an Identity Center instance ARN
  --> policies/directory.toml:4:16
  |
4 | instance_arn = "arn:aws:sso:::instanc/ssoins-1234567890abcdef"
  |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: instance ARNs look like `arn:aws:sso:::instance/ssoins-1234567890abcdef`
"#,
}
"invalid-ou-id" {
    "An `[[ou]]` entry's `id` is not an AWS Organizations OU id such as `ou-ab12-prod0001`.",
    "Rules may name OUs by id; an id that cannot exist would make such a rule cover nothing.",
    "Correct the id, or run `gitgrant directory sync`.",
    r#"
error[invalid-ou-id]: `prod` is not an OU id
  --> policies/directory.toml:10:6
   |
10 | id = "prod"
   |      ^^^^^^
  = help: OU ids look like `ou-ab12-prod0001`
"#,
}
"invalid-ou-path" {
    "An `[[ou]]` entry's `path` is not OU names from the root separated by single `/` (no leading or trailing slash, no empty names).",
    "Rules and accounts refer to OUs by path; `Workloads//Prod` or `/Workloads` would never match what they mean.",
    "Write the path from the root, e.g. `Workloads/Prod`.",
    r#"
error[invalid-ou-path]: `/Workloads/Prod/` is not an OU path
  --> policies/directory.toml:11:8
   |
11 | path = "/Workloads/Prod/"
   |        ^^^^^^^^^^^^^^^^^^
  = help: write OU names from the root separated by `/`, e.g. `Workloads/Prod`
"#,
}
"invalid-session-duration" {
    "A permission set's `session_duration` in policies/directory.toml is not an ISO 8601 duration as Identity Center writes it.",
    "The session duration bounds how long a granted session lasts; a value that does not parse cannot be taken into account.",
    "Write e.g. `PT1H` or `PT12H`, or run `gitgrant directory sync`.",
    r#"
error[invalid-session-duration]: `1h` is not an ISO 8601 session duration
  --> policies/directory.toml:70:20
   |
70 | session_duration = "1h"
   |                    ^^^^
  = help: write e.g. `PT1H` or `PT12H`
"#,
}
// ---- references and uniqueness
"unknown-account" {
    "An account named by a request or a rule is not in policies/directory.toml, by name or by id.",
    "Only accounts in the directory can be resolved to an id and checked against rules; a typo (`payments-prd`) must not become a request for nothing, or for a different account.",
    "Use an account name or id from policies/directory.toml; if the account is new, run `gitgrant directory sync` and merge that first.",
    r#"
error[unknown-account]: account `payments-prd` is not in the directory
  --> requests/payments-prod/AdministratorAccess/case.toml:3:11
  |
3 | account = "payments-prd"
  |           ^^^^^^^^^^^^^^
  = help: use an account name or 12-digit id from policies/directory.toml; if the account is new, run `gitgrant directory sync`
"#,
}
"unknown-ou" {
    "An OU named by a rule's `ous`, by an account's `ou`, or as the parent of another OU is not listed in policies/directory.toml.",
    "Rules that cover OUs are resolved through the directory's OU tree; an OU that is not in it covers no account.",
    "Use an OU path (`Workloads/Prod`) or id from the directory; in the directory, list every OU from the root down (an account at the root has `ou = \"\"`).",
    r#"
error[unknown-ou]: OU `Securty` is not in the directory
  --> policies/access.toml:87:8
   |
87 | ous = ["Securty"]
   |        ^^^^^^^^^
  = help: use an OU path (`Workloads/Prod`) or id from policies/directory.toml
"#,
}
"unknown-permission-set" {
    "A permission set named by a request, a rule or `managed_permission_sets` is not in policies/directory.toml.",
    "A permission set that Identity Center does not have can never be granted; a typo should fail here, not at apply time.",
    "Use a name from policies/directory.toml; for a new permission set, run `gitgrant directory sync` first.",
    r#"
error[unknown-permission-set]: permission set `SuperAdmin` is not in the directory
  --> requests/payments-prod/SuperAdmin/case.toml:4:18
  |
4 | permission_set = "SuperAdmin"
  |                  ^^^^^^^^^^^^
  = help: use a permission set name from policies/directory.toml
"#,
}
"unknown-group" {
    "A rule's principal `idc-group:Name` names an Identity Center group that is not in policies/directory.toml.",
    "Eligibility through an Identity Center group is checked against the group's members in the directory; a group that is not there has no members, so the principal matches nobody.",
    "Fix the group name, or run `gitgrant directory sync`, which writes the groups that rules use.",
    r#"
error[unknown-group]: Identity Center group `Auditors` is not in the directory
  --> policies/access.toml:86:43
   |
86 | principals = ["@acme/security-engineers", "idc-group:Auditors"]
   |                                           ^^^^^^^^^^^^^^^^^^^^
  = help: add the group to policies/directory.toml (`gitgrant directory sync` writes groups used by rules)
"#,
}
"unknown-identity" {
    "The requester's GitHub login has no Identity Center user: it is not under `[users]` in policies/identities.toml and there is no `user_name_template`. `check` reports it at the request's `requester`; `gitgrant plan` lists it as a blocked reason when a merged request's requester has no user name.",
    "A grant is an assignment to an Identity Center user; without a mapping there is nobody to assign to, and guessing would grant the wrong person.",
    "Add the login under `[users]` (`alice = \"alice@acme.example\"`) or set `user_name_template`.",
    r#"
error[unknown-identity]: `hank` has no Identity Center user in policies/identities.toml
  --> requests/data-dev/ReadOnlyAccess/case.toml:2:13
  |
2 | requester = "hank"
  |             ^^^^^^
  = help: add the login under [users], or set user_name_template
"#,
}
"duplicate-account" {
    "Two `[[account]]` entries of policies/directory.toml have the same id, or the same name.",
    "Requests name accounts by name in their path; two accounts with one name would make a request ambiguous.",
    "Keep one entry per account; rename one of two different accounts that share a name (or run `gitgrant directory sync`).",
    r#"
error[duplicate-account]: account name `security-audit` is listed twice
  --> policies/directory.toml:64:8
   |
64 | name = "security-audit"
   |        ^^^^^^^^^^^^^^^^
  = help: account names must be unique to be used in request paths
"#,
}
"duplicate-ou" {
    "Two `[[ou]]` entries of policies/directory.toml have the same id or the same path.",
    "OU paths and ids must each find exactly one OU, or rules that cover OUs become ambiguous.",
    "Keep one entry per OU (or run `gitgrant directory sync`).",
    r#"
error[duplicate-ou]: OU path `Workloads/Prod` is listed twice
  --> policies/directory.toml:14:8
   |
14 | path = "Workloads/Prod"
   |        ^^^^^^^^^^^^^^^^
  = help: each OU appears once
"#,
}
"duplicate-permission-set" {
    "Two `[[permission_set]]` entries of policies/directory.toml have the same name.",
    "A permission set name must find exactly one ARN; two would leave open which one a grant assigns.",
    "Keep one entry per permission set (or run `gitgrant directory sync`).",
    r#"
error[duplicate-permission-set]: permission set `ReadOnlyAccess` is listed twice
  --> policies/directory.toml:80:8
   |
80 | name = "ReadOnlyAccess"
   |        ^^^^^^^^^^^^^^^^
  = help: each permission set appears once
"#,
}
"duplicate-group" {
    "Two `[[group]]` entries of policies/directory.toml have the same name.",
    "`idc-group:Name` principals are checked against one group's members; two groups of one name make that ambiguous.",
    "Keep one entry per group (or run `gitgrant directory sync`).",
    r#"
error[duplicate-group]: group `SRE` is listed twice
  --> policies/directory.toml:95:8
   |
95 | name = "SRE"
   |        ^^^^^
  = help: each group appears once
"#,
}
"duplicate-login" {
    "A GitHub login appears twice under `[users]` in policies/identities.toml, possibly in different case (`alice` and `ALICE`).",
    "GitHub logins compare case-insensitively, so both entries are the same person and could map them to two different Identity Center users.",
    "Keep one entry for the login and delete the other.",
    r#"
error[duplicate-login]: login `alice` is listed twice (as `ALICE` too)
  --> policies/identities.toml:8:1
  |
8 | alice = "alice@acme.example"
  | ^^^^^
  = help: GitHub logins compare case-insensitively; keep one entry
"#,
}
"duplicate-entry" {
    "A list repeats an entry, such as a permission set given twice in `managed_permission_sets`. This is a warning: the repeat is ignored.",
    "A repeated entry changes nothing but usually means one entry was meant to be something else.",
    "Remove the repeated entry (or correct it to what was meant).",
    r#"
warning[duplicate-entry]: `AdministratorAccess` is listed twice
  --> policies/access.toml:16:50
   |
16 | managed_permission_sets = ["AdministratorAccess", "AdministratorAccess"]
   |                                                   ^^^^^^^^^^^^^^^^^^^^^
  = help: remove the repeated entry
"#,
}
"duplicate-rule-id" {
    "Two rules of the same kind in policies/access.toml (two eligibility rules, or two approval rules) have the same `id`.",
    "Decisions and approval records cite rules by id; two rules with one id would make those citations ambiguous.",
    "Give every rule its own id, and update what refers to the renamed one.",
    r#"
error[duplicate-rule-id]: eligibility rule id `nonprod-admin` is used twice
  --> policies/access.toml:94:6
   |
94 | id = "nonprod-admin"
   |      ^^^^^^^^^^^^^^^
  = help: give every rule its own id; decisions cite rules by id
"#,
}
"duplicate-request-id" {
    "Two request files have the same id (file name) in different folders, e.g. under two accounts.",
    "Request ids are unique across the repository: `/revoke`, the ledger and the audit name a request by id.",
    "Rename one of the files to a new id.",
    r#"
error[duplicate-request-id]: request id `inc-4821-rollback` is also used by `requests/payments-prod/AdministratorAccess/inc-4821-rollback.toml`
  --> requests/payments-staging/AdministratorAccess/inc-4821-rollback.toml
  = help: request ids are unique across the repository and never reused; rename this file
"#,
}
"account-name-not-requestable" {
    "An account's name in policies/directory.toml cannot be used as a folder of a request path: it is not 1 to 50 letters, digits, `.`, `_` and `-` starting with a letter or digit (spaces, for example). This is a warning: nobody can request that account.",
    "Requests name the account by the folder they are in; a name that cannot be a safe path segment cannot be requested.",
    "Rename the account in AWS Organizations to a plain name and run `gitgrant directory sync`, or leave it unrequestable on purpose.",
    r#"
warning[account-name-not-requestable]: account name `Payments Prod` cannot be used in a request path
  --> policies/directory.toml:40:8
   |
40 | name = "Payments Prod"
   |        ^^^^^^^^^^^^^^^
  = help: requests name accounts by a path segment of letters, digits, `.`, `_` and `-`; rename the account to request it
"#,
}
// ---- policy rules
"rule-without-targets" {
    "An eligibility rule has neither `accounts` nor `ous`, so it covers no account.",
    "A rule that covers nothing grants nothing; it is almost always a rule whose targets were forgotten.",
    "Add `accounts = [...]` or `ous = [...]`, or remove the rule.",
    r#"
error[rule-without-targets]: eligibility rule `security-read-only` names no accounts and no OUs
  --> policies/access.toml:85:6
   |
85 | id = "security-read-only"
   |      ^^^^^^^^^^^^^^^^^^^^
  = help: add `accounts = [...]` or `ous = [...]`; a rule covering nothing grants nothing
"#,
}
"rule-max-exceeds-settings" {
    "An eligibility rule's `max_duration` is longer than `settings.max_duration`. This is a warning: the shorter of the two applies.",
    "The rule says more than it allows; readers of the policy would believe requests can be longer than they can.",
    "Lower the rule's `max_duration` to at most `settings.max_duration`, or raise the setting if that is what is meant.",
    r#"
warning[rule-max-exceeds-settings]: rule maximum `12h` is longer than settings.max_duration `8h`
  --> policies/access.toml:48:16
   |
48 | max_duration = "12h"
   |                ^^^^^
  = help: the shorter of the two applies; lower the rule's max_duration to say so
"#,
}
"permission-set-not-managed" {
    "An eligibility rule names a permission set that is not in `settings.managed_permission_sets`.",
    "The reconciler only creates and removes assignments of managed permission sets; a request for another one could be approved but would never be granted (or never be removed).",
    "Add the permission set to `managed_permission_sets`, or drop it from the rule.",
    r#"
error[permission-set-not-managed]: permission set `BillingReadOnly` is not in settings.managed_permission_sets
  --> policies/access.toml:97:43
   |
97 | permission_sets = ["AdministratorAccess", "BillingReadOnly"]
   |                                           ^^^^^^^^^^^^^^^^^
  = help: add it to managed_permission_sets; the reconciler only grants and revokes managed permission sets
"#,
}
"emergency-rule-without-max-duration" {
    "An `[[eligibility]]` rule says `emergency = true` but has no `max_duration` of its own.",
    "Break-glass access is granted before anyone reviews it, so how long it lasts must be decided for it, not inherited from the general maximum.",
    "Add a short `max_duration` to the rule, e.g. `max_duration = \"1h\"`.",
    r#"
error[emergency-rule-without-max-duration]: emergency rule `break-glass-prod` has no max_duration of its own
  --> policies/access.toml:40:6
  |
40 | id = "break-glass-prod"
  |      ^^^^^^^^^^^^^^^^^^
"#,
}
"emergency-rule-requires-approval" {
    "An `[[eligibility]]` rule says both `emergency = true` and `approval = \"required\"`.",
    "An emergency rule's requests are approved without review and reviewed after the fact; asking for approval before contradicts it, and gitgrant does not guess which was meant.",
    "Remove `approval` from the emergency rule, or remove `emergency = true` to make it a normal rule.",
    r#"
error[emergency-rule-requires-approval]: emergency rule `break-glass-prod` says `approval = "required"`, but break-glass requests are granted before any review
  --> policies/access.toml:46:12
  |
46 | approval = "required"
  |            ^^^^^^^^^^
"#,
}
"unapprovable-rule" {
    "An eligibility rule requires approval, but for some account and permission set it covers no CODEOWNERS line covers the request path `requests/<account>/<permission-set>/`.",
    "Approvals count only from code owners of the request's path; with none, requests under this rule could be made but never approved.",
    "Add CODEOWNERS lines for the listed request paths, or set `approval = \"none\"` on the rule if auto-approval is intended.",
    r#"
error[unapprovable-rule]: eligibility rule `bob-sandbox` requires approval, but no code owner covers requests/sandbox-alice/ReadOnlyAccess/
  --> policies/access.toml:121:6
    |
121 | id = "bob-sandbox"
    |      ^^^^^^^^^^^^^
  = help: add CODEOWNERS lines for these request paths, or set `approval = "none"` if auto-approval is intended
"#,
}
"unprotected-policy-path" {
    "No CODEOWNERS line covers one of the files that decide access: policies/access.toml, policies/identities.toml, policies/directory.toml, .github/CODEOWNERS or the gitgrant workflow. This is a warning.",
    "Without a code owner on them, anyone with write access can approve a change to who may access what, including a change that makes themselves eligible.",
    "Add a line such as `/policies/ @org/security-admins` and `/.github/ @org/security-admins`, and turn on \"Require review from Code Owners\" in branch protection.",
    r#"
warning[unprotected-policy-path]: no code owner protects `.github/CODEOWNERS`
  --> .github/CODEOWNERS
  = help: add a line such as `/.github @org/security-admins`: without it anyone with write access can approve changes to who may access what
"#,
}
"codeowners-syntax" {
    "A line of .github/CODEOWNERS is not a pattern followed by owners as GitHub reads the file.",
    "Code owners decide who may approve; a line GitHub would ignore or read differently must not silently change that.",
    "Fix the line: a path pattern, then one or more owners, separated by spaces.",
    r#"
error[codeowners-syntax]: unexpected character in pattern
  --> .github/CODEOWNERS:12:1
   |
12 | [requests/**  @acme/oncall
   | ^
  = help: see GitHub's CODEOWNERS syntax: a pattern followed by owners
"#,
}
"action-placeholder" {
    "A workflow under `.github/workflows/` has a `uses:` whose reference is `OWNER/REPO@` followed by 40 zeros: the placeholder `gitgrant init` writes when it is not given `--action-ref`. No commit has that id, so the workflow fails at its first step and no request is ever decided or granted.",
    "The action is the code that decides and grants access; which release runs must be a choice somebody reviewed, pinned to a full commit SHA, never a default. Failing `check` says so before the workflows are pushed.",
    "Replace the reference with the repository and full commit SHA of the gitgrant release you reviewed (a mirror in your organization, or upstream), e.g. `uses: acme/gitgrant@0123456789abcdef0123456789abcdef01234567 # v0.1.0`, or run `gitgrant init NEW_DIR --action-ref OWNER/REPO@SHA` and copy its workflows.",
    r#"
error[action-placeholder]: `gitgrant/gitgrant@0000000000000000000000000000000000000000` is the template's placeholder: this workflow cannot run
  --> .github/workflows/gitgrant.yml:132:15
    |
132 |         uses: gitgrant/gitgrant@0000000000000000000000000000000000000000 # vX.Y.Z
    |               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: pin the gitgrant action to the repository and full commit SHA of the release you reviewed (`uses: OWNER/REPO@<40-hex SHA>`), or write the workflows again with `gitgrant init --action-ref OWNER/REPO@SHA`
"#,
}
"codeowners-email-unverified" {
    "A CODEOWNERS line names an owner by e-mail address, and no login under `[users]` in `policies/identities.toml` has that address as its Identity Center user name. Nobody can approve as that owner; the line's other owners still count. At the gate the same warning names the request path.",
    "GitHub ties an e-mail owner to the account that verified the address, which gitgrant cannot see; the identities file is the trusted mapping it has. The `user_name_template` is a guess, not a mapping, so it does not count. Refusing the whole file for it would stop every request, so it is a warning.",
    "List the owner's GitHub login under `[users]` in `policies/identities.toml` with exactly that address (for example `zoe = \"zoe@acme.example\"`), or write the owner as `@login` in CODEOWNERS.",
    r#"
warning[codeowners-email-unverified]: e-mail owner `zoe@acme.example` cannot be verified: no login in policies/identities.toml has this address, so nobody can approve as this owner
  --> .github/CODEOWNERS:23:64
   |
23 | /requests/data-dev/DatabaseAdmin/              @acme/dba-leads zoe@acme.example
   |                                                                ^^^^^^^^^^^^^^^^
  = help: list the owner's GitHub login under [users] in policies/identities.toml as `login = "zoe@acme.example"`, or name them as `@login`
"#,
}
"codeowners-invalid-owner" {
    "An owner on a CODEOWNERS line is not `@user`, `@org/team` or an e-mail address, typically a team or user name without the `@`.",
    "GitHub ignores owners it cannot parse, so the path would have fewer owners (perhaps none) than the file seems to say.",
    "Write the owner as `@user`, `@org/team` or an e-mail address.",
    r#"
error[codeowners-invalid-owner]: invalid owner: security-team
  --> .github/CODEOWNERS:36:8
   |
36 | /docs/ security-team
   |        ^^^^^^^^^^^^^
  = help: owners are `@user`, `@org/team` or an e-mail address
"#,
}
// ---- requests
"unexpected-file" {
    "A file under `requests/` is not a `.toml` file (a `.yaml`, a README, an editor backup).",
    "Every file under `requests/` is read as a request; a file that cannot be one is refused rather than skipped, so nothing in the folder goes unreviewed.",
    "Move other files out of `requests/`, or rename a request to `<id>.toml`.",
    r#"
error[unexpected-file]: only `.toml` request files may be under `requests/`
  --> requests/payments-prod/AdministratorAccess/case.yaml
  = help: move other files out of `requests/`; every file there is read as a request
"#,
}
"non-canonical-path" {
    "A request file is not exactly three levels under `requests/`: `requests/<account-name>/<permission-set>/<id>.toml`.",
    "Code owners are chosen by path, so the path must name the account and permission set; a file elsewhere would be approved by the wrong people.",
    "Move the file to `requests/<account-name>/<permission-set>/<id>.toml`.",
    r#"
error[non-canonical-path]: request files live at `requests/<account-name>/<permission-set>/<id>.toml`
  --> requests/payments-prod/case.toml
  = help: move the file; code owners are chosen by path, so the path must name the account and permission set
"#,
}
"path-mismatch" {
    "A request's path disagrees with its content: the `account` (by name or id) or the `permission_set` inside the file is not the one its folder names.",
    "Code owners approve by path; a file under `requests/payments-staging/...` that asks for `payments-prod` would be approved by the wrong code owners.",
    "Move the file to the path the help names, or correct the field.",
    r#"
error[path-mismatch]: account `data-prod` does not match the path's account `payments-prod`
  --> requests/payments-prod/AdministratorAccess/case.toml:3:11
  |
3 | account = "data-prod"
  |           ^^^^^^^^^^^
  = help: move the file to `requests/data-prod/AdministratorAccess/case.toml`: code owners are chosen by path
"#,
}
"duration-exceeds-maximum" {
    "A request's `duration` is longer than `settings.max_duration`, or longer than the `max_duration` of every eligibility rule that would otherwise allow it. In a decision or a plan it is also a reason, with the rule named.",
    "Maximum durations bound how long access can last without a new request and a new review.",
    "Ask for at most the maximum the message names; a longer need takes a new request later.",
    r#"
error[duration-exceeds-maximum]: duration `5h` is longer than `4h`, the maximum under rule `oncall-prod-admin`
  --> requests/payments-prod/AdministratorAccess/case.toml:6:12
  |
6 | duration = "5h"
  |            ^^^^
"#,
}
"missing-ticket" {
    "`settings.require_ticket` is true and the request has no `ticket`.",
    "The repository's owners decided that every access must reference an incident or change.",
    "Add `ticket = \"INC-1234\"` with the reference.",
    r#"
error[missing-ticket]: this repository requires a ticket on every request
  --> requests/payments-prod/AdministratorAccess/case.toml:1:1
  = help: add `ticket = "INC-1234"` with the incident or change reference
"#,
}
"start-too-far-ahead" {
    "A request's `start` is later than now plus `settings.max_start_ahead` (30 days unless set).",
    "An approval far ahead of its use is an approval of circumstances nobody can foresee; requests are meant for access needed soon.",
    "Request the access closer to when it is needed, or ask the policy owners to raise `max_start_ahead`.",
    r#"
error[start-too-far-ahead]: start 2027-06-01T00:00:00+00:00 is more than 30d ahead
  --> requests/payments-prod/AdministratorAccess/case.toml:5:9
  |
5 | start = 2027-06-01T00:00:00Z
  |         ^^^^^^^^^^^^^^^^^^^^
  = help: request access closer to when it is needed (settings.max_start_ahead)
"#,
}
"requester-not-eligible" {
    "No eligibility rule lets this requester ask for this account and permission set: no rule covers the target at all, or the requester is not among the principals (user, `@org/team` member, `idc-group:` member) of the rules that do. The message lists the covering rules.",
    "Eligibility is the policy's list of who may ask for what; a request outside it is refused before anyone is asked to approve.",
    "Ask for an account and permission set a rule lets you request (see policies/access.toml), or ask the policy owners to add you to a rule in a separate policy PR.",
    r#"
error[requester-not-eligible]: `frank` is not a principal of any rule covering this account and permission set (alice-sandbox-admin)
  --> requests/sandbox-alice/AdministratorAccess/case.toml:2:13
  |
2 | requester = "frank"
  |             ^^^^^^^
  = help: see policies/access.toml for who may request what; team membership is checked on the pull request
"#,
}
"emergency-not-allowed" {
    "The request says `emergency = true` (break-glass), but no emergency rule (`emergency = true` on an `[[eligibility]]` rule) covers its account and permission set; the message names the rules that cover it for reviewed requests.",
    "Break-glass skips review before access; only rules written for it, with their own short maximum, may allow that. A normal rule never grants without the review it asks for.",
    "Remove `emergency = true` and ask for review as usual, or ask the policy owners for an emergency rule covering this target in a separate policy PR.",
    r#"
error[emergency-not-allowed]: no emergency rule covers permission set `AdministratorAccess` on account `111122223333`; rule(s) oncall-prod-admin cover it for reviewed requests only
  --> requests/payments-prod/AdministratorAccess/case.toml:8:13
  |
8 | emergency = true
  |             ^^^^
"#,
}
"emergency-only" {
    "Only emergency rules cover the request's account and permission set, and the request does not say `emergency = true`.",
    "Emergency rules allow break-glass requests only (granted at once, reviewed after); they never allow a request that expects review before access, and no other rule covers the target.",
    "If this is an emergency, add `emergency = true` (and a `ticket`); it is granted at once and your code owners review it afterwards. Otherwise ask for a target a normal rule covers.",
    r#"
error[emergency-only]: only emergency rule(s) break-glass-prod cover permission set `AdministratorAccess` on account `111122223333`: they allow break-glass requests (`emergency = true`), granted at once and reviewed after
  --> requests/payments-prod/AdministratorAccess/case.toml:4:18
  |
4 | permission_set = "AdministratorAccess"
  |                  ^^^^^^^^^^^^^^^^^^^^^
"#,
}
"no-code-owner" {
    "A request needs approval, but no CODEOWNERS line covers its path, so nobody can approve it.",
    "Approvals count only from code owners of the request's path; without one the request could never be approved.",
    "Add a CODEOWNERS line covering `/requests/<account>/<permission-set>/`, or ask for access under a rule with `approval = \"none\"`.",
    r#"
error[no-code-owner]: no code owner can approve this request
  --> requests/payments-prod/AdministratorAccess/case.toml
  = help: add a `.github/CODEOWNERS` line covering `/requests/payments-prod/AdministratorAccess/`
"#,
}
"internal" {
    "gitgrant hit a condition its own code should never reach (a document read twice), or could not read the default branch it was given during a reconcile.",
    "gitgrant stops rather than decide on a half-read state; when it is the reconcile, nothing is removed except grants whose recorded end has passed.",
    "Check that the repository and ref exist and are readable (`git rev-parse REF`); otherwise report it at the project's issue tracker with the command and its output.",
    r#"
error[internal]: cannot read the default branch: reference `refs/remotes/origin/main` not found
"#,
}
// ---- gate decisions
"approved" {
    "The request is approved: the code-owner approvals that count (see the review notes) reach the number the approval rules ask for (`min_approvals`, 1 unless a rule says more). For a policy PR: a code owner of the changed file approved.",
    "This is not a refusal. The `gitgrant` check passes when every request of the PR is approved; the reconciler still re-verifies the merged PR before it grants anything.",
    "Nothing to fix: merge the PR. Access starts at `start`, or at the merge when there is none.",
    r#"
approved requests/payments-prod/AdministratorAccess/inc-4821.toml
  [approved] 2 of 2 required code-owner approval(s)
  approved by: carol, dave
"#,
}
"auto-approved" {
    "An eligibility rule that allows this request has `approval = \"none\"`, so it needs no review; the message names the rule.",
    "This is not a refusal. The request is approved without approvers; the grant is still recorded in the ledger and the reconciler still requires a merged PR opened by the requester.",
    "Nothing to fix: merge the PR, and the reconciler grants it at its start.",
    r#"
approved requests/sandbox-alice/AdministratorAccess/try-terraform.toml
  [auto-approved] eligibility rule `alice-sandbox-admin` needs no approval; the grant is still recorded
"#,
}
"emergency" {
    "The request says `emergency = true` and an emergency rule allows it: it is approved without review (break-glass). The message names the rule and how long the code owners have to review it after the merge (`settings.emergency_review_within`, 24h unless set).",
    "This is not a refusal. The PR can be merged at once (the gate merges it itself with `--merge`) and the reconciler grants it for the rule's short maximum. Its code owners review it afterwards with `/reviewed [note]` on the PR or an approving review; until then `status` lists it, and once the time has passed without a review it is overdue, a finding of `audit --verify`, announced as `review_overdue`. A code owner's \"request changes\" before the merge still rejects it.",
    "Nothing to fix: merge the PR. Afterwards, a code owner of the request reviews it.",
    r#"
approved requests/payments-prod/AdministratorAccess/inc-4821.toml
  [emergency] break-glass under emergency rule `break-glass-prod`: approved without review; code owners must review it within 24h of the merge (`/reviewed [note]` on the PR, or an approving review)
"#,
}
"awaiting-approval" {
    "The request is valid and waits for approvals: fewer code-owner approvals count than required. The message says how many count and how many are needed (and which approval rule sets the number); `can approve` lists who still can.",
    "Access is granted only after the code owners of the request's path agree; the PR stays `pending` and the `gitgrant` check stays in progress (yellow, blocking the merge) until then.",
    "Ask someone under `can approve` to review with Approve (and a comment where the repository requires a note). Reviews that did not count have their own notes saying why.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 1 of 2 required code-owner approval(s) (rule prod-two-approvers)
  approved by: carol
  can approve: dave, erin
"#,
}
"changes-requested" {
    "A code owner's latest review of the PR is \"Request changes\". One such review rejects the request, whatever approvals there are.",
    "A code owner's objection is a rejection until that reviewer withdraws it; approvals by others do not override it.",
    "Address the reviewer's concern; the rejection lifts when the review is dismissed or the same reviewer submits a new review (Approve, or a dismissal). Or close the PR to withdraw the request.",
    r#"
rejected requests/payments-prod/AdministratorAccess/inc-4821.toml
  [changes-requested] code owner(s) dave requested changes; a dismissed or new review lifts this
"#,
}
"request-modified" {
    "The PR modifies, renames or copies a file under `requests/` that already exists on the base branch.",
    "A merged request is immutable: it is bound to the approval it got. Editing it afterwards would change what was approved without a new approval.",
    "To change a request, revoke it (a PR deleting the file, or `/revoke` on its PR) and file a new request with a new id.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [request-modified] request files are immutable once merged: to change a request, revoke it and file a new one
"#,
}
"base-policy-invalid" {
    "The policy files the decision is based on do not load: at the gate, those of the PR's base commit; in the reconciler, those of the default branch now. Every request is then `invalid` (gate) or blocked (reconciler).",
    "Only the base's policy is trusted, and a policy that does not load cannot say who may ask or approve; nothing is approved on a broken policy.",
    "Run `gitgrant check` on the default branch and fix what it reports in a policy PR; then re-run the gate on this PR (push, or re-run the workflow).",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [base-policy-invalid] the base branch's policy files do not load, so nothing can be approved; fix them with `gitgrant check` first
"#,
}
"mixed-change" {
    "The PR adds requests and also changes a policy path (`policies/`, `.github/`, `schemas/`, `action.yml`). The message names the policy files.",
    "One kind of change per PR: a PR that asks for access must not also change the rules that decide it, and policy changes need the policy owners' review on their own.",
    "Split the PR: one PR with the policy change, one with the request (rebased after the policy change merges, if it depends on it).",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [mixed-change] this PR adds requests and also changes `policies/access.toml`: split it, policy changes need their own review
"#,
}
"head-file-missing" {
    "GitHub lists a request file as added by the PR, but the PR's head commit, as read from the local repository, does not have it.",
    "The gate decides on the head's files; when the API and git disagree about what the PR contains, it fails closed.",
    "Make sure the PR's head commit is fetched (`git fetch origin pull/N/head`) and up to date, then re-run the gate.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [head-file-missing] `requests/payments-prod/AdministratorAccess/inc-4821.toml` is not in the head commit
"#,
}
"requester-not-author" {
    "The request's `requester` is not the login that opened the PR (compared case-insensitively).",
    "People ask for their own access: the PR's author is the identity GitHub vouches for, and a PR asking for someone else's access could be used to grant it without their knowledge.",
    "The person who needs the access opens the PR themselves (`gitgrant request` prepares the branch).",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [requester-not-author] the request is for `alice` but the PR was opened by `bob`: people ask for their own access
"#,
}
"start-in-past" {
    "The request's `start` is more than 5 minutes before the PR was opened.",
    "A start in the past would make the approval cover time that has already passed, and the reviewers would approve a window they never saw open.",
    "File a new request with a `start` after now, or without `start` (access then starts when the PR merges).",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [start-in-past] start 2026-11-20T09:00:00+00:00 is before the PR was opened (2026-11-22T13:04:10+00:00)
"#,
}
"window-ended" {
    "The request's window, `start` plus `duration`, has already ended at the time of the decision.",
    "Approving a window that is over would record a grant that never applies; the PR should be closed instead.",
    "Close the PR, and file a new request for when the access is needed.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [window-ended] the requested window ended at 2026-11-22T15:00:00+00:00
"#,
}
"team-membership-unknown" {
    "Only eligibility rules whose principals are GitHub teams (`@org/team`) could allow the request, and those teams' members were not read. At the gate the request is `invalid`; in the reconciler without a GitHub token (teams from the PR's replay snapshot) it is blocked; with a token a live read that fails is `membership-unreadable`.",
    "A team that was not read is unknown, never \"a member\" and never \"not a member\": gitgrant neither grants on a guess nor silently refuses. The usual cause is a token that cannot read organization teams (the workflow's default GITHUB_TOKEN cannot).",
    "Run the gate and the reconciler with a GitHub App installation token with Members: read; a replay snapshot (`--snapshot`) must contain the teams under `teams`.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [team-membership-unknown] eligibility depends on membership of @acme/oncall which was not read
"#,
}
"request-path-reused" {
    "The request's path existed before in the base branch's history: the id was used before, by this or an earlier request. `gitgrant request` reports it too, before it creates the branch.",
    "A path, once used, is never granted again: revocations and approval records are bound to the path, so reusing it could bring back access that was revoked.",
    "Pick a new id (file name), e.g. `inc-4821-rollback-2`; with `gitgrant request`, pass another `--id`.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [request-path-reused] `requests/payments-prod/AdministratorAccess/inc-4821.toml` existed before (commit 3f2a9c1); request paths are never reused, pick a new id
"#,
}
"history-unavailable" {
    "gitgrant could not tell whether the request's path was used before: the ledger's index is missing or damaged and git's history could not answer, or a shallow clone could not fetch the history it needed from origin.",
    "Reusing a path is forbidden (see `request-path-reused`); when that cannot be ruled out, the gate fails closed.",
    "Run `gitgrant ledger index` (or `--rebuild`, as the message says) on a clone with the history; make sure the workflow's token can fetch from origin (a shallow checkout fetches the commits it needs by id) and re-run the gate.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [history-unavailable] cannot tell whether `requests/payments-prod/AdministratorAccess/inc-4821.toml` was used before: the clone is shallow and its history could not be fetched, so it cannot answer
"#,
}
"stale" {
    "The request's PR was opened longer ago than the policy's `settings.pending_timeout` (default 24h) when the gate decided it, or when it merged. The gate refuses it (`invalid`), the reconciler blocks it even when its evidence verifies (under the base policy's timeout and the current one), and the scheduled gate run (`gitgrant pr --close-stale`) closes such open PRs with a comment.",
    "An approval is given for a need at a time: approvals collected in November must not grant access when the PR is merged in January, after the incident and the approvers' context are long gone.",
    "Open a new PR with a new request id (`gitgrant request`) and ask for fresh approvals; raise `pending_timeout` in `policies/access.toml` if requests routinely need longer.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [stale] the PR was opened 2026-11-20T09:00:00+00:00 and decided 2026-11-22T12:00:00+00:00, more than pending_timeout (24h) later: open a new PR with a new id
"#,
}
"policy-path-unowned" {
    "A PR changes a policy file that no line of the base branch's CODEOWNERS covers.",
    "A policy change needs the approval of the policy's code owners; with none, there is nobody whose approval could count, and an unowned policy could be changed by anyone with write access.",
    "Protect the policy paths in CODEOWNERS first (for example `/policies/ @org/security-admins` and `/.github/ @org/security-admins`); when CODEOWNERS itself is unowned, a repository admin has to merge that first change outside the gate.",
    r#"
invalid policies/access.toml
  [policy-path-unowned] no code owner protects `policies/access.toml` in the base CODEOWNERS
"#,
}
"changed-files-disagree" {
    "The list of changed files GitHub gives for the PR (its API's `files`, or the snapshot's) disagrees with the git diff of the PR's own commits, from the merge base to the head. Every request and policy file either list names is invalid.",
    "What the gate decides on must be what would be merged. The git diff comes from the commits themselves; a list that says otherwise is stale (a push raced the run), truncated (GitHub lists at most 3,000 files) or edited (a tampered snapshot), and deciding on it could approve a request the PR does not add, or miss a policy change it makes.",
    "Re-run the check once the PR's head has settled. Split a PR that touches more than 3,000 files. For a replay, record the snapshot again from the same commits (`gitgrant pr --record FILE`).",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [changed-files-disagree] GitHub's list of the PR's changed files disagrees with the git diff of its commits (the git diff modifies `CODEOWNERS`, GitHub's list does not): nothing is decided on a list that cannot be trusted
"#,
}
"changed-files-unavailable" {
    "The git diff of the PR (merge base to head) could not be computed, so GitHub's list of changed files cannot be cross-checked: a shallow clone could not fetch the history down to the merge base of the PR's base and head commits (origin unreachable, a token that cannot read), or the two have no common history. Every request and policy file the list names is invalid.",
    "The gate decides on the changed files the commits show, never on a list it cannot check (section 10.7 of the design): without the diff, a request or policy change could be hidden from it.",
    "Fetch the PR head (`git fetch --depth=1 origin refs/pull/N/head`) and let gitgrant fetch from origin with a token that can read the repository, as the workflow template does; a PR from unrelated history cannot be decided.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [changed-files-unavailable] the git diff of the PR cannot be computed, so GitHub's list of its changed files cannot be cross-checked: commits `e9763c919f0fed54d709f4f58ab1e74972336b27` and `0d0d6fbdca209d6887d4aad7c601db4a95efd76c` have no merge base (unrelated histories, even after fetching the whole history of a shallow clone)
"#,
}
// ---- reviews that do not count
"unknown-review-state" {
    "A review of the PR has a state gitgrant does not know (not APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING). It is not counted.",
    "Only states whose meaning is known can approve or reject; a new or unexpected state is never read as an approval.",
    "The reviewer reviews again (Approve or Request changes). If GitHub introduced a new state, please report it.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 0 of 1 required code-owner approval(s)
  [unknown-review-state] review 2214359321 has state `ESCALATED`, which is not counted
"#,
}
"unresolved-commit-identity" {
    "An author, committer or `Co-authored-by` of a commit of the PR has an e-mail address GitHub does not link to any account, so gitgrant cannot tell who it is. No approval of the PR counts while that is so.",
    "Someone who wrote or pushed a commit of a PR must not approve it; an identity that cannot be resolved might be one of the reviewers, so counting fails closed.",
    "Rewrite the commit with an e-mail address linked to the author's GitHub account (or add the address to that account), push, and ask for reviews of the new head.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 0 of 1 required code-owner approval(s)
  [unresolved-commit-identity] approvals cannot be counted: author `alice@laptop.local` of commit 9c1e0d2 is not linked to a GitHub account, so it cannot be told apart from the reviewers
"#,
}
"approval-by-bot" {
    "An approving review comes from a bot or GitHub App (user type `Bot`, or a login ending in `[bot]`). It is not counted.",
    "An approval is a person's judgement; an automation that approves would make the review a formality anyone able to trigger the bot could pass.",
    "Ask a human code owner to review.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 0 of 1 required code-owner approval(s)
  [approval-by-bot] `renovate[bot]` is a bot or app
"#,
}
"self-approval" {
    "An approving review comes from the requester, the PR's author, or someone who authored, committed or co-authored a commit of the PR. It is not counted.",
    "Nobody approves their own access, and pushing a commit to someone's PR and then approving it is a known way around GitHub's own rule; such approvals never count.",
    "Ask another code owner, one who did not touch the PR, to review. A code owner who pushed a commit cannot approve this PR.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 0 of 1 required code-owner approval(s)
  [self-approval] `carol` asked for this access or wrote, committed or co-authored a commit of this PR
"#,
}
"pusher-cannot-approve" {
    "An approving review comes from someone GitHub authenticated as pushing to the PR: the `sender` of one of its `pull_request` opened, synchronize or reopened events, recorded in the ledger as `pushed`. It is not counted.",
    "Commit author and committer names are whatever the pusher wrote, so the self-approval rule cannot rest on them alone; who pushed is what GitHub itself authenticated. Pushing a commit to someone's PR and then approving it is a known way around review.",
    "Ask a code owner who did not push to the PR. Also require GitHub's \"Require approval of the most recent reviewable push\" in branch protection (docs/branch-protection.md).",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 1 of 2 required code-owner approval(s) (rule prod-admin-needs-two)
  [pusher-cannot-approve] `heidi` pushed to this PR (GitHub authenticated the push), so cannot approve it
"#,
}
"session-outlives-window" {
    "A note, not a reason to refuse: the permission set's session length (`session_duration` in policies/directory.toml, 12 hours when it does not say) lets a session started shortly before the window ends keep working for that long after it, and `end_sessions` is not `\"at-end\"`.",
    "An assignment ends on time; a session issued before the end does not. Reviewers should know that a 1-hour window on a permission set with 12-hour sessions can mean 13 hours of access.",
    "Set `end_sessions = \"at-end\"` in `[settings]` so the reconciler also ends live sessions at every window's end (docs/sessions.md), or shorten the permission set's session duration in Identity Center.",
    r#"
approved requests/payments-prod/AdministratorAccess/inc-4821.toml
  [approved] 2 of 2 required code-owner approval(s)
  [session-outlives-window] a session started before the window ends at 2026-11-22T15:00:00Z can last until 2026-11-22T16:00:00Z (AdministratorAccess sessions last PT1H); set end_sessions = "at-end" to end it on time
"#,
}
"approval-not-code-owner" {
    "An approving review comes from someone who is not a code owner of the request's path in the base branch's CODEOWNERS (neither listed nor a member of a listed team). It is not counted.",
    "Code owners of `requests/<account>/<permission-set>/` decide who may approve access to it; anyone else's approval is an opinion, not an approval.",
    "Ask someone under `can approve`; to make the reviewer an approver, add them to CODEOWNERS in a separate policy PR.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 0 of 1 required code-owner approval(s)
  [approval-not-code-owner] `frank` is not a code owner of this path
"#,
}
"team-not-read" {
    "An approving reviewer is not a direct code owner of the path, and could be one only through a team whose members were not read. The approval is not counted.",
    "An unread team is unknown, never \"a member\": the approval cannot be confirmed as a code owner's.",
    "Run the gate with a GitHub App installation token with Members: read, so teams in CODEOWNERS can be read; or ask a directly listed code owner.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 0 of 1 required code-owner approval(s)
  [team-not-read] `dave` may be a code owner only through a team whose members were not read
"#,
}
"approval-stale" {
    "An approving review was made on an earlier commit of the PR, not on its current head: commits were pushed after the approval. It is not counted.",
    "An approval covers what the reviewer saw; a later push could have changed the request.",
    "Ask the reviewer to look at the current head and approve again.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 0 of 1 required code-owner approval(s)
  [approval-stale] `carol` approved commit 4b8e7a1, not the current head 77c02f9
"#,
}
"approval-without-note" {
    "`settings.require_approval_note` is set and an approving review has no comment. It is not counted.",
    "This repository wants every approval to say why it was given; the note is kept in the ledger and shown by the audit.",
    "Ask the reviewer to approve again with a comment explaining the decision.",
    r#"
pending requests/payments-prod/AdministratorAccess/inc-4821.toml
  [awaiting-approval] 0 of 1 required code-owner approval(s)
  [approval-without-note] `carol` approved without a comment; this repository requires a note explaining the decision
"#,
}
"base-not-default-branch" {
    "The pull request adds request files but its base branch (`base.ref`) is not the repository's default branch (`base.repo.default_branch`), or the default branch is not known from the pull request. Every request it adds is `invalid`; a merge into another branch never verifies as approval evidence.",
    "Only the default branch's policy decides who gets what; a PR into a side branch is decided against that branch's policy, which anyone with write access can edit, and could later reach the default branch through another PR.",
    "Close the pull request and open it against the default branch.",
    r#"
invalid requests/payments-prod/AdministratorAccess/inc-4821.toml
  [base-not-default-branch] this PR is into `release`, not the default branch `main`: requests are decided only in PRs into the default branch
"#,
}
// ---- reconcile: blocked requests
"no-approved-pr" {
    "A request file is on the default branch, but no merged pull request is known for it: the ledger has no merge record for its path, and neither `--evidence DIR` nor the GitHub API gave a PR that merged it.",
    "A request pushed straight to the default branch, or merged without the gate, was never approved; the reconciler grants only what it can re-verify, so a faked `gitgrant` check grants nothing.",
    "If it was pushed directly, revert it and open a PR. If it did come through a PR, make that PR's evidence available: let the PR workflow record the merge in the ledger, or pass `--evidence DIR` with `<pr-number>.json` snapshots.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [no-approved-pr] no merged pull request is known for this file: a request pushed straight to the default branch is never granted
"#,
}
"no-approval-record" {
    "A request file is on the default branch and the ledger knows merges of its path, but none of them is the first-parent commit that introduced the file's current content, and no evidence for that commit was found (in `--evidence DIR` or through the GitHub API).",
    "The reconciler grants only what an approval record binds: the record of the merge that put exactly this content on the default branch. Any other merge of the same path approved something else, so it proves nothing about this file.",
    "Find out how the current content reached the default branch (`git log --first-parent -- PATH`). If it was pushed or merged around the gate, revert it and open a request PR; if it came through an approved PR, make that PR's evidence available (`--evidence DIR`, or a token for the API).",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [no-approval-record] the ledger's merges of this path are not the commit 3f9c2a1b4d5e that introduced its current content, and no evidence for that commit was found
"#,
}
"record-not-introducing-merge" {
    "The approval record (or evidence) found for a request file names a merge commit that is not the first-parent commit of the default branch that introduced the file's current content: for example a PR merged into a side branch that later reached the default branch through another PR, or a request deleted and pushed back.",
    "An approval binds the merge that put the approved content on the default branch. A merge elsewhere was decided against another branch's policy, and content that came back later was never approved, so neither grants (DESIGN 10.4).",
    "Request the access again in a new PR into the default branch, with a new request id. If the file came back by a direct push or a side branch, revert that.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [record-not-introducing-merge] the approval of PR #9 is bound to merge 4444aaaa5555, but the file's current content on the default branch came from commit 7777bbbb8888
"#,
}
"record-blob-mismatch" {
    "The request file on the default branch is not the git blob its approval record bound: the approved PR's head had other bytes at that path than the default branch has now.",
    "What was approved is the exact file at the PR's head. A different file, however small the difference (a longer duration, another account), was never approved, so it is not granted.",
    "Revert the change to the request file. To change a request, revoke it and file a new one through a PR.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [record-blob-mismatch] PR #12 approved blob 8d2f0c7e1a3b, but the file on the default branch is blob 5e6f7a8b9c0d
"#,
}
"ledger-unreadable" {
    "The ledger branch has lines that are not valid events (a truncated write, a bad merge of `events/*.jsonl`, a hand edit). Every request is blocked for new grants until the lines are repaired; grants already active are kept and end at their time, and `plan`/`apply` exit 2 (cannot decide) with the line on stderr.",
    "Any unreadable line may be the `revoked` event of a request. Granting while it cannot be read could hand back access that was revoked, so gitgrant grants nothing new (DESIGN 10.5: revocation is final).",
    "Find the line the message names (`git show gitgrant-ledger:events/YYYY-MM.jsonl`), restore it from the ledger's history (`git log -p gitgrant-ledger`) or remove the damage in a reviewed commit to the ledger branch, then run the reconciler again.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [ledger-unreadable] the ledger has 1 unreadable line(s), the first at `events/2026-11.jsonl:12` (invalid type: string "23", expected u64); one may be a revocation, so nothing new is granted until it is repaired
"#,
}
"record-retargeted" {
    "Today's policy would resolve an approved request to another account id or another Identity Center user than its approval record names: an account was renamed in `policies/directory.toml`, or a login re-mapped in `policies/identities.toml`, after the approval.",
    "The approvers approved access for one user on one account id. A rename must never move that grant to another account or person; the current policy may only narrow what was approved, never retarget it (DESIGN 10.4).",
    "If the rename was intended, revoke the request and file a new one against the new names. If it was not, restore the directory or identities entry.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [record-retargeted] PR #12 approved account 111122223333, but the request's account now names 444455556666 in `policies/directory.toml`: renames never retarget a grant
"#,
}
"record-disagrees-with-evidence" {
    "A `merged` ledger event's approval record names a path, blob, account id, permission set, user, requester, window, PR, base, head, merge commit or merge time other than the record that its own replay snapshot, re-verified, makes.",
    "The gate builds the record from the same evidence, so a disagreement means the ledger line was written or edited by something other than the gate. The reconciler grants only what the evidence proves, never what a record merely claims (DESIGN 10.4).",
    "Find out who wrote the ledger commit (`git log -p gitgrant-ledger`) and protect the ledger branch. Re-run `gitgrant pr --ledger` for the PR to write a true record, or file a new request.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [record-disagrees-with-evidence] the ledger's record of PR #12 says end 2026-12-22T15:00:00+00:00, but its evidence proves 2026-11-22T15:00:00+00:00
"#,
}
"evidence-unreadable" {
    "The approval evidence of a request exists but cannot be used: the ledger's evidence is not a replay snapshot, the snapshot is missing fields (such as `merged_at`), or the PR's base or head commit cannot be read from the repository.",
    "The reconciler re-decides every grant from its evidence; evidence it cannot read proves nothing, so the request is not granted.",
    "Fetch the PR's base and head commits into the clone the reconciler runs in; repair or re-record the snapshot (`gitgrant pr --record FILE`) if the message says a field is missing.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [evidence-unreadable] snapshot field `pull_request/merged_at` is missing or not a string
"#,
}
"evidence-not-merged" {
    "The pull request found as evidence for a request file was not merged (its snapshot says `merged: false`), for example a closed PR that added the same path, or a snapshot recorded before the merge.",
    "Only a merged PR put the file on the default branch with its approval; an unmerged one says nothing about how the file got there.",
    "Provide the evidence of the PR that did merge the file (re-record it after the merge), or revert the file if it was not merged through a PR.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [evidence-not-merged] pull request #412 was not merged
"#,
}
"merge-not-on-default-branch" {
    "The merge commit of the PR in the evidence is not on the default branch (the PR was merged into another branch), or the PR has no merge commit at all.",
    "Only PRs into the default branch are decided against its policy; a PR merged into a side branch could have been approved under a different policy.",
    "Open the request as a PR into the default branch.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [merge-not-on-default-branch] merge commit 8d1f3b2 of #412 is not on the default branch
"#,
}
"file-changed-after-approval" {
    "The request file on the default branch is not byte-identical to the file at the head commit that was approved (it was edited after the merge), or that head commit's file cannot be read.",
    "A grant is bound to what was approved; a file changed after approval asks for something nobody approved.",
    "Revert the edit on the default branch, or revoke the request and file a new one with a new id.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [file-changed-after-approval] the file on the default branch differs from the one approved in #412 (head 77c02f9)
"#,
}
"evidence-for-other-pr" {
    "The history of the default branch says one pull request added the request file, but the evidence (the ledger's merge record) is for another one.",
    "Evidence counts only for the merge that put the file on the default branch; another PR's approval says nothing about this file.",
    "Record the evidence of the PR that added the file; if the ledger's record is wrong, investigate how it was written before granting anything.",
    r#"
mismatch requests/payments-prod/AdministratorAccess/inc-4821.toml: [evidence-for-other-pr] the evidence is for PR #412, but PR #415 added this file
"#,
}
"head-commit-missing" {
    "The head commit of the PR in the evidence is not in this clone, so the file that was approved cannot be compared with the one on the default branch.",
    "Without the approved bytes nobody can tell whether the file was changed after approval; gitgrant does not grant on evidence it cannot check.",
    "Fetch the PR's head (`git fetch origin refs/pull/N/head`) or check out with full history, and run again.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [head-commit-missing] head commit 77c02f9 of PR #412 is not in the repository (fetch `refs/pull/412/head`)
"#,
}
"file-not-in-pr" {
    "The pull request named as evidence does not add this request file: its file list has no `added` entry for the path.",
    "An approval covers only the files of its own PR; evidence borrowed from a PR that added something else grants nothing.",
    "Provide the evidence of the PR that added this file, or revert the file if no PR added it.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [file-not-in-pr] pull request #412 does not add this file
"#,
}
"base-commit-missing" {
    "The base commit of the PR in the evidence is not in this clone, so its policy, the one the PR was decided against, cannot be read.",
    "The re-decision must use the policy the PR was reviewed under; guessing it from another commit could approve what was refused.",
    "Fetch the base commit (full history, or `git fetch origin SHA`) and run again.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [base-commit-missing] base commit 5e0a1c4 of PR #412 is not in the repository
"#,
}
"not-approved" {
    "Re-deciding the merged PR as the gate would have, against the policy of its base commit and at the time it merged, does not give `approved`. The gate's own reasons follow it, or the PR in the evidence does not add this file.",
    "A red or missing check can be merged past, and a green check can be faked; the reconciler trusts only its own re-decision.",
    "Read the reasons that follow: the request needs a new PR that the gate approves (with a new id).",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [not-approved] re-deciding #412 gives `pending`
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [approval-stale] `carol` approved commit 4b8e7a1, not the current head 77c02f9
"#,
}
"path-revoked" {
    "A request file is on the default branch at a path that the ledger has a `revoked` event for (a `/revoke` comment, a PR that deleted it, or a deletion the reconciler saw), or that was deleted from the default branch before. Whatever content came back at the path, and whatever approval evidence it has, it is not granted.",
    "Revocation is final (DESIGN 10.5): if a deleted request could be pushed back, a revoked grant could be brought back on the old PR's approval without anyone approving again.",
    "File a new request with a new id through a PR (`gitgrant request`); delete the file that came back.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [path-revoked] `requests/payments-prod/AdministratorAccess/inc-4821.toml` was deleted from the default branch in commit 3f2a9c1e0b7d; a path once used is never granted again: file a new request with a new id
"#,
}
"no-longer-eligible" {
    "The current policy on the default branch no longer allows a merged request (a rule was removed, the requester left a team or group, a maximum was lowered); the eligibility reasons follow it. As a removal reason it ends an assignment gitgrant made whose requests are neither expired nor revoked but no longer wanted.",
    "Approval was given under the policy of its time; the current policy may only narrow what is granted, so access it no longer allows is not granted, and is removed if active.",
    "If the access is still needed, ask the policy owners to allow it again, then file a new request.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [no-longer-eligible] the current policy no longer allows this request
delete AdministratorAccess on 111122223333 (payments-prod) for alice@acme.example (no-longer-eligible)
"#,
}
"membership-unreadable" {
    "The reconciler reads the GitHub team and Identity Center group memberships a request in its window depends on live (the GitHub API's team members, the Identity Store's `IsMemberInGroups`), and one of those reads failed. Nothing is created for the request; an assignment gitgrant already made for it is kept and reported under `kept` (DESIGN 10.4).",
    "A membership that cannot be read is neither \"a member\" nor \"not a member\": granting on it would grant on a guess, and removing on it would let an API outage or a token without Members: read revoke everyone's access.",
    "Fix the read: give the reconciler's GitHub token Members: read (a GitHub App installation token), or the reconciler's AWS role identitystore:ListUsers, GetUserId, GetGroupId and IsMemberInGroups; the next run decides the request.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [membership-unreadable] eligibility depends on membership of @acme/platform-oncall which could not be read: GET /orgs/acme/teams/platform-oncall/members: 502 Bad Gateway
kept requests/payments-prod/AdministratorAccess/inc-4821.toml: its active assignment stays until membership can be read
"#,
}
"no-rule-covers-target" {
    "No eligibility rule of the current policy covers this account and permission set at all. The reconciler shows it after `no-longer-eligible`; `gitgrant check` reports the same situation as `requester-not-eligible`.",
    "Access nobody's rule covers any more is not granted.",
    "Ask the policy owners to add a rule covering the account and permission set, then file a new request.",
    r#"
blocked requests/payments-prod/DatabaseAdmin/inc-4821.toml: [no-rule-covers-target] no eligibility rule covers permission set `DatabaseAdmin` on account `111122223333`
"#,
}
"management-account" {
    "The request is for the organization's management account (`management_account` in policies/directory.toml, written by `gitgrant directory sync`), and none of the rules covering it says `allow_management_account = true`. The gate refuses it and the reconciler never grants it.",
    "The management account controls the whole organization (Organizations, SCPs, billing) and is not subject to its service control policies; a rule written for an OU or `ous = [\"Root\"]` should not reach it by accident.",
    "If access to the management account is intended, add a rule that names it and says `allow_management_account = true`, reviewed like any policy change; otherwise request an account the rules are meant for.",
    r#"
blocked requests/acme-management/AdministratorAccess/inc-4821.toml: [management-account] account `999988887777` is the organization's management account; rule(s) platform-admin cover it but none says `allow_management_account = true`
"#,
}
"user-not-found" {
    "The requester's Identity Center user name (from policies/identities.toml) finds no user in the identity store when the reconciler is about to grant.",
    "An assignment is made to a user id; with no such user there is nobody to assign to.",
    "Correct the user name in policies/identities.toml, or create the user in Identity Center.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [user-not-found] Identity Center has no user `alice@acme.example`
"#,
}
"permission-set-not-found" {
    "The request's permission set is not among the managed permission sets Identity Center has now (it was deleted or renamed since the directory snapshot).",
    "Assignments name a permission set ARN; one that Identity Center does not have cannot be assigned.",
    "Recreate the permission set, or run `gitgrant directory sync` and update the policy if it was renamed.",
    r#"
blocked requests/payments-prod/AdministratorAccess/inc-4821.toml: [permission-set-not-found] Identity Center has no permission set `AdministratorAccess`
"#,
}
"ambiguous-ref" {
    "The name given for the default branch (`--ref`, `--base`) is a short name that git could read as more than one ref: a tag and a branch of that name (a pushed tag `origin/main` beside the remote branch `refs/remotes/origin/main`), or a local and a remote-tracking branch at different commits. `plan`, `apply`, `audit`, `status`, `request` and `revoke` stop with exit 2 before reading anything.",
    "git's own short-name search reads `refs/tags/<name>` before `refs/remotes/<name>`, so anyone who can push a tag could otherwise supply the policy, the directory and the request set the reconciler grants from (DESIGN 10.1).",
    "Pass the full ref of the default branch (`--ref refs/remotes/origin/main` or `refs/heads/main`) or a commit id, check out with `fetch-tags: false`, and delete the tag if nobody meant to push it (`git push origin :refs/tags/origin/main`).",
    r#"
gitgrant: error: [ambiguous-ref] `origin/main` names more than one ref: refs/remotes/origin/main (4b8e7a1) and refs/tags/origin/main (77c02f9); pass the full ref of the default branch (e.g. `refs/remotes/origin/main`) or a commit id
"#,
}
// ---- removals
"expired" {
    "An assignment gitgrant made is deleted because its recorded end, the latest end of the requests behind it, has passed. Overlapping requests for the same user, account and permission set add up: it ends only when the last one ends.",
    "Access is just-in-time: it lasts for the approved window and no longer. Expired grants are removed even when the desired state cannot be read.",
    "Nothing to fix. For more time, file a new request.",
    r#"
delete AdministratorAccess on 111122223333 (payments-prod) for alice@acme.example (expired)
"#,
}
"revoked" {
    "An assignment gitgrant made is deleted because a request behind it was revoked in the ledger (a `/revoke` comment, or a PR deleting the file), or because every request behind it is gone from the default branch before its end.",
    "Ending access never waits: a revocation is final, and a revoked path is never granted again.",
    "Nothing to fix. To get access again, file a new request with a new id.",
    r#"
delete AdministratorAccess on 111122223333 (payments-prod) for alice@acme.example (revoked)
"#,
}
"drift" {
    "Identity Center has a user assignment of a managed permission set that gitgrant did not make (it is not in the ledger): it was assigned by hand. It is reported; it is deleted only with `remove_drift = true` and when the desired state could be read.",
    "Managed permission sets are meant to be granted only through reviewed requests; an assignment made around gitgrant is access nobody approved here.",
    "Remove the assignment by hand, set `remove_drift = true` to let the reconciler remove such assignments, or stop managing that permission set if permanent assignments are intended.",
    r#"
drift  AdministratorAccess on 111122223333 (payments-prod) for 9067c2f8-4001-70c1-1b2d-6e3f5a7c9d01: assigned by hand, not through gitgrant
"#,
}
}
