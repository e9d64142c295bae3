"""``AWS::SSM::Parameter`` (``ssm.py``), as the CDK bootstrap stack's version parameter uses it: its
value overwritten as a new version, tags given as a map, an ``AllowedPattern`` the provisioner enforces
(moto does not), and the ``CFN-<logical id>-<random>`` name of an unnamed parameter."""

from __future__ import annotations

import re
from typing import Any

import pytest

from localcloud.deploy.provisioners import Provisioned, ProvisionError, provisioner_for

from .context import LocalContext, create


def test_ssm_parameter_create_update_delete(ctx: LocalContext) -> None:
    ssm = ctx.client("ssm")
    parameter = provisioner_for("AWS::SSM::Parameter")
    assert parameter is not None
    name = "/cdk-bootstrap/hnb659fds/version"
    old: dict[str, Any] = {
        "Name": name,
        "Type": "String",
        "Value": "33",
        "Description": "bootstrap version",
        "AllowedPattern": "^[0-9]+$",
        "Tier": "Standard",
        "Tags": {"app": "demo", "gone": "soon"},  # (a map, for this type)
    }
    # WHEN it is created THEN Ref is its name, and Type and Value its attributes
    made = parameter.create(ctx, "CdkBootstrapVersion", old)
    assert made == Provisioned(name, {"Type": "String", "Value": "33"})
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Value"], got["Type"], got["Version"]) == ("33", "String", 1)
    (described,) = ssm.describe_parameters()["Parameters"]
    assert (described["Description"], described["AllowedPattern"]) == ("bootstrap version", "^[0-9]+$")

    def tags() -> dict[str, str]:
        listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        return {t["Key"]: t["Value"] for t in listed}

    assert tags() == {"app": "demo", "gone": "soon"}
    # AND another parameter of that name fails, with SSM's error
    with pytest.raises(ProvisionError, match=rf"^SSM parameter {name}: ParameterAlreadyExists "):
        parameter.create(ctx, "Again", old)
    # WHEN the value, description and tags change THEN the value is overwritten: a new version
    new = {**old, "Value": "34", "Tags": {"app": "v2"}}
    del new["Description"]
    assert not parameter.needs_replacement(old, new)
    assert parameter.needs_replacement(old, {**new, "Name": "/other"})
    assert parameter.update(ctx, "CdkBootstrapVersion", name, old, new) == Provisioned(
        name, {"Type": "String", "Value": "34"}
    )
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Value"], got["Version"]) == ("34", 2)
    assert not ssm.describe_parameters()["Parameters"][0].get("Description")
    assert tags() == {"app": "v2"}
    # WHEN a value its AllowedPattern refuses is given THEN the update fails, as SSM's does, and the value
    # stays (moto does not check the pattern: the provisioner does)
    with pytest.raises(ProvisionError, match=rf"^SSM parameter {name}: ParameterPatternMismatchException "):
        parameter.update(ctx, "CdkBootstrapVersion", name, new, {**new, "Value": "latest"})
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "34"
    # WHEN it is deleted, twice THEN it is gone and the second delete is no error
    parameter.delete(ctx, name, new)
    parameter.delete(ctx, name, new)
    assert ssm.describe_parameters()["Parameters"] == []


def test_ssm_parameter_without_a_name_gets_a_generated_one(ctx: LocalContext) -> None:
    # GIVEN a StringList parameter without a name
    # WHEN it is created THEN it is named CFN-<logical id>-<random>
    made = create(ctx, "AWS::SSM::Parameter", "Endpoints", {"Type": "StringList", "Value": "a,b"})
    assert re.fullmatch(r"CFN-Endpoints-[A-Z0-9]{12}", made.physical_id)
    got = ctx.client("ssm").get_parameter(Name=made.physical_id)["Parameter"]
    assert (got["Type"], got["Value"]) == ("StringList", "a,b")
    assert made.attributes == {"Type": "StringList", "Value": "a,b"}
