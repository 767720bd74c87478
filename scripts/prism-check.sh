#!/usr/bin/env bash
# Validates the requests the GitHub adapter sends against GitHub's official OpenAPI
# description: Prism (npm @stoplight/prism-cli) serves the description (npm @octokit/openapi),
# cut down with jq to the paths gitgrant uses so that it starts in seconds, and refuses any
# request that does not match it; the ignored test `github_prism` drives every adapter call
# through it. Needs node/npm, jq and the Rust toolchain. Versions are pinned in
# tests/prism/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

work=target/prism
mkdir -p "$work"
cp tests/prism/package.json tests/prism/package-lock.json "$work/"
(cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)

# The operations the adapter uses (src/adapters/github/mod.rs), without response headers: the
# examples' Link headers point at https://api.github.com/resource?page=2, which the adapter
# rightly refuses to follow off the API host.
jq '{openapi, info, servers,
     paths: (.paths
       | with_entries(select(.key as $k | [
           "/repos/{owner}/{repo}/pulls/{pull_number}",
           "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
           "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
           "/repos/{owner}/{repo}/pulls/{pull_number}/files",
           "/orgs/{org}/teams/{team_slug}/members",
           "/repos/{owner}/{repo}/issues/{issue_number}/comments",
           "/repos/{owner}/{repo}/issues/comments/{comment_id}",
           "/repos/{owner}/{repo}/check-runs",
           "/repos/{owner}/{repo}/statuses/{sha}",
           "/repos/{owner}/{repo}/commits/{commit_sha}/pulls",
           "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
           "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"] | index($k)))
       | map_values(with_entries(select(.key | IN("get", "post", "patch", "put", "parameters")))))}
    | del(.paths[][].responses?[]?.headers)' \
  "$work/node_modules/@octokit/openapi/generated/api.github.com.deref.json" >"$work/github.json"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$work/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$port" "$work/github.json" >"$work/prism.log" 2>&1 &
prism=$!
trap 'kill "$prism" 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  if grep -q "Prism is listening" "$work/prism.log"; then break; fi
  if ! kill -0 "$prism" 2>/dev/null; then cat "$work/prism.log"; exit 1; fi
  sleep 0.5
done
grep -q "Prism is listening" "$work/prism.log" || { echo "prism did not start"; cat "$work/prism.log"; exit 1; }

GITGRANT_PRISM_URL="http://127.0.0.1:$port" \
  cargo test --locked --test cli github_prism -- --ignored
