# Sourced by scripts/demo.sh and scripts/getting-started.sh: a work folder and moto (from
# .venv) on a free loopback port, the AWS environment pointed at it, GitHub's unset, git
# isolated from the user's configuration; both stop when the script exits. Sets `work`.
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; wait "$moto" 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 100); do curl -s "$AWS_ENDPOINT_URL" >/dev/null 2>&1 && break; sleep 0.1; done
unset GITHUB_TOKEN GH_TOKEN GITHUB_REPOSITORY GITHUB_EVENT_NAME GITHUB_EVENT_PATH
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
as() { GIT_AUTHOR_NAME=$1 GIT_AUTHOR_EMAIL=$1@users.noreply.github.com GIT_COMMITTER_NAME=$1 GIT_COMMITTER_EMAIL=$1@users.noreply.github.com "${@:2}"; }
