#!/usr/bin/env python3
"""Seeds an AWS API emulator (moto, at AWS_ENDPOINT_URL) with the Identity Center side of a
repository written by scripts/gen-large-repo.py, for the reconciler benchmarks: the managed
permission sets (by name; moto gives them its own ARNs), one Identity Center user per login
of policies/identities.toml, and the groups of policies/directory.toml with their members
(the reconciler reads a requester's group memberships live for a request in its window).
Accounts and OUs are not created: the reconciler's reads do not need them.

Prints the instance ARN to pass to `gitgrant plan --instance-arn` (moto makes a new one on
every start). Run it once per moto start, with the project's venv (boto3):

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test \\
      AWS_SECRET_ACCESS_KEY=test .venv/bin/python scripts/bench-moto-seed.py REPO
"""
import os
import sys
import tomllib

import boto3


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: bench-moto-seed.py REPO")
    repo = sys.argv[1]
    with open(os.path.join(repo, "policies/directory.toml"), "rb") as f:
        directory = tomllib.load(f)
    with open(os.path.join(repo, "policies/identities.toml"), "rb") as f:
        identities = tomllib.load(f)
    with open(os.path.join(repo, "policies/access.toml"), "rb") as f:
        access = tomllib.load(f)
    region = os.environ.get("AWS_REGION", "us-east-1")
    sso = boto3.client("sso-admin", region_name=region)
    ids = boto3.client("identitystore", region_name=region)

    instances = sso.list_instances()["Instances"]
    if len(instances) != 1:
        sys.exit(f"error: expected one Identity Center instance, found {len(instances)}")
    instance_arn, store = instances[0]["InstanceArn"], instances[0]["IdentityStoreId"]
    existing = set()
    for page in sso.get_paginator("list_permission_sets").paginate(InstanceArn=instance_arn):
        for arn in page["PermissionSets"]:
            existing.add(sso.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn)
                         ["PermissionSet"]["Name"])
    managed = access.get("settings", {}).get("managed_permission_sets", [])
    for ps in directory.get("permission_set", []):
        if ps["name"] in managed and ps["name"] not in existing:
            sso.create_permission_set(InstanceArn=instance_arn, Name=ps["name"],
                                      SessionDuration=ps.get("session_duration", "PT1H"))

    user_ids = {}
    for login, name in identities.get("users", {}).items():
        user_ids[name] = ids.create_user(IdentityStoreId=store, UserName=name, DisplayName=login,
                                         Name={"GivenName": login, "FamilyName": "Example"})["UserId"]
    memberships = 0
    for g in directory.get("group", []):
        group_id = ids.create_group(IdentityStoreId=store, DisplayName=g["name"])["GroupId"]
        for m in g["members"]:
            if m in user_ids:
                ids.create_group_membership(IdentityStoreId=store, GroupId=group_id,
                                            MemberId={"UserId": user_ids[m]})
                memberships += 1
    print(f"seeded {instance_arn}: {len(managed)} managed permission sets, {len(user_ids)} users, "
          f"{len(directory.get('group', []))} groups, {memberships} memberships", file=sys.stderr)
    print(instance_arn)


if __name__ == "__main__":
    main()
