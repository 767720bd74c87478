#!/usr/bin/env bash
# The whole lifecycle on one machine, with real parts: an AWS API emulator (moto) seeded
# with the example organization, a temporary access repository with a bare `origin`, a
# request filed, approved (through a replay snapshot), merged, granted at its start, shown
# in the emulated Identity Center, ended at its end, and the audit log printed.
# Run: bash scripts/demo.sh   (installs what it needs: a Python venv with moto)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "building gitgrant and installing the AWS emulator (moto) into .venv"
cargo build --quiet --locked
gitgrant=$root/target/debug/gitgrant
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check 'moto[server]==5.2.5'

# shellcheck source=scripts/emulated-aws.sh
source scripts/emulated-aws.sh

say "seeding the emulated organization (OUs, 8 accounts, permission sets, users, groups) from policies/"
git init -q --bare -b main "$work/origin.git"
git clone -q "$work/origin.git" "$work/access" 2>/dev/null
cd "$work/access"
git checkout -q -b main
cp -r "$root/policies" "$root/schemas" . && mkdir -p .github && cp "$root/.github/CODEOWNERS" .github/
"$root/.venv/bin/python" "$root/scripts/demo_seed.py" "$root" policies/directory.toml
as admin git add -A && as admin git commit -q -m "access repository" && as admin git push -q origin main
"$gitgrant" check --at 2026-11-22T12:00:00Z | tail -n 1

say "alice asks for AdministratorAccess on payments-prod, 13:00 to 15:00"
as alice "$gitgrant" request --requester alice --account payments-prod --permission-set AdministratorAccess \
  --duration 2h --start 2026-11-22T13:00:00Z --reason "Roll back the failed deploy of payments-api" \
  --ticket INC-4821 --id inc-4821-rollback --no-push --at 2026-11-22T11:00:00Z
base=$(git rev-parse main)
head=$(git rev-parse gitgrant/inc-4821-rollback)
file=requests/payments-prod/AdministratorAccess/inc-4821-rollback.toml
git show "gitgrant/inc-4821-rollback:$file"

say "the PR gate with one approval: pending (prod admin needs two code owners)"
snapshot() { # state merged merge_commit reviews...
  python3 - "$@" <<'PY'
import json, sys
state, merged, merge, base, head, path, *reviewers = sys.argv[1:]
u = lambda l: {"login": l, "id": 1, "type": "User"}
print(json.dumps({
  "pull_request": {"number": 1, "state": state, "merged": merged == "true", "merged_at": "2026-11-22T11:45:00Z" if merged == "true" else None,
                   "merge_commit_sha": merge or None, "user": u("alice"), "created_at": "2026-11-22T11:00:00Z",
                   "head": {"sha": head}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}}},
  "commits": [{"sha": head, "commit": {"author": {"email": "alice@users.noreply.github.com"}, "committer": {"email": "alice@users.noreply.github.com"}, "message": "request"},
               "author": u("alice"), "committer": u("alice")}],
  "reviews": [{"id": i + 1, "user": u(r), "body": "Checked INC-4821; approved for the rollback.", "state": "APPROVED", "commit_id": head,
               "submitted_at": "2026-11-22T11:3%d:00Z" % i} for i, r in enumerate(reviewers)],
  "files": [{"filename": path, "status": "added"}],
  "teams": {"acme/platform-leads": ["dan", "heidi"], "acme/platform-oncall": []}}))
PY
}
snapshot open false "" "$base" "$head" "$file" dan >"$work/pr-1.json"
"$gitgrant" pr --snapshot "$work/pr-1.json" --at 2026-11-22T11:40:00Z || true

say "a second code owner approves: approved; the decision is recorded in the ledger"
snapshot open false "" "$base" "$head" "$file" dan heidi >"$work/pr-2.json"
"$gitgrant" pr --snapshot "$work/pr-2.json" --at 2026-11-22T11:41:00Z --ledger

say "merged; the merge is recorded with the snapshot as approval evidence"
# the merge happens at 11:45 in this story (audit --at below ignores later commits)
GIT_AUTHOR_DATE=2026-11-22T11:45:00Z GIT_COMMITTER_DATE=2026-11-22T11:45:00Z \
  as web-flow git merge -q --no-ff -m "Merge pull request #1 from alice/inc-4821-rollback" gitgrant/inc-4821-rollback
as admin git push -q origin main
snapshot closed true "$(git rev-parse main)" "$base" "$head" "$file" dan heidi >"$work/pr-3.json"
"$gitgrant" pr --snapshot "$work/pr-3.json" --at 2026-11-22T11:46:00Z --ledger

assignments() {
  "$root/.venv/bin/python" - <<'PY'
import boto3, os
sso = boto3.client("sso-admin", region_name=os.environ["AWS_REGION"])
ids = boto3.client("identitystore", region_name=os.environ["AWS_REGION"])
orgs = boto3.client("organizations", region_name=os.environ["AWS_REGION"])
inst = sso.list_instances()["Instances"][0]
names = {a["Id"]: a["Name"] for a in orgs.list_accounts()["Accounts"]}
found = 0
for ps in sso.list_permission_sets(InstanceArn=inst["InstanceArn"])["PermissionSets"]:
    ps_name = sso.describe_permission_set(InstanceArn=inst["InstanceArn"], PermissionSetArn=ps)["PermissionSet"]["Name"]
    for acct in names:
        for a in sso.list_account_assignments(InstanceArn=inst["InstanceArn"], AccountId=acct, PermissionSetArn=ps)["AccountAssignments"]:
            user = ids.describe_user(IdentityStoreId=inst["IdentityStoreId"], UserId=a["PrincipalId"])["UserName"]
            print(f"   Identity Center: {user} holds {ps_name} on {names[acct]} ({acct})")
            found += 1
if not found:
    print("   Identity Center: no user assignments")
PY
}

say "12:00, before the window: the reconciler plans nothing yet"
"$gitgrant" apply --at 2026-11-22T12:00:00Z
assignments

say "13:00, the window opens: the reconciler creates the assignment"
"$gitgrant" apply --at 2026-11-22T13:00:00Z
assignments

say "15:00, the window closes: the reconciler deletes it"
"$gitgrant" apply --at 2026-11-22T15:00:00Z
assignments

say "the ledger branch, as plain git log shows it"
git log --format='   %s' gitgrant-ledger

say "gitgrant audit: one row per request, git history joined with the ledger"
"$gitgrant" audit --ref main --at 2026-11-22T16:00:00Z --format table
# the story must audit clean: no row or report problem
"$gitgrant" audit --ref main --at 2026-11-22T16:00:00Z --format json | python3 -c 'import json, sys
v = json.load(sys.stdin)
bad = v["problems"] + [p for r in v["rows"] for p in r["problems"]]
assert not bad, bad'
say "done: the whole lifecycle ran against the emulated AWS and a real git repository"
