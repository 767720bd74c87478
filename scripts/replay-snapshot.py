#!/usr/bin/env python3
"""Writes a replay snapshot: the facts of one pull request, in the shape of GitHub's REST
answers, that `gitgrant pr --snapshot FILE` decides from offline and `gitgrant plan/apply
--evidence DIR` verifies merges with (docs/getting-started.md, "Replay snapshots").

Usage:
  replay-snapshot.py --number 1 --author alice --base SHA --head SHA --file PATH \\
      [--created-at T] [--approve LOGIN[:NOTE]]... [--merged MERGE_SHA --merged-at T] \\
      [--team ORG/SLUG=login,login]...

Standard library only. Each --approve is an APPROVED review on the head commit, submitted
at --created-at plus one minute per review; the note defaults to a sentence.
"""
import argparse
import datetime
import json
import sys
import zlib


def user(login):
    return {"login": login, "id": zlib.crc32(login.encode()) % 10_000_000, "type": "User"}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--number", type=int, required=True)
    p.add_argument("--author", required=True)
    p.add_argument("--base", required=True, help="the PR's base commit")
    p.add_argument("--head", required=True, help="the PR's head commit")
    p.add_argument("--file", action="append", required=True, help="a request file the PR adds")
    p.add_argument("--created-at", default=None, help="RFC 3339; default now")
    p.add_argument("--approve", action="append", default=[], metavar="LOGIN[:NOTE]")
    p.add_argument("--merged", default=None, metavar="MERGE_SHA")
    p.add_argument("--merged-at", default=None)
    p.add_argument("--team", action="append", default=[], metavar="ORG/SLUG=LOGIN,...")
    a = p.parse_args()
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    created = a.created_at or now.strftime("%Y-%m-%dT%H:%M:%SZ")
    start = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    if a.merged and not a.merged_at:
        sys.exit("--merged needs --merged-at")
    email = f"{a.author}@users.noreply.github.com"
    reviews = []
    for i, spec in enumerate(a.approve):
        login, _, note = spec.partition(":")
        at = (start + datetime.timedelta(minutes=i + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        reviews.append({"id": i + 1, "user": user(login), "state": "APPROVED", "commit_id": a.head,
                        "body": note or "Checked the reason and the ticket; approved.", "submitted_at": at})
    teams = {}
    for spec in a.team:
        slug, _, members = spec.partition("=")
        teams[slug] = [m for m in members.split(",") if m]
    snapshot = {
        "pull_request": {
            "number": a.number,
            "state": "closed" if a.merged else "open",
            "merged": bool(a.merged),
            "merged_at": a.merged_at,
            "merge_commit_sha": a.merged,
            "user": user(a.author),
            "created_at": created,
            "head": {"sha": a.head},
            "base": {"sha": a.base, "ref": "main", "repo": {"default_branch": "main"}},
        },
        "commits": [{"sha": a.head, "author": user(a.author), "committer": user(a.author),
                     "commit": {"author": {"email": email}, "committer": {"email": email}, "message": "Request access"}}],
        "reviews": reviews,
        "files": [{"filename": f, "status": "added"} for f in a.file],
        "teams": teams,
    }
    json.dump(snapshot, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
