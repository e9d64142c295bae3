"""CloudFormation's custom-resource protocol around a provider function
(``localcloud.deploy.custom_resources.runner``): crhelper's polling end to end through the harness (the
ResponseURL server, the Lambda runtime and the scheduled rules together), and the events the runner sends
against CloudFormation's documented requests."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.deploy.custom_resources.runner import CustomResourceRunner, ProviderFunction
from localcloud.deploy.lambda_runtime import FunctionConfig, invoke
from localcloud.deploy.scheduled_rules import lambda_permissions, scheduled_targets
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import event_template
from tests.localcloud.deploy.handlers import ACCOUNT, FUNCTION_ARN, cfn_event, quiet_env, write_handler

CRHELPER_POLLING = """
from crhelper import CfnResource

helper = CfnResource(json_logging=False, log_level="INFO", boto_level="CRITICAL", polling_interval=1)


@helper.create
def create(event, context):
    helper.Data["Started"] = "yes"


@helper.poll_create
def poll_create(event, context):
    return "physical-from-poll"


def handler(event, context):
    helper(event, context)
"""


def test_crhelper_polling_runs_end_to_end_through_the_harness(
    cloud: LocalCloud, server: ResponseServer, certificate: CertificatePair, tmp_path: Path
) -> None:
    # GIVEN a crhelper handler with polling, deployed as a function moto knows about
    iam, lambda_client, events = cloud.client("iam"), cloud.client("lambda"), cloud.client("events")
    role = iam.create_role(RoleName="crhelper-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.py", CRHELPER_POLLING)
    lambda_client.create_function(
        FunctionName="crhelper-fn",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    config = FunctionConfig(
        code_dir=write_handler(tmp_path / "crhelper", CRHELPER_POLLING), function_name="crhelper-fn"
    )
    base_env = quiet_env(
        SSL_CERT_FILE=str(certificate.cert_file),
        AWS_ENDPOINT_URL=cloud.endpoint_url,
        AWS_ACCESS_KEY_ID="localcloud",
        AWS_SECRET_ACCESS_KEY="localcloud",
    )
    event = cfn_event(server.url_for("request-e2e"), "request-e2e")

    # WHEN CloudFormation sends Create: crhelper starts polling instead of answering
    first = invoke(config, event, base_env=base_env)
    assert first.error is None, first.stdout + first.stderr
    assert server.responses("request-e2e") == []
    (scheduled,) = scheduled_targets(events, name_prefix="Harness")
    (permission,) = lambda_permissions(lambda_client, "crhelper-fn")

    # AND the schedule fires once, as EventBridge would
    second = invoke(config, scheduled.input, base_env=base_env)

    # THEN the rule and permission crhelper made are the ones read back, and the poll answered CloudFormation
    assert scheduled.interval_seconds == 60.0
    assert scheduled.function_name == "crhelper-fn"
    assert scheduled.input["CrHelperPoll"] is True
    assert scheduled.input["CrHelperRule"] == scheduled.rule_arn
    assert permission["Sid"] == scheduled.input["CrHelperPermission"]
    assert second.error is None, second.stdout + second.stderr
    response = server.wait_for("request-e2e", timeout=5)
    assert response.body["Status"] == "SUCCESS"
    assert response.body["PhysicalResourceId"] == "physical-from-poll"
    assert response.body["Data"] == {"Started": "yes"}
    # AND the polling is cleaned up, and no log line gave away the pre-signed URL
    assert events.list_rules(NamePrefix="Harness")["Rules"] == []
    assert lambda_permissions(lambda_client, "crhelper-fn") == []
    logs = first.stdout + first.stderr + second.stdout + second.stderr
    assert not any(secret in logs for secret in server.secret_fragments)


PROPERTY_MEMBERS = {"ResourceProperties", "OldResourceProperties"}


def scalars(value: Any) -> Iterator[Any]:
    """Every scalar inside a JSON value (its leaves)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from scalars(item)
    else:
        yield value


def typing_problems(event: dict[str, Any]) -> list[str]:
    """The members that are not as CloudFormation sends them: a string, or (the properties) an object
    whose scalars are all strings."""
    problems = []
    for key, value in event.items():
        if key in PROPERTY_MEMBERS:
            if not isinstance(value, dict):
                problems.append(f"{key} is {type(value).__name__}, not an object")
            problems += [f"{key} holds {item!r}" for item in scalars(value) if not isinstance(item, str)]
        elif not isinstance(value, str):
            problems.append(f"{key} is {value!r}, not a string")
    return problems


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_the_runners_events_have_exactly_the_keys_of_cloudformations_requests(
    responses: ResponseServer, tmp_path: Path, request_type: str
) -> None:
    # GIVEN the deploy engine's runner, and properties with numbers, booleans, lists and objects in them
    runner = CustomResourceRunner(
        responses=responses,
        events_client=None,
        base_env=quiet_env(),
        stack_id=f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/Example/0a1b2c3d",
    )
    function = ProviderFunction(FunctionConfig(code_dir=tmp_path, function_name="provider"), FUNCTION_ARN)
    properties = {
        "ServiceToken": FUNCTION_ARN,
        "Size": 1,
        "Enabled": True,
        "Ratio": 0.5,
        "List": [1, "2", False],
        "Tags": [{"Key": "team", "Value": 7}],
        "Nested": {"Depth": {"Limit": 3}},
    }

    # WHEN it makes the request of that type
    event = runner.event(
        function,
        request_type,
        "Example",
        "Custom::Example",
        properties,
        physical_id=None if request_type == "Create" else "Example-1QZ8X2V7K4M9A",
        old_properties={**properties, "Size": 2} if request_type == "Update" else None,
    )

    # THEN it has exactly the members of CloudFormation's documented request of that type
    documented = event_template(request_type)
    assert documented["RequestType"] == event["RequestType"] == request_type
    assert sorted(event) == sorted(documented)
    # AND every member is a string but the properties, objects whose scalars are all strings, as documented
    assert typing_problems(documented) == []
    assert typing_problems(event) == []
    assert event["ResourceProperties"]["Size"] == "1"
    assert event["ResourceProperties"]["Enabled"] == "true"
    assert event["ResourceProperties"]["Tags"] == [{"Key": "team", "Value": "7"}]
    assert event["ResponseURL"].startswith("https://127.0.0.1:")
