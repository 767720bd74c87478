#!/usr/bin/env python3
"""Seeds an AWS API emulator (moto, at AWS_ENDPOINT_URL) with the example organization of
policies/ (OUs, accounts, permission sets, Identity Center users and groups) through the
AWS APIs, and writes the matching policies/directory.toml for it. Used by scripts/demo.sh.

Usage: demo_seed.py EXAMPLE_REPO OUT_DIRECTORY_TOML
"""
import os
import sys
import tomllib

import boto3


def main():
    example, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(example, "policies/directory.toml"), "rb") as f:
        directory = tomllib.load(f)
    with open(os.path.join(example, "policies/identities.toml"), "rb") as f:
        identities = tomllib.load(f)
    region = os.environ.get("AWS_REGION", "us-east-1")
    orgs = boto3.client("organizations", region_name=region)
    sso = boto3.client("sso-admin", region_name=region)
    ids = boto3.client("identitystore", region_name=region)

    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    ou_ids = {}
    for ou in sorted(directory.get("ou", []), key=lambda o: o["path"].count("/")):
        parent_path, _, name = ou["path"].rpartition("/")
        parent = ou_ids[parent_path] if parent_path else root
        ou_ids[ou["path"]] = orgs.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
    accounts = []
    for a in directory.get("account", []):
        status = orgs.create_account(AccountName=a["name"], Email=f"{a['name']}@acme.example")["CreateAccountStatus"]
        account_id = status["AccountId"]
        if a["ou"]:
            orgs.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ou_ids[a["ou"]])
        accounts.append((account_id, a["name"], a["ou"]))

    instance = sso.list_instances()["Instances"][0]
    instance_arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
    sets = []
    for ps in directory.get("permission_set", []):
        arn = sso.create_permission_set(InstanceArn=instance_arn, Name=ps["name"], SessionDuration="PT1H")["PermissionSet"]["PermissionSetArn"]
        # kept verbatim: moto 5.2.5 spells it `...:::instance/...`, AWS `...:::permissionSet/...`
        sets.append((ps["name"], arn))

    user_ids = {}
    for login, user_name in identities.get("users", {}).items():
        given = login.split("-")[0].capitalize()
        user_ids[user_name] = ids.create_user(IdentityStoreId=store, UserName=user_name, DisplayName=given,
                                              Name={"GivenName": given, "FamilyName": "Example"})["UserId"]
    for g in directory.get("group", []):
        group_id = ids.create_group(IdentityStoreId=store, DisplayName=g["name"])["GroupId"]
        for m in g["members"]:
            if m in user_ids:
                ids.create_group_membership(IdentityStoreId=store, GroupId=group_id, MemberId={"UserId": user_ids[m]})

    q = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = ["#:schema ../schemas/directory.schema.json", "# written by scripts/demo_seed.py for the emulated organization",
             "synced_at = 2026-11-22T00:00:00Z", f"instance_arn = {q(instance_arn)}", f"identity_store_id = {q(store)}"]
    for path, oid in sorted(ou_ids.items()):
        lines += ["", "[[ou]]", f"id = {q(oid)}", f"path = {q(path)}"]
    for account_id, name, ou in sorted(accounts, key=lambda a: a[1]):
        lines += ["", "[[account]]", f"id = {q(account_id)}", f"name = {q(name)}", f"ou = {q(ou)}"]
    for name, arn in sorted(sets):
        lines += ["", "[[permission_set]]", f"name = {q(name)}", f"arn = {q(arn)}", 'session_duration = "PT1H"']
    for g in sorted(directory.get("group", []), key=lambda g: g["name"]):
        lines += ["", "[[group]]", f"name = {q(g['name'])}", "members = [" + ", ".join(q(m) for m in sorted(g["members"])) + "]"]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
