"""Template values resolved as CloudFormation would: the local deploy driver relies on them to create."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import aws_cdk as cdk
import pytest

import app as example
from localcloud.deploy.intrinsics import Pseudo, Resolver, TemplateError, dependency_order, references

NO_VALUE = {"Ref": "AWS::NoValue"}
BOOTSTRAP_RULE = {
    "CheckBootstrapVersion": {
        "Assertions": [
            {
                "Assert": {
                    "Fn::Not": [{"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]
                },
                "AssertDescription": "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' "
                "with a recent version of the CDK CLI.",
            }
        ]
    }
}
TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "dev"},
        "Subnets": {"Type": "CommaDelimitedList", "Default": "subnet-1, subnet-2"},
        "ProjectArn": {
            "Type": "String",
            "Default": "arn:aws:rekognition:us-east-1:123456789012:project/shapes/1700000000000",
        },
        "Retention": {"Type": "Number", "Default": 7},
        "Required": {"Type": "String"},
        "PlatformSubnets": {
            "Type": "AWS::SSM::Parameter::Value<List<String>>",
            "Default": "/platform/subnets",
        },
        "BootstrapVersion": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/cdk-bootstrap/hnb659fds/version",
        },
    },
    "Mappings": {"Runtime": {"us-east-1": {"value": "python3.12"}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "ProdInUsEast1": {
            "Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]
        },
        "ProdOrStaging": {"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "Env"}, "staging"]}]},
        "KnownEnv": {"Fn::Contains": [["dev", "staging", "prod"], {"Ref": "Env"}]},
    },
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Key": {"Type": "AWS::KMS::Key"},
        "Database": {"Type": "AWS::RDS::DBInstance"},
        "Cache": {"Type": "AWS::ElastiCache::CacheCluster"},
        "Queue": {"Type": "AWS::SQS::Queue"},
    },
    "Rules": BOOTSTRAP_RULE,
}
PHYSICAL_IDS = {"Bucket": "my-bucket", "Key": "key-1234", "Database": "db-1", "Cache": "cache-1"}
ATTRIBUTES: dict[str, Mapping[str, Any]] = {
    "Bucket": {"Arn": "arn:aws:s3:::my-bucket"},
    "Key": {"Arn": "arn:aws:kms:us-east-1:123456789012:key/key-1234"},
    "Database": {"Endpoint.Address": "db.local", "Endpoint.Port": "5432"},
    "Cache": {"RedisEndpoint": {"Address": "cache.local", "Port": "6379"}},
}


def resolver(parameters: Mapping[str, str] | None = None, pseudo: Pseudo | None = None) -> Resolver:
    """The template above with Bucket, Key, Database and Cache deployed and Queue not yet."""
    return Resolver(
        TEMPLATE,
        pseudo=pseudo or Pseudo(),
        parameters=parameters,
        physical_ids=PHYSICAL_IDS,
        attributes=ATTRIBUTES,
    )


# -- resolve ---------------------------------------------------------------------------------------------

RESOLVED = [
    pytest.param(
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "/*"]]},
        "arn:aws:s3:::my-bucket/*",
        id="join-bucket-objects-arn",
    ),
    pytest.param(
        {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"},
        "cdk-hnb659fds-assets-123456789012-us-east-1",
        id="sub-bootstrap-assets-bucket",
    ),
    pytest.param(
        {"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "ProjectArn"}]}]},
        "shapes",
        id="select-project-name-from-arn",
    ),
    pytest.param({"Fn::Select": ["2", ["a", "b", "c"]]}, "c", id="select-string-index"),
    pytest.param({"Fn::Split": [",", "a,b,,c"]}, ["a", "b", "", "c"], id="split"),
    pytest.param({"Fn::GetAtt": ["Bucket", "Arn"]}, "arn:aws:s3:::my-bucket", id="getatt-list"),
    pytest.param({"Fn::GetAtt": "Key.Arn"}, ATTRIBUTES["Key"]["Arn"], id="getatt-dotted-string"),
    pytest.param({"Fn::GetAtt": ["Database", "Endpoint.Address"]}, "db.local", id="getatt-flat-nested-name"),
    pytest.param({"Fn::GetAtt": "Database.Endpoint.Port"}, "5432", id="getatt-string-nested-name"),
    pytest.param({"Fn::GetAtt": ["Cache", "RedisEndpoint.Address"]}, "cache.local", id="getatt-nested-map"),
    pytest.param(
        {"Fn::Sub": "${Bucket}|${Bucket.Arn}|${Database.Endpoint.Address}|${!Literal}|${AWS::URLSuffix}"},
        "my-bucket|arn:aws:s3:::my-bucket|db.local|${Literal}|amazonaws.com",
        id="sub-ref-getatt-escape-pseudo",
    ),
    pytest.param(
        {
            "Fn::Sub": [
                "${Name}-${Bucket}-${Env}",
                {"Name": {"Fn::GetAtt": ["Key", "Arn"]}, "Bucket": "override"},
            ]
        },
        f"{ATTRIBUTES['Key']['Arn']}-override-dev",
        id="sub-with-variables-map",
    ),
    pytest.param({"Fn::Sub": "${Retention} days"}, "7 days", id="sub-number-parameter"),
    pytest.param({"Ref": "Subnets"}, ["subnet-1", "subnet-2"], id="ref-comma-delimited-list"),
    pytest.param({"Fn::Join": [",", {"Ref": "Subnets"}]}, "subnet-1,subnet-2", id="join-over-list-parameter"),
    pytest.param({"Ref": "BootstrapVersion"}, "/cdk-bootstrap/hnb659fds/version", id="ssm-parameter-path"),
    pytest.param({"Ref": "PlatformSubnets"}, "/platform/subnets", id="ssm-list-parameter-path-stays-whole"),
    pytest.param(
        {"Fn::If": ["IsProd", {"Ref": "Queue"}, {"Ref": "Bucket"}]},
        "my-bucket",
        id="if-resolves-only-the-chosen-branch",
    ),
    pytest.param({"Fn::Equals": [{"Ref": "Retention"}, 7]}, True, id="equals-compares-as-strings"),
    pytest.param({"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}, True, id="not"),
    pytest.param({"Fn::And": [True, {"Fn::Equals": ["a", "b"]}]}, False, id="and"),
    pytest.param(
        {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "NotProd"}]}, True, id="or-of-conditions"
    ),
    pytest.param({"Fn::Contains": [{"Ref": "Subnets"}, "subnet-2"]}, True, id="contains"),
    pytest.param(
        {"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ${Env}"}}, "IyEvYmluL2Jhc2gKZWNobyBkZXY=", id="b64"
    ),
    pytest.param({"Fn::GetAZs": ""}, ["us-east-1a", "us-east-1b", "us-east-1c"], id="getazs-default-region"),
    pytest.param(
        {"Fn::Select": [0, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]}, "us-east-1a", id="getazs-of-region-ref"
    ),
    pytest.param(
        {"Fn::FindInMap": ["Runtime", {"Ref": "AWS::Region"}, "value"]}, "python3.12", id="find-in-map"
    ),
    pytest.param({"Ref": "AWS::NotificationARNs"}, [], id="notification-arns"),
    pytest.param(
        [
            {"Ref": "AWS::AccountId"},
            {"Ref": "AWS::Region"},
            {"Ref": "AWS::Partition"},
            {"Ref": "AWS::StackName"},
        ],
        ["123456789012", "us-east-1", "aws", "Stack"],
        id="pseudo-parameters",
    ),
    pytest.param(
        {"Statement": [{"Effect": "Allow", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
        {"Statement": [{"Effect": "Allow", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
        id="plain-maps-pass-through",
    ),
]


@pytest.mark.parametrize(("value", "expected"), RESOLVED)
def test_resolve_computes_what_cloudformation_would(value: Any, expected: Any) -> None:
    # GIVEN a template with some resources deployed and default parameters
    # WHEN a CDK-shaped value is resolved
    resolved = resolver().resolve(value)
    # THEN it is the value CloudFormation would pass to the resource
    assert resolved == expected


@pytest.mark.parametrize(
    ("parameters", "value", "expected"),
    [
        pytest.param({"Env": "prod"}, {"Ref": "Env"}, "prod", id="given-value-overrides-default"),
        pytest.param({"Required": "x"}, {"Ref": "Required"}, "x", id="parameter-without-default"),
        pytest.param({"BootstrapVersion": "6"}, {"Ref": "BootstrapVersion"}, "6", id="ssm-parameter-given"),
        pytest.param(
            {"PlatformSubnets": "s-1,s-2"}, {"Ref": "PlatformSubnets"}, ["s-1", "s-2"], id="ssm-list-given"
        ),
        pytest.param({"Subnets": "a,b ,c"}, {"Ref": "Subnets"}, ["a", "b", "c"], id="list-given-and-trimmed"),
        pytest.param(
            {"Env": "prod"}, {"Fn::If": ["IsProd", "big", "small"]}, "big", id="if-follows-parameter"
        ),
    ],
)
def test_given_parameters_override_defaults(parameters: dict[str, str], value: Any, expected: Any) -> None:
    # GIVEN parameter values passed to the deploy
    # WHEN a value referring to them is resolved
    resolved = resolver(parameters).resolve(value)
    # THEN the given values win over the template's Defaults
    assert resolved == expected


def test_stack_id_is_an_arn_unless_given() -> None:
    # GIVEN two pseudo parameter sets, one without a stack id
    derived = Pseudo(stack_name="Example", region="eu-west-1")
    given = Pseudo(stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/Example/abc")
    # WHEN AWS::StackId is resolved
    # THEN it is the given id, or a stable ARN of the stack in the pseudo region and account
    assert resolver(pseudo=given).resolve({"Ref": "AWS::StackId"}) == given.stack_id
    first = resolver(pseudo=derived).resolve({"Ref": "AWS::StackId"})
    assert first.startswith("arn:aws:cloudformation:eu-west-1:123456789012:stack/Example/")
    assert resolver(pseudo=derived).resolve({"Ref": "AWS::StackId"}) == first


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"BucketName": "b", "KmsKeyId": NO_VALUE}, {"BucketName": "b"}, id="removes-map-key"),
        pytest.param(["a", NO_VALUE, "b"], ["a", "b"], id="removes-list-item"),
        pytest.param(
            {"Encryption": {"Fn::If": ["IsProd", {"Fn::GetAtt": ["Queue", "Arn"]}, NO_VALUE]}, "Name": "x"},
            {"Name": "x"},
            id="if-choosing-novalue-removes-key",
        ),
        pytest.param(
            {
                "Tags": [
                    {"Key": "a", "Value": "1"},
                    {"Fn::If": ["IsProd", {"Key": "b", "Value": "2"}, NO_VALUE]},
                ]
            },
            {"Tags": [{"Key": "a", "Value": "1"}]},
            id="if-choosing-novalue-removes-list-item",
        ),
        pytest.param(
            {"Fn::Join": ["-", ["a", NO_VALUE, "b"]]}, "a-b", id="removed-inside-function-arguments"
        ),
        pytest.param(NO_VALUE, None, id="bare-novalue-is-none"),
    ],
)
def test_no_value_removes_the_enclosing_key_or_item(value: Any, expected: Any) -> None:
    # GIVEN a value with AWS::NoValue in it (Env is dev, so IsProd is false)
    # WHEN it is resolved
    resolved = resolver().resolve(value)
    # THEN the key or list item holding NoValue is gone, as if the template never had it
    assert resolved == expected


ERRORS = [
    pytest.param(
        {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}, "Fn::Cidr: unknown or unsupported", id="unknown-function"
    ),
    pytest.param({"Fn::Bogus": "x"}, "Fn::Bogus: unknown or unsupported", id="made-up-function"),
    pytest.param({"Ref": "Queue"}, "Ref: resource Queue is not deployed yet", id="ref-not-deployed"),
    pytest.param(
        {"Fn::GetAtt": ["Queue", "Arn"]},
        "Fn::GetAtt: resource Queue is not deployed yet",
        id="getatt-not-deployed",
    ),
    pytest.param(
        {"Fn::Sub": "${Queue.Arn}"}, "Fn::GetAtt: resource Queue is not deployed yet", id="sub-getatt"
    ),
    pytest.param(
        {"Fn::Sub": "${Queue}"}, "Ref: resource Queue is not deployed yet", id="sub-ref-not-deployed"
    ),
    pytest.param(
        {"Fn::GetAtt": ["Bucket", "DomainName"]},
        "Fn::GetAtt: resource Bucket has no attribute DomainName",
        id="getatt-missing-attribute",
    ),
    pytest.param(
        {"Fn::GetAtt": "Cache.RedisEndpoint.Host"},
        "Fn::GetAtt: resource Cache has no attribute RedisEndpoint.Host",
        id="getatt-missing-nested-attribute",
    ),
    pytest.param(
        {"Fn::GetAtt": ["Nowhere", "Arn"]}, "Fn::GetAtt: Nowhere is not a resource", id="getatt-unknown"
    ),
    pytest.param({"Ref": "Nowhere"}, "Ref: Nowhere is not a parameter, resource", id="ref-unknown"),
    pytest.param(
        {"Ref": "AWS::Everything"}, "Ref: unknown pseudo parameter AWS::Everything", id="unknown-pseudo"
    ),
    pytest.param({"Ref": "Required"}, "Ref: parameter Required has no value", id="parameter-without-value"),
    pytest.param(
        {"Fn::ImportValue": "SharedVpcId"},
        "Fn::ImportValue: cross-stack imports (of 'SharedVpcId') are not supported locally",
        id="import-value",
    ),
    pytest.param(
        {"Fn::Select": [3, ["a", "b", "c"]]}, "Fn::Select: index 3 is out of range", id="select-range"
    ),
    pytest.param({"Fn::Select": ["one", ["a"]]}, "Fn::Select: index must be a number", id="select-index"),
    pytest.param({"Fn::Join": ["", ["a", {"b": "c"}]]}, "Fn::Join: expected a string", id="join-non-string"),
    pytest.param({"Fn::Join": ["", "abc"]}, "Fn::Join: expected a list", id="join-non-list"),
    pytest.param(
        {"Fn::If": ["Missing", "a", "b"]}, "Condition: unknown condition Missing", id="if-unknown-cond"
    ),
    pytest.param({"Fn::Not": ["maybe"]}, "Fn::Not: expected a boolean", id="not-non-boolean"),
    pytest.param({"Fn::Sub": ["${A}", "not-a-map"]}, "Fn::Sub: expected", id="sub-bad-shape"),
    pytest.param(
        {"Fn::FindInMap": ["Runtime", "eu-west-1", "value"]}, "Fn::FindInMap: Runtime", id="map-miss"
    ),
]


@pytest.mark.parametrize(("value", "message"), ERRORS)
def test_unresolvable_values_name_the_construct(value: Any, message: str) -> None:
    # GIVEN a value the local cloud cannot resolve (Queue is in the template but not deployed)
    # WHEN it is resolved
    # THEN a TemplateError says which construct failed and why
    with pytest.raises(TemplateError, match=f"^{re.escape(message)}"):
        resolver().resolve(value)


# -- conditions and rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "pseudo", "expected"),
    [
        pytest.param(
            {},
            Pseudo(),
            {
                "IsProd": False,
                "NotProd": True,
                "ProdInUsEast1": False,
                "ProdOrStaging": False,
                "KnownEnv": True,
            },
            id="defaults",
        ),
        pytest.param(
            {"Env": "prod"},
            Pseudo(),
            {
                "IsProd": True,
                "NotProd": False,
                "ProdInUsEast1": True,
                "ProdOrStaging": True,
                "KnownEnv": True,
            },
            id="prod",
        ),
        pytest.param(
            {"Env": "prod"},
            Pseudo(region="eu-west-1"),
            {
                "IsProd": True,
                "NotProd": False,
                "ProdInUsEast1": False,
                "ProdOrStaging": True,
                "KnownEnv": True,
            },
            id="prod-elsewhere",
        ),
        pytest.param(
            {"Env": "qa"},
            Pseudo(),
            {
                "IsProd": False,
                "NotProd": True,
                "ProdInUsEast1": False,
                "ProdOrStaging": False,
                "KnownEnv": False,
            },
            id="unknown-env",
        ),
    ],
)
def test_conditions_follow_parameters_and_pseudo_parameters(
    parameters: dict[str, str], pseudo: Pseudo, expected: dict[str, bool]
) -> None:
    # GIVEN the template's conditions, which refer to each other by name
    subject = resolver(parameters, pseudo)
    # WHEN each is evaluated
    evaluated = {name: subject.condition(name) for name in TEMPLATE["Conditions"]}
    # THEN they agree with the parameters and region
    assert evaluated == expected


def test_conditions_are_evaluated_once() -> None:
    # GIVEN a resolver that has evaluated a condition
    conditions: dict[str, Any] = {"Flag": {"Fn::Equals": ["a", "a"]}}
    subject = Resolver({"Conditions": conditions}, pseudo=Pseudo())
    assert subject.condition("Flag") is True
    # WHEN the template's definition changes underneath it
    conditions["Flag"] = {"Fn::Equals": ["a", "b"]}
    # THEN the cached answer stands: one deploy sees one value per condition
    assert subject.condition("Flag") is True


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        pytest.param({"A": {"Fn::Not": [{"Condition": "A"}]}}, "Condition: A -> A is circular", id="self"),
        pytest.param(
            {"A": {"Fn::Not": [{"Condition": "B"}]}, "B": {"Fn::Not": [{"Condition": "A"}]}},
            "Condition: A -> B -> A is circular",
            id="pair",
        ),
        pytest.param(
            {"A": {"Fn::Not": [{"Condition": "Z"}]}}, "Condition: unknown condition Z", id="unknown"
        ),
        pytest.param({"A": {"Fn::Equals": ["a"]}}, "Fn::Equals: expected [value, value]", id="bad-arity"),
    ],
)
def test_broken_conditions_are_template_errors(conditions: dict[str, Any], message: str) -> None:
    # GIVEN conditions that cannot be evaluated
    subject = Resolver({"Conditions": conditions}, pseudo=Pseudo())
    # WHEN one is evaluated
    # THEN a TemplateError names the problem instead of recursing forever
    with pytest.raises(TemplateError, match=f"^{re.escape(message)}"):
        subject.condition("A")


@pytest.mark.parametrize(
    ("parameters", "failed"),
    [
        pytest.param({"BootstrapVersion": "6"}, [], id="version-6-passes"),
        pytest.param({"BootstrapVersion": "21"}, [], id="later-version-passes"),
        pytest.param(
            {"BootstrapVersion": "5"},
            [BOOTSTRAP_RULE["CheckBootstrapVersion"]["Assertions"][0]["AssertDescription"]],
            id="version-5-fails",
        ),
    ],
)
def test_cdk_bootstrap_rule(parameters: dict[str, str], failed: list[str]) -> None:
    # GIVEN the rule every CDK stack carries, and the bootstrap version the driver passes
    # WHEN the rules are checked
    # THEN only an old bootstrap version fails, with CDK's own description
    assert resolver(parameters).check_rules() == failed


@pytest.mark.parametrize(
    ("env", "failed"),
    [
        pytest.param("dev", [], id="rule-condition-false-skips-rule"),
        pytest.param("prod", ["Rule ProdOnly: assertion 2 failed"], id="undescribed-assertion-gets-a-name"),
    ],
)
def test_rule_conditions_gate_assertions(env: str, failed: list[str]) -> None:
    # GIVEN a rule that applies only in prod, with one passing and one undescribed failing assertion
    template = {
        "Parameters": {"Env": {"Type": "String"}},
        "Rules": {
            "ProdOnly": {
                "RuleCondition": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                "Assertions": [
                    {"Assert": {"Fn::Contains": [["prod"], {"Ref": "Env"}]}, "AssertDescription": "ok"},
                    {"Assert": {"Fn::Equals": [{"Ref": "Env"}, "never"]}},
                ],
            }
        },
    }
    # WHEN the rules are checked
    result = Resolver(template, pseudo=Pseudo(), parameters={"Env": env}).check_rules()
    # THEN assertions run only when the rule condition holds
    assert result == failed


# -- references and dependency order ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parameters", "expected"),
    [
        pytest.param({"Ref": "Bucket"}, (), {"Bucket"}, id="ref"),
        pytest.param({"Ref": "AWS::Region"}, (), set(), id="pseudo-ignored"),
        pytest.param({"Ref": "Env"}, ("Env",), set(), id="parameter-ignored"),
        pytest.param({"Fn::GetAtt": ["Role", "Arn"]}, (), {"Role"}, id="getatt-list"),
        pytest.param({"Fn::GetAtt": "Db.Endpoint.Address"}, (), {"Db"}, id="getatt-string"),
        pytest.param(
            {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${Key.Arn}/${!Literal}/${Env}"},
            ("Env",),
            {"Bucket", "Key"},
            id="sub-string",
        ),
        pytest.param(
            {"Fn::Sub": ["${Name}-${Bucket}", {"Name": {"Fn::GetAtt": ["Project", "Arn"]}}]},
            (),
            {"Bucket", "Project"},
            id="sub-variables-are-not-references",
        ),
        pytest.param(
            {
                "Statement": [
                    {"Resource": {"Fn::If": ["IsProd", {"Ref": "A"}, {"Fn::Join": ["", [{"Ref": "B"}]]}]}}
                ]
            },
            (),
            {"A", "B"},
            id="nested-in-maps-lists-and-functions",
        ),
        pytest.param(
            {"DependsOn": "Other", "Name": "plain"}, (), set(), id="plain-strings-are-not-references"
        ),
    ],
)
def test_references(value: Any, parameters: tuple[str, ...], expected: set[str]) -> None:
    # GIVEN a value as it appears in a resource
    # WHEN its references are collected
    found = references(value, parameters=parameters)
    # THEN they are the logical ids it cannot be created without
    assert found == expected


def resources(**definitions: dict[str, Any]) -> dict[str, Any]:
    return {"Parameters": {"Env": {"Type": "String"}}, "Resources": definitions}


def res(
    properties: dict[str, Any] | None = None, depends_on: str | list[str] | None = None
) -> dict[str, Any]:
    definition: dict[str, Any] = {"Type": "AWS::Test::Thing", "Properties": properties or {}}
    if depends_on is not None:
        definition["DependsOn"] = depends_on
    return definition


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param(
            resources(A=res(), B=res(), C=res()), ["A", "B", "C"], id="independent-keep-template-order"
        ),
        pytest.param(
            resources(
                Policy=res({"Roles": [{"Ref": "Role"}]}), Role=res(), Fn=res({"Role": {"Ref": "Role"}})
            ),
            ["Role", "Policy", "Fn"],
            id="ref-before-dependent",
        ),
        pytest.param(
            resources(Fn=res(depends_on="Policy"), Policy=res(), Other=res()),
            ["Policy", "Fn", "Other"],
            id="depends-on-string",
        ),
        pytest.param(
            resources(Cr=res({"ServiceToken": {"Fn::GetAtt": "Fn.Arn"}}, ["Policy"]), Fn=res(), Policy=res()),
            ["Fn", "Policy", "Cr"],
            id="getatt-and-depends-on-list",
        ),
        pytest.param(
            resources(Alarm=res({"Name": {"Fn::Sub": "${Env}-${Queue.Arn}"}}), Queue=res()),
            ["Queue", "Alarm"],
            id="sub-reference-but-not-parameter",
        ),
    ],
)
def test_dependency_order(template: dict[str, Any], expected: list[str]) -> None:
    # GIVEN resources that refer to each other in template order or against it
    # WHEN their creation order is computed
    order = dependency_order(template)
    # THEN each comes after what it needs, and otherwise in template order
    assert order == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            resources(A=res({"X": {"Ref": "B"}}), B=res(depends_on="A")),
            "DependsOn: circular dependency between resources A -> B -> A",
            id="two-cycle",
        ),
        pytest.param(
            resources(Z=res(), A=res({"X": {"Fn::GetAtt": ["A", "Arn"]}})),
            "DependsOn: circular dependency between resources A -> A",
            id="self-reference",
        ),
        pytest.param(
            resources(A=res(depends_on="C"), B=res(depends_on="A"), C=res(depends_on=["B"])),
            "DependsOn: circular dependency between resources A -> C -> B -> A",
            id="three-cycle",
        ),
        pytest.param(
            resources(A=res(depends_on=["Missing"])),
            "DependsOn: A depends on Missing, which is not a resource",
            id="depends-on-unknown",
        ),
        pytest.param(
            resources(A=res({"X": {"Ref": "Missing"}})),
            "Resources: A refers to Missing, which is not a resource, parameter or pseudo parameter",
            id="ref-unknown",
        ),
        pytest.param(
            resources(A=res({"X": {"Fn::Sub": "${Missing.Arn}"}})),
            "Resources: A refers to Missing",
            id="sub-unknown",
        ),
    ],
)
def test_dependency_order_rejects_impossible_templates(template: dict[str, Any], message: str) -> None:
    # GIVEN a template no creation order can satisfy
    # WHEN its order is computed
    # THEN a TemplateError names the resources involved
    with pytest.raises(TemplateError, match=f"^{re.escape(message)}"):
        dependency_order(template)


# -- the real example app --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_template() -> dict[str, Any]:
    """The example stack, synthesized in-process without bundling (`make synth` is too slow here)."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    example.ExampleStack(app, "Example")
    template: dict[str, Any] = app.synth().get_stack_by_name("Example").template
    return template


def logical_id(template: Mapping[str, Any], resource_type: str, prefix: str = "") -> str:
    defined: Mapping[str, Mapping[str, Any]] = template["Resources"]
    (found,) = [
        name
        for name, resource in defined.items()
        if resource["Type"] == resource_type and name.startswith(prefix)
    ]
    return found


class Placeholders(Mapping[str, Any]):
    """Every attribute a deployed resource could be asked for: `<LogicalId>.<Attribute>`."""

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def __getitem__(self, attribute: str) -> str:
        return f"{self.owner}.{attribute}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_example_custom_resource_is_created_after_everything_it_uses(
    example_template: dict[str, Any],
) -> None:
    # GIVEN the synthesized example stack
    custom = logical_id(example_template, "Custom::RekognitionProjectVersion")
    needed = {
        "provider function": logical_id(
            example_template, "AWS::Lambda::Function", "RekognitionCustomLabelsProviderHandler"
        ),
        "provider role policy": logical_id(
            example_template, "AWS::IAM::Policy", "RekognitionCustomLabelsProvider"
        ),
        "KMS key": logical_id(example_template, "AWS::KMS::Key"),
        "output bucket": logical_id(example_template, "AWS::S3::Bucket"),
        "project": logical_id(example_template, "AWS::Rekognition::Project"),
    }
    # WHEN its creation order is computed
    order = dependency_order(example_template)
    # THEN every resource is created once, and the model version after all it needs
    assert sorted(order) == sorted(example_template["Resources"])
    late = {what: name for what, name in needed.items() if order.index(name) > order.index(custom)}
    assert not late, f"{custom} is created before {late}: {order}"


def test_example_resolves_in_creation_order(example_template: dict[str, Any]) -> None:
    # GIVEN the example stack deployed one resource at a time, as the driver does
    pseudo = Pseudo(stack_name="Example")
    physical_ids: dict[str, str] = {}
    attributes: dict[str, Mapping[str, Any]] = {}
    resolved: dict[str, Any] = {}
    # WHEN each resource's Properties are resolved knowing only the resources created before it
    for name in dependency_order(example_template):
        subject = Resolver(
            example_template,
            pseudo=pseudo,
            parameters={"BootstrapVersion": "6"},
            physical_ids=physical_ids,
            attributes=attributes,
        )
        resolved[name] = subject.resolve(example_template["Resources"][name].get("Properties", {}))
        physical_ids[name] = f"{name}-physical"
        attributes[name] = Placeholders(name)
    final = Resolver(
        example_template,
        pseudo=pseudo,
        parameters={"BootstrapVersion": "6"},
        physical_ids=physical_ids,
        attributes=attributes,
    )
    # THEN nothing raised, the rules pass, and the values are the deployed ones
    assert final.check_rules() == []
    custom = logical_id(example_template, "Custom::RekognitionProjectVersion")
    provider = logical_id(example_template, "AWS::Lambda::Function", "RekognitionCustomLabelsProviderHandler")
    bucket = logical_id(example_template, "AWS::S3::Bucket")
    assert resolved[custom]["ServiceToken"] == f"{provider}.Arn"
    assert resolved[custom]["OutputConfig"]["S3Bucket"] == f"{bucket}-physical"
    assert resolved[provider]["Code"]["S3Bucket"] == "cdk-hnb659fds-assets-123456789012-us-east-1"
    outputs = final.resolve({name: output["Value"] for name, output in example_template["Outputs"].items()})
    # (the outputs are read after training, from the attributes step that reads the version)
    read = logical_id(example_template, "Custom::RekognitionProjectVersionAttributes")
    assert resolved[read]["VersionArn"] == f"{custom}-physical"
    assert outputs["ProjectVersionArn"] == f"{read}.Arn"
    assert outputs["EvaluationSummary"] == f"s3://{read}.EvaluationSummaryBucket/{read}.EvaluationSummaryKey"
