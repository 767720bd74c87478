#!/usr/bin/env python3
"""Generate a large, valid gitgrant access repository for benchmarks.

What it is for: measuring gitgrant (`check`, `pr`, `plan`, `audit`, CODEOWNERS matching,
history look-ups) at the scale of DESIGN.md section 4 "Scale": 5,000 accounts, 500 OUs,
300 eligibility rules, about 2,000 CODEOWNERS lines, 20,000 live request files and, with
--commits, a git history of up to 50,000 commits. Every file follows the formats of DESIGN.md
section 2, and every request is eligible offline: its requester is named (directly or through
an Identity Center group) by an eligibility rule covering its account and permission set, and
its duration is within that rule's and the global maximum. The output is deterministic for a
given seed and set of options.

How to run it (Python 3.11+, standard library only; git for --commits):

    python3 scripts/gen-large-repo.py OUT_DIR                  # defaults below, no history
    python3 scripts/gen-large-repo.py OUT_DIR --commits 50000  # plus a 50,000-commit history
    python3 scripts/gen-large-repo.py OUT_DIR --accounts 500 --ous 50 --rules 30 \\
        --codeowners-lines 200 --requests 2000 --commits 2000 --seed 7

Options (defaults): --accounts 5000, --ous 500, --rules 300, --codeowners-lines 2000,
--requests 20000, --commits 0, --seed 1, --users 1000, --groups 20, --approval-rules 20,
--ledger-events 0, --ledger-commits 20, --live-now 0, --live-now-at 2026-12-21T00:00:00Z.
OUT_DIR must not exist or be empty.

Layout written: policies/{directory,identities,access}.toml, .github/CODEOWNERS,
schemas/*.schema.json (copied from the project's schemas/ next to this script when present),
requests/<account-name>/<permission-set>/<id>.toml (ids req-000001 ...).

With --commits N the directory is also a git repository on branch main whose history is
built by one streaming `git fast-import`: commit 1 adds policies, schemas and CODEOWNERS;
commits 2..N add the live requests spread evenly (in id order), and when there are more
commits than live requests the spare commits add short-lived requests (ids numbered after
the live ones, never reused) and later delete them once they have ended, like expirations.
Commit dates run from 2026-11-02 to 2026-11-22 (UTC); live requests start between
2026-11-23 and 2026-12-20, never more than 30 days after the commit that adds them (for
--requests of at least 14). The final tree is byte-identical to what the same options
without --commits write.

With --ledger-events N (and --commits) the repository also gets a `gitgrant-ledger` orphan
branch holding N events (DESIGN 6), appended over --ledger-commits commits by a second
`git fast-import`: for each request the history adds, `requested`, one or two `approved`
and `merged` (with its merge commit and a compact replay snapshot as evidence), plus
`activated` and `ended` (or `revoked`) for those whose window passed by 2026-11-22; then
pull requests closed unmerged (rejected or cancelled) until there are N events. With fewer
events than the history needs, the earliest N are written.

The `merged` events are what the gate writes for an approved PR, so that the reconciler and
`audit --verify` verify them: the requester opened the PR and wrote its one commit (head and
merge commit alike, merged by fast-forward onto its base); the approvers are as many code
owners of the request's path (the last matching CODEOWNERS line: its users and the members
of its teams, never the requester) as its approval rules require, each review on the head
with a note before the merge; the snapshot lists the teams the gate reads (the path's owner
teams and the team principals of the rules covering it) with their members, which the
generator makes up (4 to 8 users a team; GitHub, not the repository, holds them); each
request has its approval record (blob, account id, user, window, approvers, base, head,
merge, policy commits). Evidence that cannot verify is counted in a warning: several
requesters in one PR (more requests than commits), a start more than 30 days after its
merge, a merge left out of the ledger by --ledger-events.

With --live-now N the last N live requests (the highest ids) start instead at most their
duration before --live-now-at (default 2026-12-21T00:00:00Z) and at the latest at it, so
that `gitgrant plan --at <that time>` finds exactly those N in their window and nothing
else live (every other live request ends by 2026-12-20T08:00:00Z, more than the longest
session before it). Their merges must be at most 30 days before their start. Without the
option the request files are what they were before it existed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import heapq
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

UTC = dt.timezone.utc
SYNCED_AT = "2026-11-22T00:00:00Z"
INSTANCE = "ssoins-1234567890abcdef"
INSTANCE_ARN = f"arn:aws:sso:::instance/{INSTANCE}"
IDENTITY_STORE_ID = "d-1234567890"
DOMAIN = "acme.example"
ORG = "acme"
PERMISSION_SETS = [
    "AdministratorAccess",
    "DatabaseAdmin",
    "ReadOnlyAccess",
    "PowerUserAccess",
    "BillingReadOnly",
]
GLOBAL_MAX_MINUTES = 8 * 60
# (text, minutes) for rule maxima, with weights.
RULE_MAX_DURATIONS = [("30m", 30), ("1h", 60), ("1h30m", 90), ("2h", 120), ("3h", 180),
                      ("4h", 240), ("6h", 360), ("8h", 480)]
RULE_MAX_WEIGHTS = [1, 3, 2, 4, 2, 6, 2, 4]
REQUEST_DURATIONS = [("15m", 15), ("30m", 30), ("45m", 45), ("1h", 60), ("1h30m", 90),
                     ("2h", 120), ("2h30m", 150), ("3h", 180), ("4h", 240), ("6h", 360),
                     ("8h", 480)]
TOP_OUS = ["Workloads", "Infrastructure", "Security", "Sandbox", "Shared-Services"]
MID_OUS = ["Prod", "Staging", "Dev", "Test"]
N_TEAMS = 40
N_ADMIN_TEAMS = 10
SECURITY_ADMINS = f"@{ORG}/security-admins"
LIVE_START_FIRST = dt.datetime(2026, 11, 23, tzinfo=UTC)
LIVE_START_SPAN = dt.timedelta(days=27)  # last live start <= 2026-12-20T00:00:00Z
HISTORY_FIRST = dt.datetime(2026, 11, 2, tzinfo=UTC)
HISTORY_LAST = dt.datetime(2026, 11, 22, tzinfo=UTC)
GIT_IDENT = "gitgrant bench <bench@acme.example>"
REASONS = [
    "Investigate ticket backlog",
    "Roll back the failed deploy of the api service",
    "Rotate the database credentials after the vendor incident",
    "Debug elevated 5xx rates behind the load balancer",
    "Apply the emergency security group change",
    "Review CloudTrail logs for the audit request",
    "Resize the cache cluster before the sale",
    "Restore the nightly snapshot into staging",
    "Check the billing anomaly reported by finance",
    "Patch the bastion hosts",
    "Investigate replication lag on the orders cluster",
    "Clean up orphaned EBS volumes",
    "Update the KMS key policy for the new service role",
    "Run the quarterly disaster recovery drill",
    "Inspect the failed Step Functions executions",
    "Tune autoscaling limits for the batch fleet",
    "Recover the stuck CloudFormation stack",
    "Export cost reports for the budget review",
    "Verify IAM Access Analyzer findings",
    "Migrate the queue consumers to the new VPC",
]
TICKET_PREFIXES = ["INC", "CHG", "OPS", "SEC", "FIN"]
CODEOWNERS_HEADER = [
    "# Generated by scripts/gen-large-repo.py (benchmark data).",
    "# GitHub semantics: gitignore-style patterns, the last matching line wins.",
]
# --live-now: when the chosen requests' windows are open (every other live request ends
# by 2026-12-20T08:00:00Z, more than the longest session, 8h, before it).
LIVE_NOW_AT = "2026-12-21T00:00:00Z"
MAX_START_AHEAD = dt.timedelta(days=30)


# --------------------------------------------------------------------------- model


@dataclass
class Ou:
    id: str
    path: str
    parent: int  # index of the parent OU, -1 for top level
    team: str  # GitHub team that owns the OU's accounts in CODEOWNERS
    direct: list[int] = field(default_factory=list)  # account indices directly in it
    subtree: list[int] = field(default_factory=list)  # account indices in it or below


@dataclass
class Account:
    id: str
    name: str
    ou: int


@dataclass
class Rule:
    id: str
    principals: list[str]
    ous: list[int] | None
    include_child_ous: bool
    accounts: list[int] | None
    permission_sets: list[str]
    max_duration: str
    max_minutes: int
    approval: str
    users: list[str]  # logins eligible offline: named directly or through an idc-group
    covered: list[int] = field(default_factory=list)  # account indices


@dataclass
class ApprovalRule:
    id: str
    ous: list[int] | None  # OU indices; None: all accounts
    permission_sets: list[str] | None  # None: all permission sets
    min_approvals: int


@dataclass
class Request:
    id: str
    requester: str
    account: str
    permission_set: str
    start: dt.datetime
    minutes: int
    duration: str
    reason: str
    ticket: str | None

    @property
    def path(self) -> str:
        return f"requests/{self.account}/{self.permission_set}/{self.id}.toml"

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.minutes)

    def render(self) -> bytes:
        lines = [
            "#:schema ../../../schemas/request.schema.json",
            f"requester = {q(self.requester)}",
            f"account = {q(self.account)}",
            f"permission_set = {q(self.permission_set)}",
            f"start = {ts(self.start)}",
            f"duration = {q(self.duration)}",
            f"reason = {q(self.reason)}",
        ]
        if self.ticket is not None:
            lines.append(f"ticket = {q(self.ticket)}")
        return ("\n".join(lines) + "\n").encode()


# --------------------------------------------------------------------------- helpers


def q(s: str) -> str:
    """A TOML basic string."""
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{out}"'


def qlist(items: list[str], indent: str = "    ", wrap: int = 6) -> str:
    """A TOML array of strings; one item a line when long."""
    if len(items) <= wrap:
        return "[" + ", ".join(q(i) for i in items) + "]"
    return "[\n" + "".join(f"{indent}{q(i)},\n" for i in items) + "]"


def parse_ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


def ts(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def login(i: int) -> str:
    return f"user{i + 1:05d}"


def user_name(lg: str) -> str:
    return f"{lg}@{DOMAIN}"


def team(i: int) -> str:
    return f"@{ORG}/team-{i % N_TEAMS + 1:02d}"


def admin_team(i: int) -> str:
    return f"@{ORG}/admins-{i % N_ADMIN_TEAMS + 1:02d}"


# --------------------------------------------------------------------------- generation


class Repo:
    def __init__(self, a: argparse.Namespace):
        self.a = a
        self.seed = a.seed
        self.ous: list[Ou] = []
        self.accounts: list[Account] = []
        self.users: list[str] = [login(i) for i in range(a.users)]
        self.groups: list[tuple[str, list[str]]] = []  # (name, member logins)
        self.rules: list[Rule] = []
        self.rules_of_account: list[list[int]] = []
        self.account_index: dict[str, int] = {}
        self.teams: dict[str, list[str]] = {}  # "org/slug" -> member logins
        self._approval: list[ApprovalRule] | None = None
        self._subtree: list[set[int]] | None = None
        self._co_index: dict[str, tuple[int, list[str]]] = {}
        self.live_now_at = parse_ts(a.live_now_at)
        # why some merges' evidence cannot verify, with counts (reported, not hidden)
        self.unverifiable: dict[str, int] = defaultdict(int)
        self.acct_width = max(5, len(str(a.accounts)))
        # Live ids only (so the final tree does not depend on --commits); later short-lived
        # ids may be longer, which keeps them unique.
        self.req_width = max(6, len(str(a.requests)))

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"gitgrant-bench:{self.seed}:{stream}")

    # ---- organization

    def gen_ous(self) -> None:
        n = self.a.ous
        rng = self.rng("ous")
        n_top = min(len(TOP_OUS), n)
        n_mid = min(n - n_top, 4 * n_top)
        n_leaf = n - n_top - n_mid
        used: set[str] = set()

        def new_id() -> str:
            alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
            while True:
                s = "".join(rng.choice(alphabet) for _ in range(8))
                if s not in used:
                    used.add(s)
                    return f"ou-x7k2-{s}"

        for i in range(n_top):
            self.ous.append(Ou(new_id(), TOP_OUS[i], -1, team(i)))
        for i in range(n_mid):
            parent = i % n_top
            k = i // n_top
            name = MID_OUS[k] if k < len(MID_OUS) else f"Env{k + 1:02d}"
            self.ous.append(Ou(new_id(), f"{self.ous[parent].path}/{name}", parent,
                               team(n_top + i)))
        for i in range(n_leaf):
            parent = n_top + i % n_mid
            self.ous.append(Ou(new_id(), f"{self.ous[parent].path}/Team{i + 1:03d}", parent,
                               team(n_top + n_mid + i)))

    def gen_accounts(self) -> None:
        rng = self.rng("accounts")
        n = self.a.accounts
        if n and not self.ous:
            sys.exit("error: --accounts needs at least one OU (--ous >= 1)")
        leaves = [i for i, o in enumerate(self.ous) if o.path.count("/") >= 2] or \
            list(range(len(self.ous)))
        leaf_set = set(leaves)
        inner = [i for i in range(len(self.ous)) if i not in leaf_set] or leaves
        for i in range(n):
            # Most accounts live in team OUs; some directly in top-level and environment OUs.
            ou = rng.choice(leaves) if rng.random() < 0.9 else rng.choice(inner)
            acct = Account(f"{100000000000 + i:012d}", f"acct-{i:0{self.acct_width}d}", ou)
            self.accounts.append(acct)
            self.account_index[acct.name] = i
            self.ous[ou].direct.append(i)
            o = ou
            while o >= 0:
                self.ous[o].subtree.append(i)
                o = self.ous[o].parent

    def gen_groups(self) -> None:
        rng = self.rng("groups")
        for g in range(self.a.groups):
            k = min(len(self.users), rng.randint(5, 60))
            members = sorted(rng.sample(self.users, k))
            self.groups.append((f"Group{g + 1:02d}", members))

    # ---- policy

    def gen_rules(self) -> None:
        rng = self.rng("rules")
        n_acc = len(self.accounts)
        with_direct = [i for i, o in enumerate(self.ous) if o.direct]
        with_subtree = [i for i, o in enumerate(self.ous) if o.subtree]
        if self.a.requests and (not n_acc or not self.users or not self.a.rules):
            sys.exit("error: requests need at least one account, user and rule")
        for r in range(self.a.rules):
            principals: list[str] = []
            users: set[str] = set()
            if rng.random() < 0.5:
                principals.append(team(rng.randrange(N_TEAMS)))
            n_users = rng.choice([0, 1, 1, 2, 3, 4])
            for lg in rng.sample(self.users, min(n_users, len(self.users))):
                principals.append(lg)
                users.add(lg)
            if self.groups and (rng.random() < 0.4 or not users):
                name, members = self.groups[rng.randrange(len(self.groups))]
                principals.append(f"idc-group:{name}")
                users.update(members)
            if not users:
                lg = rng.choice(self.users)
                principals.append(lg)
                users.add(lg)
            rng.shuffle(principals)

            ous = accounts = None
            include = False
            covered: set[int] = set()
            if r % 2 == 1 and with_subtree:
                include = rng.random() < 0.6
                pool = with_subtree if include or not with_direct else with_direct
                include = include or not with_direct
                ous = sorted(rng.sample(pool, min(len(pool), rng.randint(1, 3))))
                for o in ous:
                    covered.update(self.ous[o].subtree if include else self.ous[o].direct)
            else:
                accounts = sorted(rng.sample(range(n_acc), min(n_acc, rng.randint(1, 12))))
                covered.update(accounts)
            k = rng.choice([1, 1, 2, 2, 3])
            picked = set(rng.sample(PERMISSION_SETS, k))
            pss = [p for p in PERMISSION_SETS if p in picked]
            max_d, max_m = rng.choices(RULE_MAX_DURATIONS, RULE_MAX_WEIGHTS)[0]
            approval = "required" if rng.random() < 0.85 else "none"
            self.rules.append(Rule(
                id=f"rule-{r + 1:03d}", principals=principals, ous=ous,
                include_child_ous=include, accounts=accounts, permission_sets=pss,
                max_duration=max_d, max_minutes=max_m, approval=approval,
                users=sorted(users), covered=sorted(covered)))

        # Every account is covered by some rule, so requests (and the requests/ tree) can
        # reach all of them: spread uncovered accounts over the account-list rules.
        covered_any = bytearray(n_acc)
        for rule in self.rules:
            for i in rule.covered:
                covered_any[i] = 1
        uncovered = [i for i in range(n_acc) if not covered_any[i]]
        rng.shuffle(uncovered)
        acc_rules = [rule for rule in self.rules if rule.accounts is not None]
        if uncovered and acc_rules:
            for j, i in enumerate(uncovered):
                acc_rules[j % len(acc_rules)].accounts.append(i)
            for rule in acc_rules:
                rule.accounts.sort()
                rule.covered = sorted(set(rule.covered) | set(rule.accounts))
        self.rules_of_account = [[] for _ in range(n_acc)]
        for ri, rule in enumerate(self.rules):
            for i in rule.covered:
                self.rules_of_account[i].append(ri)

    # ---- requests

    def make_request(self, rng: random.Random, rid: str, acct: int,
                     start: dt.datetime) -> Request:
        choices = self.rules_of_account[acct]
        rule = self.rules[rng.choice(choices)]
        durs = [d for d in REQUEST_DURATIONS if d[1] <= min(rule.max_minutes, GLOBAL_MAX_MINUTES)]
        dur, minutes = rng.choice(durs)
        roll = rng.random()
        ticket = None if roll < 0.25 else \
            f"{TICKET_PREFIXES[int(roll * 100) % len(TICKET_PREFIXES)]}-{rng.randint(100, 99999)}"
        return Request(
            id=rid, requester=rng.choice(rule.users), account=self.accounts[acct].name,
            permission_set=rng.choice(rule.permission_sets), start=start, minutes=minutes,
            duration=dur, reason=rng.choice(REASONS), ticket=ticket)

    def gen_live_requests(self) -> list[Request]:
        rng = self.rng("requests")
        n = self.a.requests
        covered = [i for i in range(len(self.accounts)) if self.rules_of_account[i]]
        if n and not covered:
            sys.exit("error: no account is covered by any eligibility rule")
        order = covered[:]
        rng.shuffle(order)
        out = []
        span = LIVE_START_SPAN.total_seconds()
        for k in range(n):
            # Starts rise with the id (so history can add each one shortly before it starts),
            # on a quarter hour, between 2026-11-23 and 2026-12-20.
            sec = span * (k + rng.random()) / n
            start = LIVE_START_FIRST + dt.timedelta(seconds=int(sec // 900) * 900)
            acct = order[k % len(order)]
            out.append(self.make_request(rng, f"req-{k + 1:0{self.req_width}d}", acct, start))
        self.live_now(out)
        return out

    def live_now(self, live: list[Request]) -> None:
        """--live-now N: the last N live requests (the highest ids) start instead on a quarter
        hour at most their duration before --live-now-at and at the latest at it, so that
        their windows are all open then; everything else stays as without the option."""
        n = min(self.a.live_now, len(live))
        if not n:
            return
        rng = self.rng("live-now")
        at = self.live_now_at
        for r in live[len(live) - n:]:
            r.start = at - dt.timedelta(minutes=15 * rng.randint(0, (r.minutes - 1) // 15))

    # ---- rendering

    def directory_toml(self) -> str:
        o = [
            "#:schema ../schemas/directory.schema.json",
            "# Generated by scripts/gen-large-repo.py (benchmark data); written by",
            "# `gitgrant directory sync` in a real repository.",
            f"synced_at = {SYNCED_AT}",
            f"instance_arn = {q(INSTANCE_ARN)}",
            f"identity_store_id = {q(IDENTITY_STORE_ID)}",
            "",
        ]
        for ou in self.ous:
            o += ["[[ou]]", f"id = {q(ou.id)}", f"path = {q(ou.path)}", ""]
        for acct in self.accounts:
            o += ["[[account]]", f"id = {q(acct.id)}", f"name = {q(acct.name)}",
                  f"ou = {q(self.ous[acct.ou].path)}", ""]
        for ps in PERMISSION_SETS:
            h = hashlib.sha256(ps.encode()).hexdigest()[:16]
            o += ["[[permission_set]]", f"name = {q(ps)}",
                  f"arn = {q(f'arn:aws:sso:::permissionSet/{INSTANCE}/ps-{h}')}",
                  'session_duration = "PT1H"', ""]
        for name, members in self.groups:
            o += ["[[group]]", f"name = {q(name)}",
                  f"members = {qlist([user_name(m) for m in members])}", ""]
        return "\n".join(o).rstrip("\n") + "\n"

    def identities_toml(self) -> str:
        o = [
            "#:schema ../schemas/identities.schema.json",
            "# Generated by scripts/gen-large-repo.py (benchmark data).",
            f'user_name_template = "{{login}}@{DOMAIN}"',
            "",
            "[users]",
        ]
        o += [f"{u} = {q(user_name(u))}" for u in self.users]
        return "\n".join(o) + "\n"

    def access_toml(self) -> str:
        o = [
            "#:schema ../schemas/access.schema.json",
            "# Generated by scripts/gen-large-repo.py (benchmark data).",
            "",
            "[settings]",
            'max_duration = "8h"',
            "require_ticket = false",
            "require_approval_note = true",
            'pending_timeout = "24h"',
            'max_start_ahead = "30d"',
            f"managed_permission_sets = {qlist(PERMISSION_SETS)}",
            "max_removals_per_run = 25",
            "",
        ]
        for rule in self.rules:
            o += ["[[eligibility]]", f"id = {q(rule.id)}",
                  f"principals = {qlist(rule.principals)}"]
            if rule.accounts is not None:
                o.append(f"accounts = {qlist([self.accounts[i].name for i in rule.accounts])}")
            else:
                o.append(f"ous = {qlist([self.ous[i].path for i in rule.ous])}")
                o.append(f"include_child_ous = {'true' if rule.include_child_ous else 'false'}")
            o += [f"permission_sets = {qlist(rule.permission_sets)}",
                  f"max_duration = {q(rule.max_duration)}",
                  f"approval = {q(rule.approval)}", ""]
        for a in self.approval_rules():
            o += ["[[approval]]", f"id = {q(a.id)}"]
            if a.ous is not None:
                o.append(f"ous = {qlist([self.ous[i].path for i in a.ous])}")
            if a.permission_sets is not None:
                o.append(f"permission_sets = {qlist(a.permission_sets)}")
            o += [f"min_approvals = {a.min_approvals}", ""]
        return "\n".join(o).rstrip("\n") + "\n"

    def approval_rules(self) -> list[ApprovalRule]:
        """The `[[approval]]` rules (computed once): OU-, permission-set- or both-scoped."""
        if self._approval is not None:
            return self._approval
        rng = self.rng("approval")
        inner = [i for i, ou in enumerate(self.ous) if ou.path.count("/") < 2] or \
            list(range(len(self.ous)))
        out = []
        for a in range(self.a.approval_rules):
            rule = ApprovalRule(f"approval-{a + 1:02d}", None, None, 1)
            kind = a % 3 if inner else 1
            if kind in (0, 2):
                rule.ous = sorted(rng.sample(inner, min(len(inner), rng.randint(1, 2))))
            if kind in (1, 2):
                pss = set(rng.sample(PERMISSION_SETS, rng.randint(1, 2)))
                rule.permission_sets = [p for p in PERMISSION_SETS if p in pss]
            rule.min_approvals = rng.choice([1, 1, 2])
            out.append(rule)
        self._approval = out
        return out

    def required_approvals(self, r: Request) -> int:
        """What `Policy::required_approvals` says for a request: the largest `min_approvals`
        of the approval rules covering it (an approval rule's OUs always include their
        child OUs), 1 when none does."""
        acct = self.account_index[r.account]
        return max((a.min_approvals for a in self.approval_rules()
                    if (a.ous is None or any(acct in self.ou_subtree[o] for o in a.ous))
                    and (a.permission_sets is None or r.permission_set in a.permission_sets)),
                   default=1)

    @property
    def ou_subtree(self) -> list[set[int]]:
        """Each OU's accounts, in it or below, as sets (built once)."""
        if self._subtree is None:
            self._subtree = [set(o.subtree) for o in self.ous]
        return self._subtree

    def gen_teams(self) -> None:
        """GitHub team memberships (not a repository file: GitHub holds them); the gate's
        replay snapshot lists the teams it read. Every team has 4 to 8 members, so a path's
        owners always include someone other than its requester."""
        rng = self.rng("teams")
        names = [team(i)[1:] for i in range(N_TEAMS)] + \
            [admin_team(i)[1:] for i in range(N_ADMIN_TEAMS)] + \
            [f"{ORG}/finance-approvers", SECURITY_ADMINS[1:]]
        for t in names:
            k = min(len(self.users), rng.randint(4, 8))
            self.teams[t] = sorted(rng.sample(self.users, k))

    def owners_of(self, path: str) -> list[str]:
        """The owners (`@user`, `@org/team`) of a request path in the generated CODEOWNERS:
        the last matching line. The generator writes only `/requests/`,
        `/requests/*/<permission-set>/`, `/requests/<account>/` and
        `/requests/<account>/<permission-set>/` lines for requests, each pattern once."""
        _, account, ps, _ = path.split("/", 3)
        best = (-1, [])
        for pattern in ("/requests/", f"/requests/*/{ps}/", f"/requests/{account}/",
                        f"/requests/{account}/{ps}/"):
            hit = self._co_index.get(pattern)
            if hit is not None and hit[0] > best[0]:
                best = hit
        return best[1]

    def codeowners(self) -> str:
        lines = self.codeowners_rules()
        self._co_index = {pat: (i, owners) for i, (pat, owners) in enumerate(lines)}
        return "\n".join(CODEOWNERS_HEADER + [f"{p} {' '.join(ow)}" for p, ow in lines]) + "\n"

    def codeowners_rules(self) -> list[tuple[str, list[str]]]:
        """The CODEOWNERS lines as (pattern, owners), in file order."""
        rng = self.rng("codeowners")
        o = [
            ("/policies/", [SECURITY_ADMINS]),
            ("/.github/", [SECURITY_ADMINS]),
            ("/schemas/", [SECURITY_ADMINS]),
            ("/requests/", [SECURITY_ADMINS]),
            ("/requests/*/BillingReadOnly/", [f"@{ORG}/finance-approvers"]),
        ]
        budget = max(0, self.a.codeowners_lines - len(o) - len(CODEOWNERS_HEADER))
        n_acc = len(self.accounts)
        n_lines_acc = min(n_acc, (budget * 3 + 3) // 4)
        n_lines_ps = min(budget - n_lines_acc, n_lines_acc * len(PERMISSION_SETS))
        chosen = rng.sample(range(n_acc), n_lines_acc)
        ps_lines: dict[int, list[str]] = {}
        slots = [(i, p) for i in chosen for p in PERMISSION_SETS] if n_lines_ps else []
        for i, p in sorted(rng.sample(slots, n_lines_ps)):
            ps_lines.setdefault(i, []).append(p)
        # Grouped by OU (per-OU owners), then per account; a permission-set line follows its
        # account line so that it wins.
        chosen.sort(key=lambda i: (self.accounts[i].ou, i))
        for i in chosen:
            acct = self.accounts[i]
            owners = [self.ous[acct.ou].team]
            if rng.random() < 0.5:
                owners.append("@" + rng.choice(self.users))
            o.append((f"/requests/{acct.name}/", owners))
            for p in sorted(ps_lines.get(i, []), key=PERMISSION_SETS.index):
                if p in ("AdministratorAccess", "PowerUserAccess", "DatabaseAdmin"):
                    owner = admin_team(rng.randrange(N_ADMIN_TEAMS))
                elif p == "BillingReadOnly":
                    owner = f"@{ORG}/finance-approvers"
                else:
                    owner = self.ous[acct.ou].team
                extra = ["@" + rng.choice(self.users)] if rng.random() < 0.3 else []
                o.append((f"/requests/{acct.name}/{p}/", [owner] + extra))
        return o


# --------------------------------------------------------------------------- output


def base_files(repo: Repo) -> list[tuple[str, bytes]]:
    files = [
        ("policies/directory.toml", repo.directory_toml().encode()),
        ("policies/identities.toml", repo.identities_toml().encode()),
        ("policies/access.toml", repo.access_toml().encode()),
        (".github/CODEOWNERS", repo.codeowners().encode()),
    ]
    schemas = Path(repo.a.schemas_dir) if repo.a.schemas_dir else \
        Path(__file__).resolve().parent.parent / "schemas"
    if repo.a.schemas_dir and not schemas.is_dir():
        sys.exit(f"error: --schemas-dir {schemas} is not a directory")
    if schemas.is_dir():
        for p in sorted(schemas.glob("*.schema.json")):
            files.append((f"schemas/{p.name}", p.read_bytes()))
    return files


def write_tree(out: Path, files: list[tuple[str, bytes]]) -> None:
    made: set[str] = set()
    for rel, data in files:
        d = os.path.dirname(rel)
        if d not in made:
            os.makedirs(out / d, exist_ok=True)
            made.add(d)
        with open(out / rel, "wb") as f:
            f.write(data)


def commit_dates(n: int) -> list[dt.datetime]:
    if n == 1:
        return [HISTORY_LAST]
    span = (HISTORY_LAST - HISTORY_FIRST).total_seconds()
    return [HISTORY_FIRST + dt.timedelta(seconds=int(span * c / (n - 1))) for c in range(n)]


def plan_commits(repo: Repo, base: list[tuple[str, bytes]], live: list[Request],
                 dates: list[dt.datetime], stats: dict[str, int]
                 ) -> Iterator[tuple[str, list[tuple[str, bytes]], list[str], dict]]:
    """The history, one (message, files added, paths deleted, ledger facts) a commit, oldest
    first. The facts (PR number, requests added, paths deleted and why) feed
    --ledger-events."""
    n = len(dates)
    slots = n - 1
    live_at: list[list[Request]] = [[] for _ in range(n)]
    if slots == 0:
        live_at[0] = live
    else:
        for k, r in enumerate(live):
            live_at[1 + (k * slots) // len(live)].append(r)
    free = [c for c in range(1, n) if not live_at[c]]
    covered = [i for i in range(len(repo.accounts)) if repo.rules_of_account[i]]
    rng = repo.rng("history")
    next_id = len(live) + 1
    pending: list[tuple[dt.datetime, str, str]] = []  # heap of (end, id, path)
    pr = 0
    free_pos = 0
    parity_fix = len(free) % 2 == 1

    yield ("Initial access repository: policies, schemas and CODEOWNERS\n",
           list(base) + [(r.path, r.render()) for r in live_at[0]], [],
           {"pr": None, "added": [], "deleted": []})
    for c in range(1, n):
        if live_at[c]:
            rs = live_at[c]
            pr += 1
            if len(rs) == 1:
                r = rs[0]
                msg = (f"Request {r.permission_set} on {r.account} for {r.requester} (#{pr})\n\n"
                       f"{r.reason}\n\nRequest-Id: {r.id}\n")
            else:
                msg = f"Add {len(rs)} access requests (#{pr})\n\n" + "".join(
                    f"Request-Id: {r.id}\n" for r in rs)
            yield msg, [(r.path, r.render()) for r in rs], [], {"pr": pr, "added": rs, "deleted": []}
            continue
        # A spare commit: delete a short-lived request that has ended (early, as a revocation,
        # when the remaining spare commits are needed to delete everything still pending), or
        # add one. With an odd number of spare commits, one commit does both, so that no
        # commit is empty.
        remaining = len(free) - free_pos
        free_pos += 1
        adds: list[tuple[str, bytes]] = []
        deletes: list[str] = []
        lines: list[str] = []
        facts: dict = {"pr": None, "added": [], "deleted": []}
        ended = bool(pending) and pending[0][0] <= dates[c]
        delete = bool(pending) and (ended or len(pending) >= remaining - 1)
        add = bool(covered) and (len(pending) <= remaining - 2 if not delete else
                                 (parity_fix and ended and len(pending) <= remaining - 1))
        if delete:
            end, rid, path = heapq.heappop(pending)
            deletes.append(path)
            lines.append(f"Remove {'expired' if end <= dates[c] else 'revoked'} request {rid}")
            facts["deleted"].append((path, "expired" if end <= dates[c] else "revoked"))
        if add:
            if delete:
                parity_fix = False
            rid = f"req-{next_id:0{repo.req_width}d}"
            next_id += 1
            start = dates[c] + dt.timedelta(minutes=15 * rng.randint(1, 8))
            start = start.replace(minute=start.minute // 15 * 15, second=0)
            r = repo.make_request(rng, rid, rng.choice(covered), start)
            heapq.heappush(pending, (r.end, rid, r.path))
            stats["expired"] += 1
            adds.append((r.path, r.render()))
            facts["added"].append(r)
            lines.insert(0, f"Request {r.permission_set} on {r.account} for {r.requester}")
        if not lines:
            stats["empty"] += 1
            yield "Empty commit (no request changes)\n", [], [], facts
            continue
        pr += 1
        facts["pr"] = pr
        msg = f"{lines[0]} (#{pr})\n"
        if len(lines) > 1:
            msg += "\n" + "".join(f"{x}\n" for x in lines[1:])
        if adds:
            msg += f"\n{r.reason}\n\nRequest-Id: {r.id}\n"
        yield msg, adds, deletes, facts
    assert not pending


def build_history(repo: Repo, base: list[tuple[str, bytes]], live: list[Request],
                  out: Path) -> tuple[dict[str, int], list[dict]]:
    """Make OUT_DIR a git repository whose main branch holds the planned history, streamed
    through one `git fast-import`, and check out its tip. Returns the stats, and each
    commit's ledger facts with its date and sha."""
    dates = commit_dates(repo.a.commits)
    stats = {"commits": len(dates), "live": len(live), "expired": 0, "empty": 0}
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    marks = out / ".git" / "gitgrant-bench-marks"
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done",
                             f"--export-marks={marks}"], cwd=out, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    facts: list[dict] = []
    try:
        for c, (message, adds, deletes, fact) in enumerate(
                plan_commits(repo, base, live, dates, stats)):
            fact["date"] = dates[c]
            facts.append(fact)
            stamp = f"{int(dates[c].timestamp())} +0000"
            msg = message.encode()
            buf = [f"commit refs/heads/main\nmark :{c + 1}\nauthor {GIT_IDENT} {stamp}\n"
                   f"committer {GIT_IDENT} {stamp}\ndata {len(msg)}\n".encode(), msg, b"\n"]
            for path in deletes:
                buf.append(f"D {path}\n".encode())
            for path, data in adds:
                buf.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode())
                buf.append(data)
                buf.append(b"\n")
            buf.append(b"\n")
            proc.stdin.write(b"".join(buf))
        proc.stdin.write(b"done\n")
        proc.stdin.close()
    except BrokenPipeError:
        pass
    if proc.wait() != 0:
        sys.exit("error: git fast-import failed")
    shas = {}
    for line in marks.read_text().splitlines():
        mark, sha = line.split()
        shas[int(mark[1:]) - 1] = sha
    marks.unlink()
    for c, fact in enumerate(facts):
        fact["sha"] = shas[c]
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=out, check=True)
    return stats, facts


# --------------------------------------------------------------------------- ledger


def gh_user(lg: str) -> dict:
    return {"login": lg, "id": 1000 + int(lg[4:]) if lg[4:].isdigit() else 1, "type": "User"}


def blob_id(data: bytes) -> str:
    """The git object id of a file with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def evidence(pr: int, rs: list[Request], reviews: list[tuple[int, str, dt.datetime]],
             teams: dict[str, list[str]], merged: dt.datetime, sha: str, base: str) -> dict:
    """A compact replay snapshot (DESIGN 4.8 shape, the fields gitgrant reads) of the PR that
    added RS, opened by the first request's requester an hour before the merge. The generator
    merges a PR by fast-forward: its one commit is both the head and the merge commit, and
    its first parent (the PR's base) holds the same policy. `teams` are the GitHub teams the
    gate would have read (`app::pr::teams_needed`) with their members."""
    r = rs[0]
    created = merged - dt.timedelta(hours=1)
    email = f"{r.requester}@users.noreply.github.com"
    title = f"Request {r.permission_set} on {r.account}" if len(rs) == 1 else f"Add {len(rs)} access requests"
    return {
        "pull_request": {"number": pr, "state": "closed", "merged": True, "merged_at": ts(merged),
                         "merge_commit_sha": sha, "user": gh_user(r.requester),
                         "created_at": ts(created), "title": title,
                         "head": {"sha": sha}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}}},
        "commits": [{"sha": sha, "commit": {"author": {"email": email}, "committer": {"email": email},
                                            "message": "\n".join(f"Request {x.id}" for x in rs)},
                     "author": gh_user(r.requester), "committer": gh_user(r.requester)}],
        "reviews": [{"id": rid, "user": gh_user(a), "body": APPROVAL_NOTE,
                     "state": "APPROVED", "commit_id": sha, "submitted_at": ts(at)}
                    for rid, a, at in reviews],
        "files": [{"filename": x.path, "status": "added"} for x in rs],
        "teams": teams,
    }


APPROVAL_NOTE = "Checked the ticket; approved."


def approval_record(repo: Repo, r: Request, approvers: list[tuple[int, str, dt.datetime]],
                    pr: int, merged: dt.datetime, sha: str, base: str) -> dict:
    """The approval record the gate writes into the `merged` event (`core::gate::record`)
    for one approved request: the approvers are its counted code owners, by login."""
    return {
        "path": r.path, "blob": blob_id(r.render()),
        "account_id": repo.accounts[repo.account_index[r.account]].id,
        "permission_set": r.permission_set, "user_name": user_name(r.requester),
        "requester": r.requester, "start": ts(r.start), "end": ts(r.end),
        "approvers": [{"login": a, "review_id": rid, "submitted_at": ts(at), "note": APPROVAL_NOTE}
                      for rid, a, at in sorted(approvers, key=lambda x: x[1])],
        "pushers": [], "pr": pr, "base_ref": "main", "base_sha": base, "head_sha": sha,
        "merge_commit": sha, "merged_at": ts(merged), "policy_commits": [base, base],
    }


def teams_needed(repo: Repo, rs: list[Request]) -> dict[str, list[str]]:
    """The teams the gate reads for a PR adding RS: the team owners of each path and the team
    principals of the eligibility rules covering its account and permission set."""
    needed: set[str] = set()
    for r in rs:
        needed.update(o[1:] for o in repo.owners_of(r.path) if "/" in o)
        acct = repo.account_index[r.account]
        for ri in repo.rules_of_account[acct]:
            rule = repo.rules[ri]
            if r.permission_set in rule.permission_sets:
                needed.update(p[1:] for p in rule.principals if p.startswith("@") and "/" in p)
    return {t: repo.teams[t] for t in sorted(needed)}


def pick_approvers(repo: Repo, rng: random.Random, r: Request) -> list[str]:
    """As many code owners of the request's path as its approval rules require, never its
    requester: users the last matching CODEOWNERS line names and members of its teams."""
    owners: set[str] = set()
    for o in repo.owners_of(r.path):
        owners.update(repo.teams[o[1:]] if "/" in o else [o[1:]])
    owners.discard(r.requester)
    need = repo.required_approvals(r)
    if len(owners) < need:
        sys.exit(f"error: {r.path} needs {need} approvals but has {len(owners)} possible approvers")
    return rng.sample(sorted(owners), need)


def merge_events(repo: Repo, rng: random.Random, f: dict, base_sha: str) -> list[dict]:
    """What the gate writes for one merged PR that added requests: `requested` per request,
    `approved` per review and request, and `merged` with its evidence and approval records.
    A PR adding several requests verifies only when they share a requester (the gate refuses
    a request whose requester did not open the PR): with --commits above --requests every
    live request has its own PR."""
    pr, when, sha, rs = f["pr"], f["date"], f["sha"], f["added"]
    for r in rs:
        if r.requester != rs[0].requester:
            repo.unverifiable["requester-not-author (several requesters in one PR)"] += 1
        if r.start > when + MAX_START_AHEAD:
            repo.unverifiable["start-too-far-ahead (max_start_ahead 30d after the merge)"] += 1
    picked = {r.path: pick_approvers(repo, rng, r) for r in rs}
    logins = sorted({a for v in picked.values() for a in v})
    reviews = [(pr * 100 + i, a, when - dt.timedelta(minutes=20 - i)) for i, a in enumerate(logins)]
    by_login = {a: (rid, a, at) for rid, a, at in reviews}
    events = []
    for r in rs:
        base = {"request": r.path, "pr": pr}
        events.append({"at": ts(when - dt.timedelta(hours=1)), "kind": "requested", **base,
                       "request_id": r.id, "actor": rs[0].requester})
        for rid, a, at in reviews:
            events.append({"at": ts(at), "kind": "approved", **base, "actor": a,
                           "review_id": rid, "reason": APPROVAL_NOTE})
    records = [approval_record(repo, r, [by_login[a] for a in picked[r.path]], pr, when, sha, base_sha)
               for r in rs]
    events.append({"at": ts(when), "kind": "merged", "pr": pr, "paths": [r.path for r in rs],
                   "merge_commit": sha, "reason": "approved",
                   "evidence": evidence(pr, rs, reviews, teams_needed(repo, rs), when, sha, base_sha),
                   "records": records})
    return events


def plan_ledger(repo: Repo, facts: list[dict], n: int) -> list[dict]:
    """N ledger events in time order: for each request merged in the history, requested,
    one or two approvals and the merge (with its evidence), then activation and end for
    those whose window passed before the history's last day (revocation for those deleted
    early); then pull requests closed unmerged until there are N."""
    rng = repo.rng("ledger")
    approver_rng = repo.rng("approvers")
    events: list[dict] = []
    arns = {ps: f"arn:aws:sso:::permissionSet/{INSTANCE}/ps-{hashlib.sha256(ps.encode()).hexdigest()[:16]}"
            for ps in PERMISSION_SETS}
    account_id = {a.name: a.id for a in repo.accounts}
    deleted: dict[str, tuple[dt.datetime, str]] = {}
    for f in facts:
        for path, why in f["deleted"]:
            deleted[path] = (f["date"], why)
    last_pr = 0
    prev_sha = facts[0]["sha"] if facts else ""
    for f in facts:
        if f["pr"] is not None:
            last_pr = f["pr"]
        if f["added"]:
            events.extend(merge_events(repo, approver_rng, f, prev_sha))
        for r in f["added"]:
            pr = f["pr"]
            gone = deleted.get(r.path)
            if r.start <= HISTORY_LAST and (gone is None or gone[0] > r.start):
                grant = {"request": r.path, "account_id": account_id[r.account],
                         "permission_set": r.permission_set, "permission_set_arn": arns[r.permission_set],
                         "user_name": user_name(r.requester), "user_id": f"uid-{r.requester}"}
                events.append({"at": ts(r.start), "kind": "activated", **grant,
                               "ends_at": ts(r.end), "assignment_request_id": f"ar-{r.id}-c"})
                if gone is not None and gone[1] == "revoked":
                    events.append({"at": ts(gone[0]), "kind": "revoked", "request": r.path,
                                   "actor": r.requester, "reason": f"deleted by PR #{pr + 1}"})
                    events.append({"at": ts(gone[0]), "kind": "ended", **grant, "reason": "revoked",
                                   "assignment_request_id": f"ar-{r.id}-d"})
                elif r.end <= HISTORY_LAST:
                    events.append({"at": ts(r.end), "kind": "ended", **grant, "reason": "expired",
                                   "assignment_request_id": f"ar-{r.id}-d"})
        prev_sha = f["sha"]
    # pull requests that were never merged: rejected or cancelled
    covered = [i for i in range(len(repo.accounts)) if repo.rules_of_account[i]]
    k = 0
    while len(events) < n and covered:
        k += 1
        last_pr += 1
        when = HISTORY_FIRST + dt.timedelta(seconds=rng.randrange(
            int((HISTORY_LAST - HISTORY_FIRST).total_seconds())))
        r = repo.make_request(rng, f"req-unmerged-{k:06d}", rng.choice(covered), when)
        reviewer = rng.choice([u for u in repo.users if u != r.requester])
        rejected = rng.random() < 0.5
        base = {"request": r.path, "pr": last_pr}
        events.append({"at": ts(when), "kind": "requested", **base, "request_id": r.id,
                       "actor": r.requester})
        events.append({"at": ts(when + dt.timedelta(minutes=10)),
                       "kind": "changes_requested" if rejected else "approved", **base,
                       "actor": reviewer, "review_id": last_pr * 100,
                       "reason": "Too broad for this ticket." if rejected else "Fine."})
        events.append({"at": ts(when + dt.timedelta(minutes=30)), "kind": "closed_unmerged",
                       "pr": last_pr, "paths": [r.path], "actor": r.requester,
                       "reason": "rejected" if rejected else "cancelled"})
    events.sort(key=lambda e: e["at"])
    cut = sum(1 for e in events[n:] if e["kind"] == "merged")
    if cut:
        repo.unverifiable["merge not in the ledger (raise --ledger-events)"] += cut
    return events[:n]


def build_ledger(out: Path, events: list[dict], commits: int) -> int:
    """Write the `gitgrant-ledger` orphan branch: the events as JSON lines in
    events/YYYY-MM.jsonl, appended over COMMITS commits (one per reconciler run), with one
    `git fast-import`. Returns the bytes of the final event files."""
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=out,
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    files: dict[str, list[bytes]] = {}
    per = max(1, -(-len(events) // max(1, commits)))
    for c, start in enumerate(range(0, len(events), per)):
        batch = events[start:start + per]
        touched = set()
        for e in batch:
            name = f"events/{e['at'][:7]}.jsonl"
            files.setdefault(name, []).append(
                json.dumps(e, separators=(",", ":")).encode() + b"\n")
            touched.add(name)
        stamp = f"{int(dt.datetime.fromisoformat(batch[-1]['at'].replace('Z', '+00:00')).timestamp())} +0000"
        msg = f"gitgrant: {len(batch)} events\n".encode()
        buf = [f"commit refs/heads/gitgrant-ledger\n"
               f"author gitgrant <gitgrant@users.noreply.github.com> {stamp}\n"
               f"committer gitgrant <gitgrant@users.noreply.github.com> {stamp}\n"
               f"data {len(msg)}\n".encode(), msg, b"\n"]
        for name in sorted(touched):
            data = b"".join(files[name])
            buf.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode())
            buf.append(data)
            buf.append(b"\n")
        buf.append(b"\n")
        proc.stdin.write(b"".join(buf))
    proc.stdin.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("error: git fast-import of the ledger failed")
    return sum(len(b"".join(v)) for v in files.values())


def main() -> None:
    p = argparse.ArgumentParser(
        description="Generate a large, valid gitgrant access repository for benchmarks.")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--accounts", type=int, default=5000)
    p.add_argument("--ous", type=int, default=500)
    p.add_argument("--rules", type=int, default=300)
    p.add_argument("--codeowners-lines", type=int, default=2000)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--commits", type=int, default=0,
                   help="also make OUT_DIR a git repository with this many commits")
    p.add_argument("--ledger-events", type=int, default=0,
                   help="with --commits: also write a gitgrant-ledger branch with this many events")
    p.add_argument("--ledger-commits", type=int, default=20,
                   help="commits (reconciler runs) the ledger's events are appended over")
    p.add_argument("--live-now", type=int, default=0,
                   help="this many of the last live requests have their window open at --live-now-at")
    p.add_argument("--live-now-at", default=LIVE_NOW_AT,
                   help=f"the time for --live-now, RFC 3339 UTC (default {LIVE_NOW_AT})")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--groups", type=int, default=20)
    p.add_argument("--approval-rules", type=int, default=20)
    p.add_argument("--schemas-dir", default=None,
                   help="where to copy schemas/*.schema.json from (default: the project's)")
    a = p.parse_args()
    for name in ("accounts", "ous", "rules", "codeowners_lines", "requests", "commits",
                 "users", "groups", "approval_rules", "ledger_events", "ledger_commits",
                 "live_now"):
        if getattr(a, name) < 0:
            p.error(f"--{name.replace('_', '-')} must be 0 or more")
    if a.users > 99999:
        p.error("--users must be at most 99999")
    if a.ledger_events and not a.commits:
        p.error("--ledger-events needs --commits")
    try:
        at = parse_ts(a.live_now_at)
    except ValueError:
        p.error(f"--live-now-at {a.live_now_at!r} is not an RFC 3339 time")
    if at.minute % 15 or at.second or at.microsecond:
        p.error("--live-now-at must be on a quarter hour (request starts are)")
    out = Path(a.out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        sys.exit(f"error: {out} exists and is not an empty directory")

    t0 = time.monotonic()
    repo = Repo(a)
    repo.gen_ous()
    repo.gen_accounts()
    repo.gen_groups()
    repo.gen_rules()
    repo.gen_teams()
    live = repo.gen_live_requests()
    base = base_files(repo)
    t1 = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    stats = None
    ledger_bytes = None
    if a.commits > 0:
        stats, facts = build_history(repo, base, live, out)
        if a.ledger_events:
            ledger_bytes = build_ledger(out, plan_ledger(repo, facts, a.ledger_events),
                                        a.ledger_commits)
    else:
        write_tree(out, base + [(r.path, r.render()) for r in live])
    t2 = time.monotonic()

    co_lines = sum(1 for _ in (out / ".github/CODEOWNERS").open())
    print(f"wrote {out}: {len(repo.ous)} OUs, {len(repo.accounts)} accounts, "
          f"{len(repo.users)} users, {len(repo.groups)} groups, {len(repo.rules)} eligibility "
          f"rules, {a.approval_rules} approval rules, {co_lines} CODEOWNERS lines, "
          f"{len(live)} request files "
          f"({len({r.account for r in live})} accounts with requests)")
    if stats:
        print(f"git history: {stats['commits']} commits on main, {stats['expired']} "
              f"short-lived requests added and deleted, {stats['empty']} empty commits")
    if ledger_bytes is not None:
        print(f"ledger: {a.ledger_events} events on gitgrant-ledger in {a.ledger_commits} "
              f"commits, {ledger_bytes / 1e6:.1f} MB of events")
    if a.live_now:
        print(f"live now: {min(a.live_now, len(live))} requests with their window open at "
              f"{ts(repo.live_now_at)} (plan --at {ts(repo.live_now_at)})")
    for why, count in sorted(repo.unverifiable.items()):
        print(f"warning: {count} request(s) whose evidence will not verify: {why}",
              file=sys.stderr)
    print(f"time: generate {t1 - t0:.1f}s, write {t2 - t1:.1f}s, total {t2 - t0:.1f}s")


if __name__ == "__main__":
    main()
