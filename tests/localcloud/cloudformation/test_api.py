"""CloudFormation's query API of the local cloud, through a real boto3 client.

botocore parses every answer against CloudFormation's service model, and each one is also checked against
its operation's output shape (members, types, enums, required members); errors are checked for the wire
code, the exception botocore maps it to and the HTTP status AWS documents.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.model
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.handlers import json_decode_template_body

from localcloud.cloudformation.api import CloudFormationApi
from localcloud.cloudformation.endpoint import serving_cloudformation
from localcloud.cloudformation.records import save as save_record
from localcloud.cloudformation.templates import s3_location
from localcloud.deploy.assembly import StackArtifact
from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.deploy.engine import Engine
from localcloud.deploy.stack_events import Printer, StackEvent
from localcloud.gateway.server import LocalCloud
from localcloud.state.workspace import Workspace
from localcloud.testing.clouds import started_cloud

MODEL = botocore.session.get_session().get_service_model("cloudformation")
STACK_TYPE = "AWS::CloudFormation::Stack"
NO_CHANGES = "The submitted information didn't contain changes."


# -- the output-shape checker --------------------------------------------------------------------------


def shape_violations(value: Any, shape: botocore.model.Shape, where: str) -> list[str]:
    """Every way ``value`` (as boto3 returns it) departs from ``shape``; empty when it conforms."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: a {type(value).__name__}, not a structure ({shape.name})"]
        problems = [
            f"{where}.{name}: required, missing" for name in shape.required_members if name not in value
        ]
        for key, item in value.items():
            if key in shape.members:
                problems += shape_violations(item, _member(shape, key, value), f"{where}.{key}")
            else:
                problems.append(f"{where}.{key}: not a member of {shape.name}")
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: a {type(value).__name__}, not a list ({shape.name})"]
        return [
            p for i, item in enumerate(value) for p in shape_violations(item, shape.member, f"{where}[{i}]")
        ]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: a {type(value).__name__}, not a map ({shape.name})"]
        return [
            p
            for key, item in value.items()
            for p in [
                *shape_violations(key, shape.key, f"{where}<key>"),
                *shape_violations(item, shape.value, f"{where}[{key!r}]"),
            ]
        ]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: a {type(value).__name__}, not a string ({shape.name})"]
        if shape.enum and value not in shape.enum:
            return [f"{where}: {value!r} is not one of {shape.name}'s values {shape.enum}"]
        return []
    if kind == "timestamp":
        if not isinstance(value, datetime) or value.tzinfo is None:
            return [f"{where}: {value!r} is not a zoned datetime ({shape.name})"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: {value!r} is not a boolean"]
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not an integer"]
    if kind in ("float", "double"):
        return [] if isinstance(value, float) else [f"{where}: {value!r} is not a float"]
    if kind == "blob":
        return [] if isinstance(value, bytes) else [f"{where}: {value!r} is not bytes"]
    return [f"{where}: unknown shape type {kind}"]


def _member(shape: botocore.model.Shape, name: str, value: dict[str, Any]) -> botocore.model.Shape:
    """The member's shape; a stack's own event has a stack status, which the ResourceStatus enum lacks
    (REVIEW_IN_PROGRESS, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS...), though CloudFormation sends them."""
    if shape.name == "StackEvent" and name == "ResourceStatus" and value.get("ResourceType") == STACK_TYPE:
        stack_status: botocore.model.Shape = MODEL.shape_for("StackStatus")
        return stack_status
    member: botocore.model.Shape = shape.members[name]
    return member


def output_violations(operation: str, response: dict[str, Any]) -> list[str]:
    """The response of ``operation`` (ResponseMetadata aside) against the operation's output shape."""
    body = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    shape = MODEL.operation_model(operation).output_shape
    if shape is None:
        return [f"{operation}: no output, yet {sorted(body)}"] if body else []
    return shape_violations(body, shape, operation)


@dataclass
class Checked:
    """The operations whose answers were checked, in order."""

    operations: list[str] = field(default_factory=list)


def checked_client(cloud: LocalCloud, checked: Checked) -> Any:
    """A boto3 CloudFormation client of ``cloud``; every successful answer is checked against its output
    shape as botocore hands it over (a violation fails the call with an AssertionError)."""
    client = cloud.client("cloudformation")
    # boto3 turns a JSON TemplateBody into a dict; the template as the service sends it is what is checked
    client.meta.events.unregister("after-call.cloudformation.GetTemplate", json_decode_template_body)

    def check(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        problems = output_violations(model.name, parsed)
        assert problems == [], f"{model.name} does not conform to its output shape: {problems}"
        checked.operations.append(model.name)

    client.meta.events.register("after-call.cloudformation", check)
    return client


# -- fixtures -------------------------------------------------------------------------------------------


@dataclass
class Local:
    cloud: LocalCloud
    engine: Engine
    workspace: Workspace
    checked: Checked
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        """One client per service: making a boto3 client costs more than most calls."""
        if service not in self.clients:
            self.clients[service] = self.cloud.client(service)
        return self.clients[service]


@pytest.fixture
def local(tmp_path: Path, certificate: CertificatePair) -> Iterator[Local]:
    """A local cloud, the deploy engine on it and a locked workspace, as ``python -m localcloud`` has them."""
    with started_cloud("deploy") as cloud, ResponseServer(certificate) as responses:
        engine = Engine(cloud, responses, cert_file=certificate.cert_file, printer=Printer(io.StringIO()))
        workspace = Workspace(tmp_path / "state")
        with workspace.locked("test"):
            yield Local(cloud, engine, workspace, Checked())


@pytest.fixture
def api(local: Local) -> Iterator[CloudFormationApi]:
    with serving_cloudformation(local.engine, local.workspace) as served:
        yield served


@pytest.fixture
def cfn(local: Local, api: CloudFormationApi) -> Any:
    return checked_client(local.cloud, local.checked)


# -- helpers --------------------------------------------------------------------------------------------


def parameter(value: Any, name: Any = None, **extra: Any) -> dict[str, Any]:
    properties = {"Type": "String", "Value": value, **extra}
    if name is not None:
        properties["Name"] = name
    return {"Type": "AWS::SSM::Parameter", "Properties": properties}


def body_of(resources: dict[str, Any], **sections: Any) -> str:
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", **sections, "Resources": resources})


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """(wire code, message, HTTP status) of a failed call."""
    response: Any = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def settle(cfn: Any, stack: str, timeout: float = 30.0) -> dict[str, Any]:
    """DescribeStacks until the stack's operation is over (REVIEW_IN_PROGRESS waits for the user)."""
    deadline = time.monotonic() + timeout
    while True:
        (described,) = cfn.describe_stacks(StackName=stack)["Stacks"]
        status = described["StackStatus"]
        if not status.endswith("_IN_PROGRESS") or status == "REVIEW_IN_PROGRESS":
            return dict(described)
        assert time.monotonic() < deadline, f"{stack} still {status}"
        time.sleep(0.05)


def create_stack(cfn: Any, name: str, body: str, **request: Any) -> dict[str, Any]:
    """A stack made as the CDK CLI makes it: a CREATE change set, executed; described once settled."""
    cfn.create_change_set(
        StackName=name, ChangeSetName="create", ChangeSetType="CREATE", TemplateBody=body, **request
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="create")
    return settle(cfn, name)


def all_events(cfn: Any, stack: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = cfn.describe_stack_events(StackName=stack, **({"NextToken": token} if token else {}))
        events += page["StackEvents"]
        token = page.get("NextToken")
        if not token:
            return events


def stack_statuses(events: list[dict[str, Any]], stack: str) -> list[str]:
    """The stack's own statuses, oldest first."""
    return [
        e["ResourceStatus"]
        for e in reversed(events)
        if e["ResourceType"] == STACK_TYPE and e["LogicalResourceId"] == stack
    ]


def parameters_of(described: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        p["ParameterKey"]: {k: v for k, v in p.items() if k != "ParameterKey"}
        for p in described["Parameters"]
    }


def ssm_value(local: Local, name: str) -> str:
    return str(local.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])


def ssm_exists(local: Local, name: str) -> bool:
    try:
        local.client("ssm").get_parameter(Name=name)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ParameterNotFound"
        return False
    return True


def log_groups(local: Local) -> set[str]:
    return {g["logGroupName"] for g in local.client("logs").describe_log_groups()["logGroups"]}


# -- the checker itself ---------------------------------------------------------------------------------


def test_the_shape_checker_reports_each_kind_of_departure() -> None:
    # GIVEN a DescribeStacks answer as boto3 returns it, conforming
    when = datetime(2024, 1, 2, tzinfo=UTC)
    good: dict[str, Any] = {
        "Stacks": [
            {
                "StackName": "s",
                "StackId": "arn",
                "CreationTime": when,
                "StackStatus": "CREATE_COMPLETE",
                "EnableTerminationProtection": False,
                "Capabilities": ["CAPABILITY_IAM"],
                "Outputs": [{"OutputKey": "K", "OutputValue": "V"}],
            }
        ],
        "ResponseMetadata": {"RequestId": "r"},
    }
    assert output_violations("DescribeStacks", good) == []
    # WHEN each part is broken in turn THEN each is reported, by where it is
    broken: list[tuple[dict[str, Any], str]] = [
        (
            {"Stacks": [{**good["Stacks"][0], "Colour": "red"}]},
            "DescribeStacks.Stacks[0].Colour: not a member",
        ),
        ({"Stacks": {"not": "a list"}}, "DescribeStacks.Stacks: a dict, not a list"),
        ({"Stacks": ["not a structure"]}, "DescribeStacks.Stacks[0]: a str, not a structure"),
        (
            {"Stacks": [{**good["Stacks"][0], "CreationTime": "2024-01-02"}]},
            "DescribeStacks.Stacks[0].CreationTime: '2024-01-02' is not a zoned datetime",
        ),
        (
            {"Stacks": [{**good["Stacks"][0], "StackStatus": "SIDEWAYS"}]},
            "DescribeStacks.Stacks[0].StackStatus: 'SIDEWAYS' is not one of",
        ),
        (
            {"Stacks": [{**good["Stacks"][0], "Capabilities": ["CAPABILITY_EVERYTHING"]}]},
            "DescribeStacks.Stacks[0].Capabilities[0]: 'CAPABILITY_EVERYTHING' is not one of",
        ),
        (
            {"Stacks": [{**good["Stacks"][0], "EnableTerminationProtection": 0}]},
            "EnableTerminationProtection: 0 is not a boolean",
        ),
        (
            {"Stacks": [{k: v for k, v in good["Stacks"][0].items() if k != "StackStatus"}]},
            "DescribeStacks.Stacks[0].StackStatus: required, missing",
        ),
    ]
    for response, expected in broken:
        problems = output_violations("DescribeStacks", response)
        assert len(problems) == 1 and expected in problems[0], problems
    # AND an operation without output takes no members
    assert output_violations("DeleteStack", {"Extra": 1}) == ["DeleteStack: no output, yet ['Extra']"]
    # AND a stack's own event may have any stack status, a resource's event only a resource status
    event = {"StackId": "arn", "EventId": "e", "StackName": "s", "Timestamp": when, "LogicalResourceId": "s"}
    stack_event = {**event, "ResourceType": STACK_TYPE, "ResourceStatus": "REVIEW_IN_PROGRESS"}
    resource_event = {**event, "ResourceType": "AWS::SSM::Parameter", "ResourceStatus": "REVIEW_IN_PROGRESS"}
    assert output_violations("DescribeStackEvents", {"StackEvents": [stack_event]}) == []
    (problem,) = output_violations("DescribeStackEvents", {"StackEvents": [resource_event]})
    assert problem.startswith("DescribeStackEvents.StackEvents[0].ResourceStatus: 'REVIEW_IN_PROGRESS'")


def test_an_answer_outside_its_output_shape_fails_the_call(
    local: Local, cfn: Any, api: CloudFormationApi
) -> None:
    # GIVEN ListStacks answering a status CloudFormation does not have
    api.operations["ListStacks"] = lambda params: {
        "StackSummaries": [{"StackName": "s", "CreationTime": time.time(), "StackStatus": "SIDEWAYS"}]
    }
    # WHEN it is called through the checked client THEN the call fails, naming the departure
    with pytest.raises(AssertionError, match=r"StackStatus: 'SIDEWAYS' is not one of"):
        cfn.list_stacks()
    # AND an answer that conforms passes, recorded as checked
    api.operations["ListStacks"] = lambda params: {"StackSummaries": []}
    assert cfn.list_stacks()["StackSummaries"] == []
    assert local.checked.operations == ["ListStacks"]


# -- create ---------------------------------------------------------------------------------------------

CREATE_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "a parameter & a log group <demo>",
    "Parameters": {
        "Prefix": {"Type": "String", "Default": "/demo"},
        "Value": {"Type": "String"},
    },
    "Resources": {
        "Param": parameter({"Ref": "Value"}, {"Fn::Sub": "${Prefix}/value"}),
        "Logs": {"Type": "AWS::Logs::LogGroup"},
    },
    "Outputs": {
        "ParamName": {"Description": "where the value is", "Value": {"Ref": "Param"}},
        "Plain": {"Value": {"Ref": "Value"}},
    },
}


def test_a_create_change_set_is_reviewed_then_executed(local: Local, cfn: Any) -> None:
    body = json.dumps(CREATE_TEMPLATE, indent=2)
    # GIVEN no stack WHEN a CREATE change set is made for one
    made = cfn.create_change_set(
        StackName="demo",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=body,
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "v"}],
        Description="the first one",
    )
    assert made["Id"].startswith("arn:aws:cloudformation:us-east-1:123456789012:changeSet/first/")
    assert made["StackId"].startswith("arn:aws:cloudformation:us-east-1:123456789012:stack/demo/")
    # THEN the stack is there for review, with its REVIEW_IN_PROGRESS event
    described = settle(cfn, "demo")
    assert (described["StackStatus"], described["StackId"]) == ("REVIEW_IN_PROGRESS", made["StackId"])
    assert stack_statuses(all_events(cfn, "demo"), "demo") == ["REVIEW_IN_PROGRESS"]
    # AND the change set adds each resource, with every parameter's value (the defaulted one too)
    change_set = cfn.describe_change_set(StackName="demo", ChangeSetName="first")
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert (change_set["ChangeSetId"], change_set["StackId"]) == (made["Id"], made["StackId"])
    assert change_set["Description"] == "the first one"
    assert sorted(
        (c["Type"], c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"])
        for c in change_set["Changes"]
    ) == [("Resource", "Add", "Logs"), ("Resource", "Add", "Param")]
    assert {c["ResourceChange"]["ResourceType"] for c in change_set["Changes"]} == {
        "AWS::SSM::Parameter",
        "AWS::Logs::LogGroup",
    }
    assert parameters_of(change_set) == {
        "Prefix": {"ParameterValue": "/demo"},
        "Value": {"ParameterValue": "v"},
    }
    # AND it is found by its ARN alone, and listed
    assert cfn.describe_change_set(ChangeSetName=made["Id"])["ChangeSetName"] == "first"
    (summary,) = cfn.list_change_sets(StackName="demo")["Summaries"]
    assert (summary["ChangeSetId"], summary["Status"], summary["ExecutionStatus"]) == (
        made["Id"],
        "CREATE_COMPLETE",
        "AVAILABLE",
    )

    # WHEN it is executed
    assert (
        cfn.execute_change_set(StackName="demo", ChangeSetName="first")["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    described = settle(cfn, "demo")
    # THEN the stack went through CREATE_IN_PROGRESS to CREATE_COMPLETE
    events = all_events(cfn, "demo")
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert stack_statuses(events, "demo") == ["REVIEW_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    # AND it shows its outputs (with their description), parameters, description and change set
    assert {o["OutputKey"]: (o["OutputValue"], o.get("Description")) for o in described["Outputs"]} == {
        "ParamName": ("/demo/value", "where the value is"),
        "Plain": ("v", None),
    }
    assert parameters_of(described) == {
        "Prefix": {"ParameterValue": "/demo"},
        "Value": {"ParameterValue": "v"},
    }
    assert described["ChangeSetId"] == made["Id"]
    assert described["EnableTerminationProtection"] is False
    # AND the events are newest first: the stack's CREATE_COMPLETE, its physical id the stack's id
    newest, oldest = events[0], events[-1]
    assert (newest["LogicalResourceId"], newest["ResourceStatus"]) == ("demo", "CREATE_COMPLETE")
    assert (oldest["ResourceStatus"], oldest["ResourceStatusReason"]) == (
        "REVIEW_IN_PROGRESS",
        "User Initiated",
    )
    assert all(e["PhysicalResourceId"] == made["StackId"] for e in events if e["ResourceType"] == STACK_TYPE)
    assert all((e["StackId"], e["StackName"]) == (made["StackId"], "demo") for e in events)
    assert len({e["EventId"] for e in events}) == len(events)
    completed = {
        e["LogicalResourceId"]: e["PhysicalResourceId"]
        for e in events
        if e["ResourceStatus"] == "CREATE_COMPLETE" and e["ResourceType"] != STACK_TYPE
    }
    # AND the resources are deployed under the physical ids the resource listings show
    assert ssm_value(local, "/demo/value") == "v"
    assert completed["Param"] == "/demo/value"
    assert completed["Logs"] in log_groups(local)
    listed = cfn.list_stack_resources(StackName="demo")["StackResourceSummaries"]
    assert {(r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceStatus"]) for r in listed} == {
        ("Param", "/demo/value", "CREATE_COMPLETE"),
        ("Logs", completed["Logs"], "CREATE_COMPLETE"),
    }
    resources = cfn.describe_stack_resources(StackName=made["StackId"])["StackResources"]
    assert {(r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceType"]) for r in resources} == {
        ("Param", "/demo/value", "AWS::SSM::Parameter"),
        ("Logs", completed["Logs"], "AWS::Logs::LogGroup"),
    }
    assert {(r["StackName"], r["StackId"]) for r in resources} == {("demo", made["StackId"])}
    (one,) = cfn.describe_stack_resources(StackName="demo", LogicalResourceId="Logs")["StackResources"]
    assert one["PhysicalResourceId"] == completed["Logs"]
    # AND executing a change set removed the stack's change sets
    assert cfn.list_change_sets(StackName="demo")["Summaries"] == []
    # AND every answer conformed to its operation's output shape
    assert {
        "CreateChangeSet",
        "DescribeChangeSet",
        "ListChangeSets",
        "ExecuteChangeSet",
        "DescribeStacks",
        "DescribeStackEvents",
        "ListStackResources",
        "DescribeStackResources",
    } <= set(local.checked.operations)


YAML_SHORT_FORMS = """\
# YAML, with comments, short forms and characters XML escapes: & < > " '
AWSTemplateFormatVersion: "2010-09-09"
Description: "short forms & <escapes>"
Parameters:
  Greeting:
    Type: String
    Default: 'hello & "welcome"'
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Sub "${Greeting}, world"
  Copy:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !GetAtt Param.Value
Outputs:
  Name:
    Description: the copy's name
    Value: !Ref Copy
  Copied:
    Value: !GetAtt [Copy, Value]
"""

YAML_LONG_FORMS = """\
Description: long forms
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: {"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}]]}
Outputs:
  Name:
    Value:
      Ref: Param
"""

JSON_CRLF = (
    '{\r\n\t"Description": "json, CRLF and tabs",\r\n\t"Resources": {\r\n\t\t"Param": '
    '{"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "x\\r\\ny"}}\r\n\t},\r\n'
    '\t"Outputs": {"Name": {"Value": {"Ref": "Param"}}}\r\n}\r\n'
)


@pytest.mark.parametrize(
    "body",
    [json.dumps(CREATE_TEMPLATE, indent=4), YAML_SHORT_FORMS, YAML_LONG_FORMS, JSON_CRLF],
    ids=["json", "yaml-short-forms", "yaml-long-forms", "json-crlf"],
)
def test_get_template_returns_the_body_exactly_as_sent(local: Local, cfn: Any, body: str) -> None:
    parameters = [{"ParameterKey": "Value", "ParameterValue": "v"}] if "Prefix" in body else []
    # GIVEN a change set made from the body
    cfn.create_change_set(
        StackName="kept", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=body, Parameters=parameters
    )
    # WHEN its template is read THEN it is the body, byte for byte
    assert cfn.get_template(StackName="kept", ChangeSetName="c")["TemplateBody"] == body
    # AND once executed, the stack's template is that body too
    cfn.execute_change_set(StackName="kept", ChangeSetName="c")
    described = settle(cfn, "kept")
    assert described["StackStatus"] == "CREATE_COMPLETE", all_events(cfn, "kept")
    template = cfn.get_template(StackName="kept")
    assert template["TemplateBody"] == body
    assert set(template["StagesAvailable"]) <= {"Original", "Processed"}
    # AND the template was read as written (the short forms resolved)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    if body == YAML_SHORT_FORMS:
        assert described["Description"] == "short forms & <escapes>"
        assert ssm_value(local, outputs["Name"]) == 'hello & "welcome", world'
        assert outputs["Copied"] == 'hello & "welcome", world'
    elif body == YAML_LONG_FORMS:
        assert ssm_value(local, outputs["Name"]) == "a-us-east-1"
    elif body == JSON_CRLF:
        assert ssm_value(local, outputs["Name"]) == "x\r\ny"


def test_stack_events_come_newest_first_in_pages(cfn: Any) -> None:
    # GIVEN a stack whose create made more events than a page holds (2 per resource, 3 of the stack)
    resources = {f"Meta{i:02d}": {"Type": "AWS::CDK::Metadata"} for i in range(55)}
    assert create_stack(cfn, "busy", body_of(resources))["StackStatus"] == "CREATE_COMPLETE"
    # WHEN the events are read page by page
    first = cfn.describe_stack_events(StackName="busy")
    second = cfn.describe_stack_events(StackName="busy", NextToken=first["NextToken"])
    # THEN the first page is full and the second ends them
    assert len(first["StackEvents"]) == 100
    assert "NextToken" not in second
    events = first["StackEvents"] + second["StackEvents"]
    assert len(events) == 55 * 2 + 3
    assert len({e["EventId"] for e in events}) == len(events)
    # AND across pages they are newest first: from the stack's CREATE_COMPLETE to its REVIEW_IN_PROGRESS,
    # each resource's CREATE_COMPLETE before (newer than) its CREATE_IN_PROGRESS
    assert (events[0]["LogicalResourceId"], events[0]["ResourceStatus"]) == ("busy", "CREATE_COMPLETE")
    assert (events[-1]["LogicalResourceId"], events[-1]["ResourceStatus"]) == ("busy", "REVIEW_IN_PROGRESS")
    position = {(e["LogicalResourceId"], e["ResourceStatus"]): i for i, e in enumerate(events)}
    assert all(
        position[(f"Meta{i:02d}", "CREATE_COMPLETE")] < position[(f"Meta{i:02d}", "CREATE_IN_PROGRESS")]
        for i in range(55)
    )
    # AND boto3's own paginator reads the same events
    paged = [
        e
        for page in cfn.get_paginator("describe_stack_events").paginate(StackName="busy")
        for e in page["StackEvents"]
    ]
    assert [e["EventId"] for e in paged] == [e["EventId"] for e in events]


def test_the_stack_description_is_the_templates_not_the_change_sets(cfn: Any) -> None:
    # GIVEN a template with a Description, deployed through a change set described as the CDK CLI does
    body = body_of({"Param": parameter("v")}, Description="what the stack is for")
    cfn.create_change_set(
        StackName="described",
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType="CREATE",
        TemplateBody=body,
        Description="CDK Changeset for execution 731f7c2c-6f8e-4d5e-9d3a-1a2b3c4d5e6f",
    )
    cfn.execute_change_set(StackName="described", ChangeSetName="cdk-deploy-change-set")
    # WHEN the stack is described THEN its description is the template's
    assert settle(cfn, "described")["Description"] == "what the stack is for"


def test_stack_events_are_newest_first_by_timestamp_whatever_order_they_are_recorded_in(
    cfn: Any, api: CloudFormationApi
) -> None:
    # GIVEN a stack, and two resource events stamped in one order but recorded in the other, as two of the
    # engine's concurrent threads do when the later one takes the API's lock first
    cfn.create_change_set(
        StackName="racy",
        ChangeSetName="c",
        ChangeSetType="CREATE",
        TemplateBody=body_of({"P": parameter("v")}),
    )
    now = time.time() + 1
    earlier = StackEvent("racy", "Early", "AWS::SSM::Parameter", "CREATE_IN_PROGRESS", timestamp=now)
    later = StackEvent("racy", "Late", "AWS::SSM::Parameter", "CREATE_IN_PROGRESS", timestamp=now + 0.5)
    api.record_event(later)
    api.record_event(earlier)
    # WHEN the stack's events are read
    events = all_events(cfn, "racy")
    # THEN they come in reverse chronological order, as CloudFormation documents
    timestamps = [e["Timestamp"] for e in events]
    assert timestamps == sorted(timestamps, reverse=True), [
        (e["LogicalResourceId"], e["Timestamp"]) for e in events
    ]


# -- the no-changes change set, missing change sets -------------------------------------------------------


def test_the_same_template_and_parameters_again_make_a_change_set_that_cannot_execute(cfn: Any) -> None:
    sections = {"Parameters": {"Value": {"Type": "String"}, "Kind": {"Type": "String", "Default": "String"}}}
    body = body_of({"Param": parameter({"Ref": "Value"}, Type={"Ref": "Kind"})}, **sections)
    given = [{"ParameterKey": "Value", "ParameterValue": "one"}]
    stack_id = create_stack(cfn, "steady", body, Parameters=given)["StackId"]
    # GIVEN the stack deployed WHEN an UPDATE change set gives the same template and parameters
    made = cfn.create_change_set(
        StackName="steady", ChangeSetName="again", ChangeSetType="UPDATE", TemplateBody=body, Parameters=given
    )
    assert made["StackId"] == stack_id
    # THEN it failed for want of changes, and is not executable
    change_set = cfn.describe_change_set(StackName="steady", ChangeSetName="again")
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert change_set["StatusReason"].startswith(NO_CHANGES)
    assert change_set["Changes"] == []
    (summary,) = cfn.list_change_sets(StackName="steady")["Summaries"]
    assert (summary["Status"], summary["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert summary["StatusReason"].startswith(NO_CHANGES)
    # AND executing it is refused as InvalidChangeSetStatus, the stack untouched
    with pytest.raises(cfn.exceptions.InvalidChangeSetStatusException) as refused:
        cfn.execute_change_set(StackName="steady", ChangeSetName="again")
    assert error_of(refused)[0::2] == ("InvalidChangeSetStatus", 400)
    assert settle(cfn, "steady")["StackStatus"] == "CREATE_COMPLETE"
    # AND the previous template and values say the same (no changes either)
    cfn.create_change_set(
        StackName="steady",
        ChangeSetName="previous",
        ChangeSetType="UPDATE",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Value", "UsePreviousValue": True}],
    )
    assert cfn.describe_change_set(StackName="steady", ChangeSetName="previous")["Status"] == "FAILED"
    # AND it can be deleted, as the CDK CLI deletes it
    cfn.delete_change_set(StackName="steady", ChangeSetName="again")
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="steady")["Summaries"]] == ["previous"]
    # AND a changed value is a change
    cfn.create_change_set(
        StackName="steady",
        ChangeSetName="changed",
        ChangeSetType="UPDATE",
        TemplateBody=body,
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "two"}],
    )
    changed = cfn.describe_change_set(StackName="steady", ChangeSetName="changed")
    assert (changed["Status"], changed["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")


def test_a_missing_change_set_is_not_found_except_by_delete_on_an_existing_stack(cfn: Any) -> None:
    # GIVEN a stack under review with one change set
    made = cfn.create_change_set(
        StackName="present",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=body_of({"P": parameter("v")}),
    )
    # WHEN another change set is described or executed THEN it is ChangeSetNotFound, HTTP 404
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException) as described:
        cfn.describe_change_set(StackName="present", ChangeSetName="absent")
    code, message, status = error_of(described)
    assert (code, status) == ("ChangeSetNotFound", 404)
    assert "absent" in message
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException) as executed:
        cfn.execute_change_set(StackName="present", ChangeSetName="absent")
    assert error_of(executed)[0::2] == ("ChangeSetNotFound", 404)
    # AND so is an ARN naming no change set
    missing_arn = made["Id"].replace("/first/", "/absent/")
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException):
        cfn.describe_change_set(ChangeSetName=missing_arn)
    # AND a name without a stack is a ValidationError
    with pytest.raises(ClientError) as unqualified:
        cfn.describe_change_set(ChangeSetName="first")
    assert error_of(unqualified)[0::2] == ("ValidationError", 400)
    # WHEN a missing change set of the existing stack is deleted THEN that succeeds, the others stay
    cfn.delete_change_set(StackName="present", ChangeSetName="absent")
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="present")["Summaries"]] == ["first"]
    # AND of a missing stack, it is a ValidationError
    with pytest.raises(ClientError) as no_stack:
        cfn.delete_change_set(StackName="nowhere", ChangeSetName="absent")
    code, message, status = error_of(no_stack)
    assert (code, status) == ("ValidationError", 400)
    assert "nowhere" in message
    # AND an existing one, deleted by its ARN, is gone
    cfn.delete_change_set(ChangeSetName=made["Id"])
    assert cfn.list_change_sets(StackName="present")["Summaries"] == []
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException):
        cfn.describe_change_set(StackName="present", ChangeSetName="first")


# -- updates --------------------------------------------------------------------------------------------

BEFORE_UPDATE = {
    "Named": parameter("one", "/app/old"),
    "InPlace": parameter("one"),
    "Reader": parameter({"Ref": "Named"}),
    "Dropped": {"Type": "AWS::Logs::LogGroup"},
}
AFTER_UPDATE = {
    "Named": parameter("one", "/app/new"),
    "InPlace": parameter("two"),
    "Reader": parameter({"Ref": "Named"}),
}


def test_an_update_change_set_lists_replacements_modifications_and_removals(local: Local, cfn: Any) -> None:
    create_stack(cfn, "app", body_of(BEFORE_UPDATE))
    before = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]
    }
    assert before["Named"] == "/app/old" and before["Dropped"] in log_groups(local)
    # GIVEN the stack deployed WHEN an UPDATE change set renames one parameter, changes another's value
    # and drops the log group
    cfn.create_change_set(
        StackName="app", ChangeSetName="update", ChangeSetType="UPDATE", TemplateBody=body_of(AFTER_UPDATE)
    )
    change_set = cfn.describe_change_set(StackName="app", ChangeSetName="update")
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in change_set["Changes"]}
    assert set(changes) == {"Named", "InPlace", "Reader", "Dropped"}
    # THEN a new Name replaces the parameter
    named = changes["Named"]
    assert (named["Action"], named["Replacement"], named["PhysicalResourceId"]) == (
        "Modify",
        "True",
        "/app/old",
    )
    assert named["Scope"] == ["Properties"]
    assert named["Details"] == [
        {
            "Target": {"Attribute": "Properties", "Name": "Name", "RequiresRecreation": "Always"},
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        }
    ]
    # AND a new Value is changed in place
    in_place = changes["InPlace"]
    assert (in_place["Action"], in_place["Replacement"]) == ("Modify", "False")
    assert in_place["PhysicalResourceId"] == before["InPlace"]
    assert [d["Target"] for d in in_place["Details"]] == [
        {"Attribute": "Properties", "Name": "Value", "RequiresRecreation": "Never"}
    ]
    # AND what refers to the replaced parameter changes with it, as a dynamic change it causes
    (reader,) = changes["Reader"]["Details"]
    assert (changes["Reader"]["Action"], changes["Reader"]["Replacement"]) == ("Modify", "False")
    assert (reader["Evaluation"], reader["ChangeSource"], reader["CausingEntity"]) == (
        "Dynamic",
        "ResourceReference",
        "Named",
    )
    # AND the dropped log group is removed
    dropped = changes["Dropped"]
    assert (dropped["Action"], dropped["PhysicalResourceId"], dropped["ResourceType"]) == (
        "Remove",
        before["Dropped"],
        "AWS::Logs::LogGroup",
    )
    assert "Replacement" not in dropped

    # WHEN it is executed
    cfn.execute_change_set(StackName="app", ChangeSetName="update")
    described = settle(cfn, "app")
    # THEN the stack is updated, through its cleanup
    assert described["StackStatus"] == "UPDATE_COMPLETE"
    assert described["LastUpdatedTime"] >= described["CreationTime"]
    events = all_events(cfn, "app")
    assert stack_statuses(events, "app") == [
        "REVIEW_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]
    deleted = {e["PhysicalResourceId"] for e in events if e["ResourceStatus"] == "DELETE_COMPLETE"}
    assert deleted == {"/app/old", before["Dropped"]}
    # AND the old parameter and the log group are gone, the new one there, the other changed in place
    assert not ssm_exists(local, "/app/old")
    assert before["Dropped"] not in log_groups(local)
    after = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]
    }
    assert after == {"Named": "/app/new", "InPlace": before["InPlace"], "Reader": before["Reader"]}
    assert ssm_value(local, before["InPlace"]) == "two"
    assert ssm_value(local, before["Reader"]) == "/app/new"


def test_a_new_parameter_value_lists_the_resources_it_modifies(cfn: Any) -> None:
    sections = {"Parameters": {"Greeting": {"Type": "String"}}}
    body = body_of({"Param": parameter({"Ref": "Greeting"}), "Other": parameter("fixed")}, **sections)
    create_stack(cfn, "greeter", body, Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "hello"}])
    # GIVEN the stack deployed WHEN an UPDATE change set gives the parameter a new value
    cfn.create_change_set(
        StackName="greeter",
        ChangeSetName="bye",
        ChangeSetType="UPDATE",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bye"}],
    )
    change_set = cfn.describe_change_set(StackName="greeter", ChangeSetName="bye")
    # THEN the resource referring to it is modified in place, the change caused by the parameter
    changes = [c["ResourceChange"] for c in change_set["Changes"]]
    assert len(changes) == 1, f"one change expected: {changes}"
    (change,) = changes
    assert (change["Action"], change["LogicalResourceId"], change["Replacement"]) == (
        "Modify",
        "Param",
        "False",
    )
    assert {(d["ChangeSource"], d.get("CausingEntity")) for d in change["Details"]} >= {
        ("ParameterReference", "Greeting")
    }


# -- parameters -----------------------------------------------------------------------------------------

PARAMETERS_TEMPLATE = {
    "Parameters": {
        "Names": {"Type": "CommaDelimitedList"},
        "Greeting": {"Type": "AWS::SSM::Parameter::Value<String>"},
        "Suffix": {"Type": "String", "Default": "!"},
        "Count": {"Type": "Number", "AllowedValues": ["3", "4"]},
    },
    "Resources": {
        "Joined": parameter({"Fn::Join": ["+", {"Ref": "Names"}]}),
        "Second": parameter({"Fn::Select": [1, {"Ref": "Names"}]}),
        "Greeted": parameter({"Fn::Sub": "${Greeting}${Suffix}"}),
        "Counted": parameter({"Ref": "Count"}),
    },
    "Outputs": {name: {"Value": {"Ref": name}} for name in ("Joined", "Second", "Greeted", "Counted")},
}


def deployed_values(local: Local, described: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: ssm_value(local, o["OutputValue"]) for o in described["Outputs"]}


def test_parameters_lists_defaults_ssm_values_and_previous_values(local: Local, cfn: Any) -> None:
    local.client("ssm").put_parameter(Name="/config/greeting", Value="hello", Type="String")
    # GIVEN a list, an SSM-typed parameter naming a parameter in SSM, a defaulted one and a number
    given = [
        {"ParameterKey": "Names", "ParameterValue": "a,b,c"},
        {"ParameterKey": "Greeting", "ParameterValue": "/config/greeting"},
        {"ParameterKey": "Count", "ParameterValue": "3"},
    ]
    # WHEN the stack is created with them
    described = create_stack(cfn, "params", json.dumps(PARAMETERS_TEMPLATE), Parameters=given)
    # THEN each is listed, the defaulted one too, the SSM-typed one with the value it resolved to
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert parameters_of(described) == {
        "Names": {"ParameterValue": "a,b,c"},
        "Greeting": {"ParameterValue": "/config/greeting", "ResolvedValue": "hello"},
        "Suffix": {"ParameterValue": "!"},
        "Count": {"ParameterValue": "3"},
    }
    # AND the resources got those values
    assert deployed_values(local, described) == {
        "Joined": "a+b+c",
        "Second": "b",
        "Greeted": "hello!",
        "Counted": "3",
    }
    # WHEN the SSM parameter changes and an update keeps the previous values but for Count
    local.client("ssm").put_parameter(Name="/config/greeting", Value="hi", Type="String", Overwrite=True)
    cfn.create_change_set(
        StackName="params",
        ChangeSetName="update",
        ChangeSetType="UPDATE",
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": "Names", "UsePreviousValue": True},
            {"ParameterKey": "Greeting", "UsePreviousValue": True},
            {"ParameterKey": "Count", "ParameterValue": "4"},
        ],
    )
    # THEN the change set shows the previous values, the SSM one resolved anew
    change_set = cfn.describe_change_set(StackName="params", ChangeSetName="update")
    assert parameters_of(change_set) == {
        "Names": {"ParameterValue": "a,b,c"},
        "Greeting": {"ParameterValue": "/config/greeting", "ResolvedValue": "hi"},
        "Suffix": {"ParameterValue": "!"},
        "Count": {"ParameterValue": "4"},
    }
    # AND executing it deploys them
    cfn.execute_change_set(StackName="params", ChangeSetName="update")
    described = settle(cfn, "params")
    assert described["StackStatus"] == "UPDATE_COMPLETE"
    assert parameters_of(described)["Greeting"] == {
        "ParameterValue": "/config/greeting",
        "ResolvedValue": "hi",
    }
    assert deployed_values(local, described) == {
        "Joined": "a+b+c",
        "Second": "b",
        "Greeted": "hi!",
        "Counted": "4",
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            [("Names", "a,b"), ("Greeting", "/config/missing"), ("Count", "3")],
            "Unable to fetch parameters [/config/missing]",
        ),
        ([("Greeting", "/config/greeting"), ("Count", "3")], "Names"),
        ([("Names", "a"), ("Greeting", "/config/greeting"), ("Count", "3"), ("Bogus", "x")], "Bogus"),
        ([("Names", "a"), ("Greeting", "/config/greeting"), ("Count", "5")], "Count"),
    ],
    ids=["ssm-parameter-missing", "required-without-value", "undeclared", "not-allowed"],
)
def test_a_parameter_that_cannot_be_resolved_is_a_validation_error(
    local: Local, cfn: Any, given: list[tuple[str, str]], expected: str
) -> None:
    local.client("ssm").put_parameter(Name="/config/greeting", Value="hello", Type="String")
    # GIVEN parameters one of which has no usable value WHEN a CREATE change set is made with them
    with pytest.raises(ClientError) as refused:
        cfn.create_change_set(
            StackName="unresolved",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateBody=json.dumps(PARAMETERS_TEMPLATE),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in given],
        )
    # THEN it is a ValidationError naming it, and no stack is left behind
    code, message, status = error_of(refused)
    assert (code, status) == ("ValidationError", 400)
    assert expected in message
    with pytest.raises(ClientError, match="Stack with id unresolved does not exist"):
        cfn.describe_stacks(StackName="unresolved")


# -- templates ------------------------------------------------------------------------------------------


def test_a_template_url_names_an_object_of_the_local_s3_either_way(local: Local, cfn: Any) -> None:
    s3 = local.client("s3")
    s3.create_bucket(Bucket="templates")
    body = YAML_SHORT_FORMS
    s3.put_object(Bucket="templates", Key="nested/stack.yaml", Body=body.encode())
    urls = {
        "path-style": f"{local.cloud.endpoint_url}/templates/nested/stack.yaml",
        "virtual-hosted": "https://templates.s3.us-east-1.amazonaws.com/nested/stack.yaml",
    }
    for name, url in urls.items():
        # GIVEN the template in S3 WHEN a change set names it by URL
        cfn.create_change_set(StackName=name, ChangeSetName="c", ChangeSetType="CREATE", TemplateURL=url)
        # THEN the change set is made from it
        change_set = cfn.describe_change_set(StackName=name, ChangeSetName="c")
        assert change_set["Status"] == "CREATE_COMPLETE", name
        assert {c["ResourceChange"]["LogicalResourceId"] for c in change_set["Changes"]} == {"Param", "Copy"}
        assert cfn.get_template(StackName=name, ChangeSetName="c")["TemplateBody"] == body
    # AND it deploys
    cfn.execute_change_set(StackName="virtual-hosted", ChangeSetName="c")
    assert settle(cfn, "virtual-hosted")["StackStatus"] == "CREATE_COMPLETE"
    assert cfn.get_template(StackName="virtual-hosted")["TemplateBody"] == body
    # AND an object that is not there is a ValidationError
    with pytest.raises(ClientError) as missing:
        cfn.create_change_set(
            StackName="nothing",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateURL=f"{local.cloud.endpoint_url}/templates/nested/absent.yaml",
        )
    assert error_of(missing)[0::2] == ("ValidationError", 400)


def test_a_template_body_is_at_most_51200_bytes(cfn: Any) -> None:
    compact = body_of({"P": parameter("v")})
    at_limit = compact + " " * (51_200 - len(compact))
    # GIVEN a body of exactly 51,200 bytes WHEN it is sent THEN it is taken
    cfn.create_change_set(StackName="big", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=at_limit)
    assert cfn.get_template(StackName="big", ChangeSetName="c")["TemplateBody"] == at_limit
    # AND one byte more is a ValidationError
    with pytest.raises(ClientError) as refused:
        cfn.create_change_set(
            StackName="bigger", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=at_limit + " "
        )
    code, message, status = error_of(refused)
    assert (code, status) == ("ValidationError", 400)
    assert "51200" in message


# -- errors ---------------------------------------------------------------------------------------------

ROLE: dict[str, Any] = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    },
}


def test_create_change_set_refuses_as_cloudformation_does(cfn: Any) -> None:
    create_stack(cfn, "existing", body_of({"P": parameter("v")}))
    # GIVEN a stack WHEN a CREATE change set names it THEN AlreadyExistsException
    with pytest.raises(cfn.exceptions.AlreadyExistsException) as exists:
        cfn.create_change_set(
            StackName="existing",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateBody=body_of({"P": parameter("w")}),
        )
    assert error_of(exists)[0::2] == ("AlreadyExistsException", 400)
    # AND an UPDATE of a missing stack is a ValidationError
    with pytest.raises(ClientError) as missing:
        cfn.create_change_set(
            StackName="missing",
            ChangeSetName="c",
            ChangeSetType="UPDATE",
            TemplateBody=body_of({"P": parameter("w")}),
        )
    code, message, status = error_of(missing)
    assert (code, status) == ("ValidationError", 400)
    assert "missing" in message
    # AND IAM resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM
    with pytest.raises(cfn.exceptions.InsufficientCapabilitiesException) as iam:
        cfn.create_change_set(
            StackName="roles", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=body_of({"Role": ROLE})
        )
    code, message, status = error_of(iam)
    assert (code, status) == ("InsufficientCapabilitiesException", 400)
    assert "CAPABILITY_IAM" in message
    named = {**ROLE, "Properties": {**ROLE["Properties"], "RoleName": "named-role"}}
    with pytest.raises(cfn.exceptions.InsufficientCapabilitiesException, match="CAPABILITY_NAMED_IAM"):
        cfn.create_change_set(
            StackName="roles",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateBody=body_of({"Role": named}),
            Capabilities=["CAPABILITY_IAM"],
        )
    cfn.create_change_set(
        StackName="roles",
        ChangeSetName="c",
        ChangeSetType="CREATE",
        TemplateBody=body_of({"Role": ROLE}),
        Capabilities=["CAPABILITY_IAM"],
    )
    assert cfn.describe_change_set(StackName="roles", ChangeSetName="c")["Capabilities"] == ["CAPABILITY_IAM"]
    # AND a resource type the local cloud does not provision is a ValidationError naming it
    with pytest.raises(ClientError) as unsupported:
        cfn.create_change_set(
            StackName="vpc",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateBody=body_of(
                {"Net": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}
            ),
        )
    code, message, status = error_of(unsupported)
    assert (code, status) == ("ValidationError", 400)
    assert "AWS::EC2::VPC" in message
    # AND so is a wait condition handle: the engine's wait conditions take no handle
    with pytest.raises(ClientError) as handle:
        cfn.create_change_set(
            StackName="vpc",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateBody=body_of({"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}),
        )
    assert "AWS::CloudFormation::WaitConditionHandle" in error_of(handle)[1]
    # AND a stack that is not there is not described
    with pytest.raises(ClientError) as undescribed:
        cfn.describe_stacks(StackName="vpc")
    assert error_of(undescribed) == ("ValidationError", "Stack with id vpc does not exist", 400)


def test_a_failed_create_rolls_back_and_the_stack_can_then_be_deleted(local: Local, cfn: Any) -> None:
    # GIVEN a log group, then (after it) a parameter SSM refuses for its type
    resources = {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/failing/logs"}},
        "Bad": {**parameter("v", Type="Bogus"), "DependsOn": "Logs"},
    }
    # WHEN the stack is created
    described = create_stack(cfn, "failing", body_of(resources))
    stack_id = described["StackId"]
    # THEN it rolled back: still there, in ROLLBACK_COMPLETE, with nothing left deployed
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "/failing/logs" not in log_groups(local)
    assert cfn.list_stack_resources(StackName="failing")["StackResourceSummaries"] == []
    events = all_events(cfn, "failing")
    assert stack_statuses(events, "failing") == [
        "REVIEW_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_COMPLETE",
    ]
    # AND its events say why
    (failed,) = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "Bad"
    assert "Bogus" in failed["ResourceStatusReason"]
    assert ("Logs", "DELETE_COMPLETE") in {(e["LogicalResourceId"], e["ResourceStatus"]) for e in events}
    # AND it cannot be updated
    with pytest.raises(ClientError, match="ROLLBACK_COMPLETE"):
        cfn.create_change_set(
            StackName="failing",
            ChangeSetName="u",
            ChangeSetType="UPDATE",
            TemplateBody=body_of({"P": parameter("v")}),
        )
    # WHEN it is deleted
    cfn.delete_stack(StackName="failing")
    # THEN by its id it is DELETE_COMPLETE, by its name no more
    gone = settle(cfn, stack_id)
    assert (gone["StackStatus"], gone["StackName"]) == ("DELETE_COMPLETE", "failing")
    assert "DeletionTime" in gone
    with pytest.raises(ClientError) as by_name:
        cfn.describe_stacks(StackName="failing")
    assert error_of(by_name) == ("ValidationError", "Stack with id failing does not exist", 400)
    assert all_events(cfn, stack_id)[0]["ResourceStatus"] == "DELETE_COMPLETE"
    deleted = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert [(s["StackId"], s["StackName"]) for s in deleted] == [(stack_id, "failing")]
    assert "DeletionTime" in deleted[0]
    # AND the name can be used again, for a new stack
    again = cfn.create_change_set(
        StackName="failing",
        ChangeSetName="c",
        ChangeSetType="CREATE",
        TemplateBody=body_of({"P": parameter("v")}),
    )
    assert again["StackId"] != stack_id


# -- deleting, termination protection, listings --------------------------------------------------------------


def test_delete_stack_honours_termination_protection(local: Local, cfn: Any) -> None:
    # GIVEN no such stack WHEN it is deleted THEN that succeeds
    cfn.delete_stack(StackName="never-was")
    stack_id = create_stack(cfn, "guarded", body_of({"P": parameter("v", "/guarded/p")}))["StackId"]
    # GIVEN a stack WHEN termination protection is turned on THEN it says so
    assert (
        cfn.update_termination_protection(StackName="guarded", EnableTerminationProtection=True)["StackId"]
        == stack_id
    )
    assert settle(cfn, "guarded")["EnableTerminationProtection"] is True
    # AND deleting it is a ValidationError, the stack and its resources untouched
    with pytest.raises(ClientError) as protected:
        cfn.delete_stack(StackName="guarded")
    code, message, status = error_of(protected)
    assert (code, status) == ("ValidationError", 400)
    assert "TerminationProtection" in message
    assert settle(cfn, "guarded")["StackStatus"] == "CREATE_COMPLETE"
    assert ssm_exists(local, "/guarded/p")
    # WHEN it is turned off THEN the stack is deleted, with its resources
    cfn.update_termination_protection(StackName="guarded", EnableTerminationProtection=False)
    cfn.delete_stack(StackName="guarded")
    assert settle(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert not ssm_exists(local, "/guarded/p")
    statuses = stack_statuses(all_events(cfn, stack_id), "guarded")
    assert statuses[-2:] == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]


def test_list_stacks_filters_by_status(cfn: Any) -> None:
    # GIVEN a stack deployed, another under review and a third deleted
    complete = create_stack(cfn, "complete", body_of({"P": parameter("v")}))["StackId"]
    review = cfn.create_change_set(
        StackName="review",
        ChangeSetName="c",
        ChangeSetType="CREATE",
        TemplateBody=body_of({"P": parameter("v")}),
    )["StackId"]
    deleted = create_stack(cfn, "deleted", body_of({"P": parameter("v")}))["StackId"]
    cfn.delete_stack(StackName="deleted")
    settle(cfn, deleted)

    def listed(*statuses: str) -> set[tuple[str, str]]:
        request = {"StackStatusFilter": list(statuses)} if statuses else {}
        return {(s["StackId"], s["StackStatus"]) for s in cfn.list_stacks(**request)["StackSummaries"]}

    # WHEN they are listed by status THEN each filter picks its own
    assert listed("CREATE_COMPLETE") == {(complete, "CREATE_COMPLETE")}
    assert listed("REVIEW_IN_PROGRESS") == {(review, "REVIEW_IN_PROGRESS")}
    assert listed("DELETE_COMPLETE", "REVIEW_IN_PROGRESS") == {
        (deleted, "DELETE_COMPLETE"),
        (review, "REVIEW_IN_PROGRESS"),
    }
    assert listed("UPDATE_COMPLETE") == set()
    # AND without a filter every one is listed, while DescribeStacks shows the live ones only
    assert {stack_id for stack_id, _ in listed()} == {complete, review, deleted}
    assert {s["StackId"] for s in cfn.describe_stacks()["Stacks"]} == {complete, review}


# -- records -----------------------------------------------------------------------------------------------


def test_a_new_api_on_the_same_workspace_still_knows_the_stacks(local: Local) -> None:
    body = YAML_SHORT_FORMS
    # GIVEN a stack made, and an update change set made for it, through one CloudFormation API
    with serving_cloudformation(local.engine, local.workspace):
        cfn = checked_client(local.cloud, local.checked)
        made = create_stack(cfn, "kept", body, Tags=[{"Key": "team", "Value": "vision"}])
        cfn.create_change_set(
            StackName="kept",
            ChangeSetName="later",
            ChangeSetType="UPDATE",
            UsePreviousTemplate=True,
            Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bye"}],
        )
        events = all_events(cfn, "kept")
    # WHEN that API is gone and another serves the same workspace
    with serving_cloudformation(local.engine, local.workspace):
        cfn = checked_client(local.cloud, local.checked)
        # THEN it describes the stack, its events and template as before
        described = settle(cfn, "kept")
        for key in ("StackId", "StackStatus", "Tags", "Parameters", "CreationTime"):
            assert described[key] == made[key], key
        assert sorted(described["Outputs"], key=str) == sorted(made["Outputs"], key=str)
        assert all_events(cfn, "kept") == events
        assert cfn.get_template(StackName="kept")["TemplateBody"] == body
        resources = cfn.list_stack_resources(StackName="kept")["StackResourceSummaries"]
        assert {r["LogicalResourceId"] for r in resources} == {"Param", "Copy"}
        # AND its change set, which executes
        assert (
            cfn.describe_change_set(StackName="kept", ChangeSetName="later")["ExecutionStatus"] == "AVAILABLE"
        )
        cfn.execute_change_set(StackName="kept", ChangeSetName="later")
        updated = settle(cfn, "kept")
        assert updated["StackStatus"] == "UPDATE_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in updated["Outputs"]}
        assert outputs["Copied"] == "bye, world"


def test_the_in_process_deploy_and_the_api_describe_the_same_stacks(local: Local) -> None:
    first = {"Param": parameter("one")}
    # GIVEN a stack made through the API
    with serving_cloudformation(local.engine, local.workspace):
        cfn = checked_client(local.cloud, local.checked)
        made = create_stack(cfn, "shared", body_of(first))
    # WHEN the in-process deploy (python -m localcloud deploy) updates it to another template
    second = json.loads(body_of({"Param": parameter("two")}))
    previous = local.workspace.load("shared")
    assert previous is not None
    updated = local.engine.deploy(StackArtifact("shared", "shared", second, None), previous)
    local.workspace.save(updated)
    # THEN the API describes the stack as deployed now: same id, its status and template
    with serving_cloudformation(local.engine, local.workspace):
        cfn = checked_client(local.cloud, local.checked)
        described = settle(cfn, "shared")
        assert (described["StackId"], described["StackStatus"]) == (made["StackId"], "UPDATE_COMPLETE")
        assert json.loads(cfn.get_template(StackName="shared")["TemplateBody"]) == second
        # AND it deletes it
        cfn.delete_stack(StackName="shared")
        assert settle(cfn, made["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert local.workspace.load("shared") is None


def test_a_failing_rule_refuses_the_change_set_and_makes_no_stack(cfn: Any) -> None:
    # GIVEN the CDK's bootstrap-version rule, and a version parameter it refuses
    rules = {
        "CheckBootstrapVersion": {
            "Assertions": [
                {
                    "Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2"], {"Ref": "BootstrapVersion"}]}]},
                    "AssertDescription": "This CDK deployment requires bootstrap stack version '6'.",
                }
            ]
        }
    }
    sections = {"Parameters": {"BootstrapVersion": {"Type": "String", "Default": "2"}}, "Rules": rules}
    # WHEN a change set is made THEN it is refused with the rule's description, and no stack is left
    with pytest.raises(ClientError) as raised:
        cfn.create_change_set(
            StackName="old",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateBody=body_of({"P": parameter("v")}, **sections),
        )
    assert error_of(raised)[:2] == (
        "ValidationError",
        "This CDK deployment requires bootstrap stack version '6'.",
    )
    assert cfn.list_stacks()["StackSummaries"] == []


def test_create_stack_and_update_stack_run_without_a_change_set_to_review(local: Local, cfn: Any) -> None:
    # WHEN a stack is made with CreateStack THEN it is created, without a REVIEW_IN_PROGRESS step
    made = cfn.create_stack(StackName="direct", TemplateBody=body_of({"P": parameter("one", "/direct")}))
    described = settle(cfn, "direct")
    assert (described["StackId"], described["StackStatus"]) == (made["StackId"], "CREATE_COMPLETE")
    statuses = [e["ResourceStatus"] for e in all_events(cfn, "direct")]
    assert "REVIEW_IN_PROGRESS" not in statuses and statuses[-1] == "CREATE_IN_PROGRESS"
    assert cfn.list_change_sets(StackName="direct")["Summaries"] == []
    # WHEN UpdateStack changes a value THEN it is updated in place
    cfn.update_stack(StackName="direct", TemplateBody=body_of({"P": parameter("two", "/direct")}))
    assert settle(cfn, "direct")["StackStatus"] == "UPDATE_COMPLETE"
    assert ssm_value(local, "/direct") == "two"
    # WHEN UpdateStack changes nothing THEN it is CloudFormation's "No updates are to be performed."
    with pytest.raises(ClientError) as raised:
        cfn.update_stack(StackName="direct", UsePreviousTemplate=True)
    assert error_of(raised)[:2] == ("ValidationError", "No updates are to be performed.")
    assert cfn.list_change_sets(StackName="direct")["Summaries"] == []


def lambda_template(bucket: str, key: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust}}
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"S3Bucket": bucket, "S3Key": key},
        },
    }
    return body_of({"Role": role, "Function": function})


def test_lambda_code_comes_from_the_s3_object_the_template_names(local: Local, cfn: Any) -> None:
    # GIVEN a code zip in local S3, as the CDK CLI uploads an asset
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 'from s3'\n")
    s3 = local.client("s3")
    s3.create_bucket(Bucket="assets")
    s3.put_object(Bucket="assets", Key="code.zip", Body=package.getvalue())
    # WHEN a stack creates a function from it THEN Lambda holds exactly that zip
    create_stack(cfn, "coded", lambda_template("assets", "code.zip"), Capabilities=["CAPABILITY_IAM"])
    (function,) = [
        r
        for r in cfn.list_stack_resources(StackName="coded")["StackResourceSummaries"]
        if r["LogicalResourceId"] == "Function"
    ]
    configuration = local.client("lambda").get_function(FunctionName=function["PhysicalResourceId"])
    digest = base64.b64encode(hashlib.sha256(package.getvalue()).digest()).decode()
    assert configuration["Configuration"]["CodeSha256"] == digest
    # WHEN the object a template names is missing THEN the function fails as Lambda words it, rolled back
    create_change = {"ChangeSetType": "CREATE", "Capabilities": ["CAPABILITY_IAM"]}
    cfn.create_change_set(
        StackName="missing",
        ChangeSetName="c",
        TemplateBody=lambda_template("assets", "gone.zip"),
        **create_change,
    )
    cfn.execute_change_set(StackName="missing", ChangeSetName="c")
    assert settle(cfn, "missing")["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in all_events(cfn, "missing")]
    assert any("Error occurred while GetObject. S3 Error Code: NoSuchKey." in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("http://127.0.0.1:4566/cdk-assets/abc.json", ("cdk-assets", "abc.json")),
        ("https://s3.us-east-1.amazonaws.com/bucket/dir/t.json", ("bucket", "dir/t.json")),
        ("https://s3.amazonaws.com/bucket/t.yaml", ("bucket", "t.yaml")),
        ("https://bucket.s3.us-east-1.amazonaws.com/t.json", ("bucket", "t.json")),
        ("https://my.s3bucket.s3.amazonaws.com/t.json", ("my.s3bucket", "t.json")),
        ("https://s3things.s3-us-west-2.amazonaws.com/a/t.json", ("s3things", "a/t.json")),
    ],
)
def test_a_template_url_names_its_bucket_and_key_path_style_or_virtual_hosted(
    url: str, location: tuple[str, str]
) -> None:
    assert s3_location(url) == location


def test_a_stack_whose_operation_was_interrupted_is_failed_and_can_be_deleted(local: Local) -> None:
    # GIVEN a stack recorded in the middle of an update, as when the server was killed during it
    with serving_cloudformation(local.engine, local.workspace) as first:
        cfn = checked_client(local.cloud, local.checked)
        made = create_stack(cfn, "cut", body_of({"Param": parameter("v", "/cut")}))
        stack = first._stack("cut")
        stack.status = "UPDATE_IN_PROGRESS"
        save_record(local.workspace, stack)
    # WHEN the next server reads it
    with serving_cloudformation(local.engine, local.workspace):
        cfn = checked_client(local.cloud, local.checked)
        # THEN it is failed, saying why, never left in progress
        described = settle(cfn, "cut")
        assert described["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
        assert "stopped while the stack was in UPDATE_IN_PROGRESS" in described["StackStatusReason"]
        # AND it can be deleted, with what it deployed
        cfn.delete_stack(StackName="cut")
        assert settle(cfn, made["StackId"])["StackStatus"] == "DELETE_COMPLETE"
        assert not ssm_exists(local, "/cut")
        # AND the events of a stack that is no more are CloudFormation's "Stack [X] does not exist"
        with pytest.raises(ClientError) as raised:
            cfn.describe_stack_events(StackName="cut")
        assert error_of(raised)[:2] == ("ValidationError", "Stack [cut] does not exist")


def test_stack_tags_reach_every_resource_that_takes_tags_and_a_tag_change_updates_them(
    local: Local, cfn: Any
) -> None:
    logs = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/tagged"}}
    body = body_of({"Param": parameter("v", "/tagged", Tags={"own": "kept"}), "Logs": logs})
    ssm, cloudwatch = local.client("ssm"), local.client("logs")

    def tags() -> tuple[dict[str, str], dict[str, str]]:
        listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tagged")["TagList"]
        return {t["Key"]: t["Value"] for t in listed}, cloudwatch.list_tags_log_group(logGroupName="/tagged")[
            "tags"
        ]

    # GIVEN a stack made with stack tags THEN its resources carry them, besides their own
    create_stack(cfn, "tagged", body, Tags=[{"Key": "team", "Value": "vision"}])
    assert tags() == ({"own": "kept", "team": "vision"}, {"team": "vision"})
    # WHEN only the stack's tags change THEN the change set modifies each such resource's tags in place
    cfn.create_change_set(
        StackName="tagged",
        ChangeSetName="retag",
        UsePreviousTemplate=True,
        Tags=[{"Key": "team", "Value": "robots"}],
    )
    changes = cfn.describe_change_set(StackName="tagged", ChangeSetName="retag")["Changes"]
    modified = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in changes}
    assert set(modified) == {"Param", "Logs"}
    assert all(
        (change["Action"], change["Replacement"], change["Scope"]) == ("Modify", "False", ["Tags"])
        for change in modified.values()
    )
    # AND executing it retags them and the stack
    cfn.execute_change_set(StackName="tagged", ChangeSetName="retag")
    assert settle(cfn, "tagged")["Tags"] == [{"Key": "team", "Value": "robots"}]
    assert tags() == ({"own": "kept", "team": "robots"}, {"team": "robots"})


def test_a_stack_is_described_whole_at_the_moment_its_operation_completes(
    local: Local, api: CloudFormationApi, cfn: Any
) -> None:
    # GIVEN a watcher that describes the stack as soon as the engine reports it complete
    seen: dict[str, dict[str, Any]] = {}
    watcher = checked_client(local.cloud, local.checked)
    record = local.engine.printer.record
    assert record is not None

    def describing(event: StackEvent) -> None:
        record(event)
        if event.resource_type == "AWS::CloudFormation::Stack" and event.status.endswith("_COMPLETE"):
            (seen[event.status],) = watcher.describe_stacks(StackName=event.stack_name)["Stacks"]

    local.engine.printer.record = describing
    body = body_of(
        {"Param": parameter({"Ref": "Value"}, "/whole")},
        Parameters={"Value": {"Type": "String"}},
        Outputs={"Out": {"Value": {"Fn::GetAtt": ["Param", "Value"]}}},
    )

    def described(status: str) -> tuple[str, Any, Any, Any]:
        stack = seen[status]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        return stack["StackStatus"], outputs, parameters, stack["Tags"]

    # WHEN a stack is created THEN at CREATE_COMPLETE it shows its outputs, parameters and tags
    create_stack(
        cfn,
        "whole",
        body,
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "one"}],
        Tags=[{"Key": "team", "Value": "vision"}],
    )
    api.wait_idle()  # the watcher has described it
    assert described("CREATE_COMPLETE") == (
        "CREATE_COMPLETE",
        {"Out": "one"},
        {"Value": "one"},
        [{"Key": "team", "Value": "vision"}],
    )
    # WHEN it is updated with a new parameter value and new tags THEN at UPDATE_COMPLETE it shows the new ones
    cfn.create_change_set(
        StackName="whole",
        ChangeSetName="update",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "two"}],
        Tags=[{"Key": "team", "Value": "robots"}],
    )
    cfn.execute_change_set(StackName="whole", ChangeSetName="update")
    settle(cfn, "whole")
    api.wait_idle()
    assert described("UPDATE_COMPLETE") == (
        "UPDATE_COMPLETE",
        {"Out": "two"},
        {"Value": "two"},
        [{"Key": "team", "Value": "robots"}],
    )


def test_the_events_of_an_operation_carry_its_client_request_token(cfn: Any) -> None:
    # GIVEN a change set executed with a ClientRequestToken, as the CDK CLI sends one
    cfn.create_change_set(
        StackName="tokened",
        ChangeSetName="c",
        ChangeSetType="CREATE",
        TemplateBody=body_of({"P": parameter("v")}),
    )
    cfn.execute_change_set(StackName="tokened", ChangeSetName="c", ClientRequestToken="exec-1")
    stack_id = settle(cfn, "tokened")["StackId"]
    # WHEN the stack is deleted with another THEN each operation's events carry its own token
    cfn.delete_stack(StackName="tokened", ClientRequestToken="delete-1")
    assert settle(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    events = all_events(cfn, stack_id)
    tokens = [(e["ResourceStatus"], e.get("ClientRequestToken")) for e in reversed(events)]
    assert tokens[0] == ("REVIEW_IN_PROGRESS", None)
    assert {token for status, token in tokens if status.startswith("CREATE")} == {"exec-1"}
    assert {token for status, token in tokens if status.startswith("DELETE")} == {"delete-1"}
