"""``AWS::KMS::Key`` and ``AWS::KMS::Alias`` (``kms.py``): a key's description, rotation, policy and
tags through create, update and delete (pending deletion, within KMS's window), and an alias created,
moved to another key and deleted, failing with KMS's own words where KMS would refuse."""

from __future__ import annotations

import json

import pytest

from localcloud.deploy.provisioners import Provisioned, ProvisionError, provisioner_for

from .context import ACCOUNT, REGION, LocalContext


def test_kms_key_create_update_delete(ctx: LocalContext) -> None:
    kms = ctx.client("kms")
    key = provisioner_for("AWS::KMS::Key")
    assert key is not None
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    old = {
        "Description": "first",
        "EnableKeyRotation": True,
        "KeyPolicy": key_policy,
        "Tags": [{"Key": "app", "Value": "demo"}, {"Key": "gone", "Value": "soon"}],
        "PendingWindowInDays": 3,
    }
    # WHEN a key is created THEN Ref is its key id, and Arn its ARN
    made = key.create(ctx, "Key", old)
    key_id = made.physical_id
    assert made.attributes == {"Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}", "KeyId": key_id}
    # AND it has the description, the rotation, the policy and the tags
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "first"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == key_policy
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags == {"app": "demo", "gone": "soon"}
    # WHEN description, rotation and tags change THEN the same key is updated in place
    new = {
        **old,
        "Description": "second",
        "EnableKeyRotation": False,
        "Tags": [{"Key": "app", "Value": "v2"}],
    }
    assert not key.needs_replacement(old, new)
    assert key.update(ctx, "Key", key_id, old, new) == made
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "second"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags == {"app": "v2"}
    # WHEN it is deleted THEN it is pending deletion, the 3-day window raised to KMS's minimum of 7
    key.delete(ctx, key_id, new)
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    days = (metadata["DeletionDate"] - metadata["CreationDate"]).total_seconds() / 86400
    assert 6.9 < days < 7.1
    # AND deleting again, or deleting an unknown key, is no error
    key.delete(ctx, key_id, new)
    key.delete(ctx, "00000000-0000-0000-0000-000000000000", {})


def test_kms_alias_create_move_delete(ctx: LocalContext) -> None:
    kms = ctx.client("kms")
    alias = provisioner_for("AWS::KMS::Alias")
    assert alias is not None
    first, second = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
    old = {"AliasName": "alias/cdk-hnb659fds-assets-key", "TargetKeyId": first}

    def target() -> list[str]:
        aliases = kms.list_aliases()["Aliases"]
        return [a["TargetKeyId"] for a in aliases if a["AliasName"] == old["AliasName"]]

    # WHEN an alias is created THEN Ref is the alias name, and it names the key
    assert alias.create(ctx, "Alias", old) == Provisioned("alias/cdk-hnb659fds-assets-key", {})
    assert target() == [first]
    # AND another alias of that name fails, with KMS's error
    with pytest.raises(ProvisionError, match=r"^KMS alias alias/cdk-hnb659fds-assets-key: AlreadyExists"):
        alias.create(ctx, "Again", old)
    # WHEN it is moved to another key THEN it is updated in place; a new name would mean replacement
    new = {**old, "TargetKeyId": second}
    assert not alias.needs_replacement(old, new)
    assert alias.needs_replacement(old, {**new, "AliasName": "alias/other"})
    assert alias.update(ctx, "Alias", old["AliasName"], old, new).physical_id == old["AliasName"]
    assert target() == [second]
    # AND a name without the alias/ prefix, or an unknown key, fails with KMS's words
    with pytest.raises(ProvisionError, match=r"^KMS alias no-prefix: ValidationException"):
        alias.create(ctx, "Bad", {"AliasName": "no-prefix", "TargetKeyId": first})
    with pytest.raises(ProvisionError, match=r"^KMS alias alias/nowhere: NotFoundException"):
        alias.create(
            ctx, "Bad", {"AliasName": "alias/nowhere", "TargetKeyId": "0" * 8 + "-0000" * 3 + "-" + "0" * 12}
        )
    # WHEN it is deleted, twice THEN it is gone and the second delete is no error; the keys stay
    alias.delete(ctx, old["AliasName"], new)
    alias.delete(ctx, old["AliasName"], new)
    assert target() == []
    assert kms.describe_key(KeyId=second)["KeyMetadata"]["KeyState"] == "Enabled"
