//! End-to-end runs of the `gitgrant` binary: exit codes, output formats, init, schema.

use crate::support::{bin, fixtures, repo_with_case};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bundled_example_repository_passes_check() {
    let root = env!("CARGO_MANIFEST_DIR");
    let (code, out, err) = run(&["check", "--repo", root, "--at", "2026-11-22T12:00:00Z"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 error(s), 0 warning(s)"), "{out}");
}

#[test]
fn findings_exit_1_in_every_format() {
    let repo = repo_with_case(Some(&fixtures().join("cases/path-mismatch--account")));
    let dir = repo.path().to_str().unwrap();
    let (code, out, _) = run(&["check", "--repo", dir, "--at", "2026-11-22T12:00:00Z"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("error[path-mismatch]") && out.contains("case.toml:3:11"),
        "{out}"
    );

    let (code, out, _) = run(&[
        "check",
        "--repo",
        dir,
        "--at",
        "2026-11-22T12:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v[0];
    assert_eq!(d["code"], "path-mismatch");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "requests/payments-prod/AdministratorAccess/case.toml");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(3), Some(11)));
    assert!(
        d["help"]
            .as_str()
            .unwrap()
            .contains("requests/data-prod/AdministratorAccess/case.toml")
    );
    assert!(d["message"].is_string());

    let (code, out, _) = run(&[
        "check",
        "--repo",
        dir,
        "--at",
        "2026-11-22T12:00:00Z",
        "--format",
        "github",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("::error file=requests/payments-prod/AdministratorAccess/case.toml,line=3,col=11,title=gitgrant path-mismatch::"),
        "{out}"
    );
    assert!(out.contains("%0Ahelp: "), "help follows on an escaped new line: {out}");
}

#[test]
fn warnings_alone_exit_0() {
    let repo = repo_with_case(Some(&fixtures().join("cases/unprotected-policy-path--no-github-line")));
    let (code, out, _) = run(&[
        "check",
        "--repo",
        repo.path().to_str().unwrap(),
        "--at",
        "2026-11-22T12:00:00Z",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning[unprotected-policy-path]"), "{out}");
}

#[test]
fn operational_failures_exit_2() {
    let (code, _, err) = run(&["check", "--repo", "/nonexistent/gitgrant-repo"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read the repository"), "{err}");
    let (code, _, err) = run(&["check", "--at", "tomorrow"]);
    assert_eq!(code, 2);
    assert!(err.contains("RFC 3339"), "{err}");
    let (code, _, err) = run(&["schema", "policy"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown file kind `policy`"), "{err}");
}

#[test]
fn schema_prints_each_kind() {
    let (code, out, _) = run(&["schema"]);
    assert_eq!(code, 0);
    for kind in ["request", "access", "identities", "directory"] {
        assert!(out.contains(kind));
        let (code, out, _) = run(&["schema", kind]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["type"], "object");
    }
}

#[test]
fn init_writes_a_repository_that_passes_check() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("access");
    let (code, out, err) = run(&["init", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    for f in [
        "policies/access.toml",
        "policies/identities.toml",
        "policies/directory.toml",
        ".github/CODEOWNERS",
        "schemas/request.schema.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    // everything checks, except the workflows' placeholder action reference (no --action-ref)
    let (code, out, _) = run(&["check", "--repo", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("error")).collect();
    assert!(
        !errors.is_empty() && errors.iter().all(|l| l.starts_with("error[action-placeholder]")),
        "{out}"
    );
    assert!(
        out.contains(".github/workflows/gitgrant.yml:"),
        "at the file and line: {out}"
    );
    // its example scenario passes against its policy
    let out = crate::support::bin()
        .args(["test", "--repo", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed, 0 failed"));
    // a second init into the same, now non-empty, directory is refused
    let (code, _, err) = run(&["init", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not empty"), "{err}");
}

#[test]
fn init_writes_into_a_fresh_clone_holding_only_git_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("access");
    let made = std::process::Command::new("git")
        .args(["init", "-q", clone.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(made.success());
    let (code, out, err) = run(&["init", clone.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(clone.join("policies/access.toml").is_file());
    assert!(clone.join(".git/HEAD").is_file(), "the repository is kept");
    // `.git` and anything else is still a directory in use
    let other = tmp.path().join("used");
    std::fs::create_dir_all(other.join(".git")).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let (code, _, err) = run(&["init", other.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(std::fs::read_to_string(other.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn every_code_is_documented_and_explained() {
    let docs =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md")).unwrap();
    for code in gitgrant::core::diag::codes::ALL {
        assert!(
            docs.contains(&format!("### `{code}`")),
            "docs/diagnostics.md lacks `{code}`"
        );
    }
    let (code, out, _) = run(&["explain", "path-mismatch"]);
    assert_eq!(code, 0);
    assert!(out.contains("disagrees with its content"));
    let (code, _, _) = run(&["explain", "no-such-code"]);
    assert_eq!(code, 2);
}

#[test]
fn init_writes_the_action_reference_it_is_given_and_refuses_a_malformed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let pinned = "acme-example/gitgrant@0123456789abcdef0123456789abcdef01234567";
    let dir = tmp.path().join("pinned");
    let (code, out, err) = run(&["init", dir.to_str().unwrap(), "--action-ref", pinned]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("does not exist"), "{out}");
    let mut workflows = 0;
    for e in std::fs::read_dir(dir.join(".github/workflows")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!text.contains("gitgrant/gitgrant@0000000000000000000000000000000000000000"));
        workflows += usize::from(text.contains(&format!("uses: {pinned}")));
    }
    assert!(
        workflows >= 3,
        "every workflow that runs gitgrant uses the given reference"
    );
    let (code, out, _) = run(&["check", "--repo", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "pinned: nothing to report: {out}");

    let placeholder = tmp.path().join("placeholder");
    let (code, out, _) = run(&["init", placeholder.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("gitgrant/gitgrant@0000000000000000000000000000000000000000"),
        "{out}"
    );
    assert!(
        out.contains("--action-ref"),
        "says how to replace the placeholder: {out}"
    );

    for bad in [
        "acme-example/gitgrant@v1.2.3",
        "acme-example/gitgrant@0123456",
        "gitgrant@0123456789abcdef0123456789abcdef01234567",
        "gitgrant/gitgrant@0000000000000000000000000000000000000000",
        "acme example/gitgrant@0123456789abcdef0123456789abcdef01234567",
    ] {
        let dir = tmp.path().join("bad");
        let (code, _, err) = run(&["init", dir.to_str().unwrap(), "--action-ref", bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(err.contains("OWNER/REPO@SHA") && err.contains(bad), "{err}");
        assert!(!dir.exists(), "nothing written for {bad}");
    }
}

#[test]
fn an_unknown_end_sessions_mode_is_an_error_at_its_line_and_the_known_ones_pass() {
    for (mode, ok) in [
        ("on-revoke", true),
        ("at-end", true),
        ("never", true),
        ("sometimes", false),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        crate::support::copy_dir(&crate::support::fixtures().join("base"), &dir);
        let p = dir.join("policies/access.toml");
        let text = std::fs::read_to_string(&p).unwrap();
        let line = text.lines().position(|l| l == "[settings]").unwrap() + 2;
        std::fs::write(
            &p,
            text.replacen("[settings]\n", &format!("[settings]\nend_sessions = \"{mode}\"\n"), 1),
        )
        .unwrap();
        let (code, out, err) = run(&["check", "--repo", dir.to_str().unwrap(), "--at", "2026-11-22T12:00:00Z"]);
        if ok {
            assert_eq!(code, 0, "{mode}: {out}{err}");
        } else {
            assert_eq!(code, 1, "{out}{err}");
            assert!(out.contains(&format!("policies/access.toml:{line}")), "{out}");
            assert!(out.contains("`sometimes` is not a way to end sessions"), "{out}");
            assert!(out.contains("invalid-value"), "{out}");
        }
    }
}

#[test]
fn notify_entries_name_variables_never_urls_and_only_known_events() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    crate::support::copy_dir(&crate::support::fixtures().join("base"), &dir);
    let p = dir.join("policies/access.toml");
    let mut text = std::fs::read_to_string(&p).unwrap();
    let first = text.lines().count() + 2;
    text.push_str(
        "\n[[notify]]\nid = \"slack\"\nkind = \"slack\"\nurl_env = \"https://hooks.slack.com/services/T0/B0/x\"\nsecret_env = \"GITGRANT_KEY\"\nevents = [\"granted\"]\n\
         \n[[notify]]\nid = \"pager\"\nkind = \"pagerduty\"\nurl_env = \"GITGRANT_PAGER\"\n",
    );
    std::fs::write(&p, text).unwrap();
    let (code, out, err) = run(&["check", "--repo", dir.to_str().unwrap(), "--at", "2026-11-22T12:00:00Z"]);
    assert_eq!(code, 1, "{out}{err}");
    for (line, message) in [
        (
            first + 3,
            "`https://hooks.slack.com/services/T0/B0/x` is not an environment variable name",
        ),
        (first + 5, "`granted` is not an event gitgrant announces"),
        (first + 9, "`pagerduty` is not a kind of notification"),
    ] {
        assert!(
            out.contains(&format!("policies/access.toml:{line}")),
            "line {line} for {message}: {out}"
        );
        assert!(out.contains(message), "{message}: {out}");
    }
    // a signing secret on a kind that is not signed: the typed check (the schema has no rule)
    let text = std::fs::read_to_string(crate::support::fixtures().join("base/policies/access.toml")).unwrap();
    let line = text.lines().count() + 6;
    std::fs::write(
        &p,
        format!("{text}\n[[notify]]\nid = \"slack\"\nkind = \"slack\"\nurl_env = \"GITGRANT_SLACK\"\nsecret_env = \"GITGRANT_KEY\"\n"),
    )
    .unwrap();
    let (code, out, _) = run(&["check", "--repo", dir.to_str().unwrap(), "--at", "2026-11-22T12:00:00Z"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("policies/access.toml:{line}")), "{out}");
    assert!(out.contains("`secret_env` signs generic webhooks only"), "{out}");
}

#[test]
fn a_session_duration_identity_center_cannot_hold_is_an_error() {
    for (value, ok) in [("PT12H", true), ("PT13H", false), ("PT1147797409030816545H", false)] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        crate::support::copy_dir(&crate::support::fixtures().join("base"), &dir);
        let p = dir.join("policies/directory.toml");
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("session_duration = \"PT1H\""));
        std::fs::write(
            &p,
            text.replacen(
                "session_duration = \"PT1H\"",
                &format!("session_duration = \"{value}\""),
                1,
            ),
        )
        .unwrap();
        let (code, out, _) = run(&["check", "--repo", dir.to_str().unwrap(), "--at", "2026-11-22T12:00:00Z"]);
        if ok {
            assert_eq!(code, 0, "{value}: {out}");
        } else {
            assert_eq!(code, 1, "{value}: {out}");
            assert!(
                out.contains("invalid-session-duration") && out.contains("longer than Identity Center's 12 hours"),
                "{out}"
            );
        }
    }
}
