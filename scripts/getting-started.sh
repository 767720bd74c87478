#!/usr/bin/env bash
# docs/getting-started.md, part 2, as one script: from `gitgrant init` to a first grant on
# one machine, with a bare git repository as origin and moto as AWS. Every command is the
# guide's; scripts/test.sh runs it, so the guide stays true. Prints the time it took.
# Run: bash scripts/getting-started.sh   (needs .venv with moto: scripts/test.sh makes it)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)
cargo build --quiet --locked
gitgrant() { "$root/target/debug/gitgrant" "$@"; }
[[ -x .venv/bin/moto_server ]] || { echo "no moto in .venv: run scripts/test.sh first" >&2; exit 2; }

# shellcheck source=scripts/emulated-aws.sh
source scripts/emulated-aws.sh

echo "== an organization in the emulator: two accounts, two permission sets, three users"
mkdir -p "$work/org/policies"
cat >"$work/org/policies/directory.toml" <<'TOML'
[[ou]]
path = "Workloads"
[[ou]]
path = "Workloads/Prod"
[[ou]]
path = "Workloads/Dev"
[[account]]
name = "shop-prod"
ou = "Workloads/Prod"
[[account]]
name = "shop-dev"
ou = "Workloads/Dev"
[[permission_set]]
name = "AdministratorAccess"
[[permission_set]]
name = "ReadOnlyAccess"
[[group]]
name = "Engineers"
members = ["alice@walk.example", "bob@walk.example"]
TOML
printf '[users]\nalice = "alice@walk.example"\nbob = "bob@walk.example"\ncarol = "carol@walk.example"\n' \
  >"$work/org/policies/identities.toml"
.venv/bin/python scripts/demo_seed.py "$work/org" "$work/org/unused.toml" >/dev/null

echo "== 1. init, in a clone of the (bare) origin"
cd "$work"
git init -q --bare -b main origin.git
git clone -q origin.git access 2>/dev/null
gitgrant init access --action-ref walkco/gitgrant@0123456789abcdef0123456789abcdef01234567 | tail -n 5
cd access

echo "== 2. the directory from AWS, then who may ask for what and who approves"
gitgrant directory sync
python3 - <<'PY'
import re
def edit(path, *pairs):
    text = open(path).read()
    for old, new in pairs:
        assert old in text, (path, old)
        text = text.replace(old, new)
    open(path, "w").write(text)
edit("policies/access.toml",
     ('principals = ["@example-org/oncall"]', 'principals = ["idc-group:Engineers"]'),
     ('principals = ["@example-org/engineering", "idc-group:Engineers"]', 'principals = ["idc-group:Engineers"]'))
edit("policies/identities.toml",
     ('user_name_template = "{login}@example.org"', 'user_name_template = "{login}@walk.example"'))
edit(".github/CODEOWNERS",
     ("/requests/example-prod/ @example-org/prod-approvers", "/requests/shop-prod/ @bob @carol"),
     ("/requests/ @example-org/security-admins", "/requests/ @bob @carol"))
text = open(".github/CODEOWNERS").read().replace("@example-org/security-admins", "@carol")
open(".github/CODEOWNERS", "w").write(text)
edit("scenarios/example-auto-approved.toml", *[(a, b) for a, b in [("example-dev", "shop-dev"), ("octocat", "alice")]])
PY
gitgrant check | tail -n 1
gitgrant test | tail -n 1
git checkout -q -b main
as admin git add -A && as admin git commit -q -m "access repository" && as admin git push -q origin main

echo "== 3. alice asks for AdministratorAccess on shop-prod"
as alice gitgrant request --requester alice --account shop-prod --permission-set AdministratorAccess \
  --duration 2h --reason "Fix the stuck checkout queue" --ticket INC-1 --id first-grant --no-push
git push -q origin gitgrant/first-grant
base=$(git rev-parse main) head=$(git rev-parse gitgrant/first-grant)
file=requests/shop-prod/AdministratorAccess/first-grant.toml
created=$(date -u -d '-10 min' +%FT%TZ)   # the PR was opened 10 minutes ago; reviews follow a minute apart

echo "== 4. the gate, offline: one approval is pending, two approve"
snap() { python3 "$root/scripts/replay-snapshot.py" --number 1 --author alice --base "$base" --head "$head" --file "$file" --created-at "$created" "$@"; }
snap --approve bob >"$work/pr-1.json"
if gitgrant pr --snapshot "$work/pr-1.json" >"$work/pr-1.out"; then echo "one approval must not approve" >&2; exit 1; fi
grep -m1 "pending" "$work/pr-1.out"
snap --approve bob --approve carol >"$work/pr-2.json"
gitgrant pr --snapshot "$work/pr-2.json" --ledger | grep -m1 "approved"

echo "== 5. merged; the merge is recorded, with the snapshot as its evidence"
as web-flow git merge -q --no-ff -m "Merge pull request #1 from alice/first-grant" gitgrant/first-grant
as admin git push -q origin main
snap --approve bob --approve carol --merged "$(git rev-parse main)" --merged-at "$(date -u +%FT%TZ)" >"$work/pr-3.json"
gitgrant pr --snapshot "$work/pr-3.json" --ledger >"$work/pr-3.out" || { cat "$work/pr-3.out"; exit 1; }

echo "== 6. the reconciler grants it"
gitgrant apply | tail -n 2
gitgrant status | grep -A1 "^Active"
gitgrant audit --verify >/dev/null
"$root/.venv/bin/python" - <<'PY'
import boto3, os
sso = boto3.client("sso-admin", region_name=os.environ["AWS_REGION"])
ids = boto3.client("identitystore", region_name=os.environ["AWS_REGION"])
orgs = boto3.client("organizations", region_name=os.environ["AWS_REGION"])
inst = sso.list_instances()["Instances"][0]
prod = [a["Id"] for a in orgs.list_accounts()["Accounts"] if a["Name"] == "shop-prod"][0]
held = []
for ps in sso.list_permission_sets(InstanceArn=inst["InstanceArn"])["PermissionSets"]:
    for a in sso.list_account_assignments(InstanceArn=inst["InstanceArn"], AccountId=prod, PermissionSetArn=ps)["AccountAssignments"]:
        held.append(ids.describe_user(IdentityStoreId=inst["IdentityStoreId"], UserId=a["PrincipalId"])["UserName"])
assert held == ["alice@walk.example"], held
print("Identity Center: alice@walk.example holds AdministratorAccess on shop-prod")
PY
echo "getting-started: from init to a first grant in $(( $(date +%s) - started )) s"
