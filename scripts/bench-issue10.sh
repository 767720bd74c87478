#!/usr/bin/env bash
# Reproduces issue 10's benchmark table (docs/benchmarks.md, "Issue 10: the closing table"):
# each measure 5 times with the release build, printing the median, min-max and peak memory.
# Not a test. Needs python3, git, /usr/bin/time, and the venv of scripts/test.sh (moto).
#
#   bash scripts/bench-issue10.sh [WORK_DIR]      # default /tmp/gg-bench; ~15 min cold
#
# Repositories (generated once into WORK_DIR, kept between runs):
#   big   20,000 live requests, 20,001 commits, 100,000 ledger events, 200 of the requests in
#         their window at 2026-12-21T00:00:00Z (--live-now 200) with evidence that verifies
#   hist  the 50,000-commit repository of the PR benchmark
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/gg-bench}
runs=${RUNS:-5}
bin=$here/target/release/gitgrant
venv=${GITGRANT_VENV:-$here/.venv}
mkdir -p "$work"
(cd "$here" && cargo build --release --locked -q)

gen() { # gen NAME ARGS...: generate WORK/NAME once
  local name=$1; shift
  [[ -d $work/$name/.git ]] || python3 "$here/scripts/gen-large-repo.py" "$work/$name" "$@" >&2
}

# measure LABEL CMD...: runs CMD $runs times (PREP, when set, before each, untimed), prints
# "| LABEL | median wall | min-max wall | median CPU (user+sys: gitgrant's own time, AWS and
# moto excluded) | peak MiB |"
measure() {
  local label=$1; shift
  local times=() cpus=() peak=0 t kb u s
  for _ in $(seq "$runs"); do
    if [[ -n ${PREP:-} ]]; then eval "$PREP"; fi
    /usr/bin/time -f '%e %M %U %S' -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
      echo "$label: exit $? ($(tail -2 "$work/stderr.txt"))" >&2; }
    read -r t kb u s < <(tail -1 "$work/time.txt")
    times+=("$t"); cpus+=("$(awk -v a="$u" -v b="$s" 'BEGIN { print a + b }')")
    if (( kb > peak )); then peak=$kb; fi
  done
  local cpu
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR+1)/2)] }')
  printf '%s\n' "${times[@]}" | sort -g | awk -v l="$label" -v p="$peak" -v c="$cpu" '
    { v[NR] = $1 } END { printf "| %s | %.2f s | %.2f-%.2f s | %s s | %d MiB |\n", l, v[int((NR+1)/2)], v[1], v[NR], c, p/1024 }'
}

# ONLY="gate plan" runs only those sections (index check audit gate plan)
want() { [[ " ${ONLY:-index check audit gate plan} " == *" $1 "* ]]; }

gen big --commits 20001 --ledger-events 100000 --live-now 200
gen hist --commits 50000

echo "| measure | median of $runs (wall) | min-max | CPU, median | peak |"
echo "|---|---|---|---|---|"

# the one-off: the ledger index from scratch (`--rebuild`: the one full walk), kept for the
# measures below
if want index; then
  runs_saved=$runs; runs=${INDEX_RUNS:-1}
  measure "ledger index from scratch, 50,000 commits" "$bin" ledger index --rebuild --repo "$work/hist" --ref refs/heads/main
  measure "ledger index from scratch, 20,001 commits" "$bin" ledger index --rebuild --repo "$work/big" --ref refs/heads/main
  runs=$runs_saved
fi

# check on 20,000 requests
want check && measure "check, 20,000 requests" "$bin" check --repo "$work/big" --at 2026-11-22T12:00:00Z

# audit cold: nothing kept in .git/gitgrant
want audit && PREP="rm -rf $work/big/.git/gitgrant" \
  measure "audit cold (json)" "$bin" audit --repo "$work/big" --format json --at 2026-11-22T12:00:00Z

# the gate on a depth-1 clone of the 50,000-commit repository plus the PR head and the ledger tip
hist=$work/hist
if want gate; then
if ! git -C "$hist" rev-parse -q --verify refs/heads/bench-pr >/dev/null; then
  f=$(git -C "$hist" ls-files requests | awk 'NR == 1')
  git -C "$hist" checkout -q -b bench-pr main
  cp "$hist/$f" "$hist/$(dirname "$f")/bench-new-request.toml"
  git -C "$hist" add -A && git -C "$hist" -c user.name=b -c user.email=b@acme.example commit -q -m bench
  git -C "$hist" checkout -q main
fi
python3 - "$hist" "$work/snap.json" <<'PY'
import json, subprocess, sys
repo, out = sys.argv[1], sys.argv[2]
g = lambda *a: subprocess.check_output(["git", "-C", repo, *a], text=True).strip()
base, head = g("rev-parse", "main"), g("rev-parse", "bench-pr")
path = g("diff", "--name-only", base, head)
requester = [l.split('"')[1] for l in g("show", f"{head}:{path}").splitlines() if l.startswith("requester")][0]
user = lambda l: {"login": l, "id": 1, "type": "User"}
email = f"{requester}@users.noreply.github.com"
json.dump({
  "pull_request": {"number": 90001, "state": "open", "user": user(requester), "created_at": "2026-11-22T11:00:00Z",
                   "head": {"sha": head, "ref": "bench-pr"}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}},
                   "merged": False, "merge_commit_sha": None, "draft": False},
  "commits": [{"sha": head, "commit": {"author": {"email": email}, "committer": {"email": email}, "message": "bench"},
               "author": user(requester), "committer": user(requester)}],
  "reviews": [], "files": [{"filename": path, "status": "added"}], "teams": {}}, open(out, "w"))
PY
PREP="rm -rf $work/gate && git clone -q --depth 1 --single-branch --branch main file://$hist $work/gate \
  && git -C $work/gate fetch -q --depth=1 --no-tags origin +refs/heads/bench-pr:refs/gitgrant/pr-head \
  && git -C $work/gate fetch -q --depth=1 --no-tags origin +refs/heads/gitgrant-ledger:refs/remotes/origin/gitgrant-ledger" \
  measure "gate decision, depth-1 clone + PR head + ledger tip, 50,000 commits" \
  "$bin" pr --repo "$work/gate" --snapshot "$work/snap.json" --at 2026-11-22T12:00:00Z --format json --ledger
fi
want plan || exit 0

# plan against moto: nothing live, and 200 live grants whose evidence verifies
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:$port
for _ in $(seq 50); do curl -fsS "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1 && break; sleep 0.2; done
instance=$("$venv/bin/python" "$here/scripts/bench-moto-seed.py" "$work/big" | tail -1 | grep -o 'arn:aws:sso:::instance/[A-Za-z0-9-]*')
measure "plan, nothing live (--at 2027-06-01)" \
  "$bin" plan --repo "$work/big" --ref refs/heads/main --at 2027-06-01T00:00:00Z --instance-arn "$instance" --format json
measure "plan, 200 live grants whose evidence verifies (moto)" \
  "$bin" plan --repo "$work/big" --ref refs/heads/main --at 2026-12-21T00:00:00Z --instance-arn "$instance" --format json
# the same, without the limiter's waits (moto answers as fast as it can)
measure "plan, 200 live grants, --aws-calls-per-second 1000 (moto)" \
  "$bin" plan --repo "$work/big" --ref refs/heads/main --at 2026-12-21T00:00:00Z --instance-arn "$instance" \
  --aws-calls-per-second 1000 --format json

# the steady state: a copy of the repository where one apply granted the 200 (and stored
# their verdicts), against moto reset and seeded again; the next run five minutes later
rm -rf "$work/applied" && cp -a "$work/big" "$work/applied"
curl -fsS -X POST "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null
instance2=$("$venv/bin/python" "$here/scripts/bench-moto-seed.py" "$work/applied" | tail -1 | grep -o 'arn:aws:sso:::instance/[A-Za-z0-9-]*')
"$bin" apply --repo "$work/applied" --ref refs/heads/main --at 2026-12-21T00:00:00Z --instance-arn "$instance2" \
  --aws-calls-per-second 1000 >/dev/null
measure "plan, 200 live grants already granted and verified, --aws-calls-per-second 1000 (moto)" \
  "$bin" plan --repo "$work/applied" --ref refs/heads/main --at 2026-12-21T00:05:00Z --instance-arn "$instance2" \
  --aws-calls-per-second 1000 --format json
