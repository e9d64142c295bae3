"""IAM enforced on the functions a stack deploys: the provider's least-privilege role is exercised.

Each deployed function calls the local cloud with its execution role's session, and every call is
authorized as AWS authorizes it. The example deploys and destroys with the role CDK synthesizes; without
one of its grants, the deployment fails with AWS's sentence naming the denied action, and the rollback
leaves nothing behind.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from typing import Any

import pytest

from localcloud.deploy.assembly import StackArtifact
from localcloud.deploy.deployed_functions import deployed_functions, local_cloud_environment
from localcloud.deploy.deployment import DeployFailed, Deployment
from localcloud.deploy.engine import Engine
from localcloud.deploy.lambda_runtime import Invocation, invoke
from localcloud.gateway.server import REGION, LocalCloud
from localcloud.samples.shapes import shapes_dataset
from tests.localcloud.apps import Synth

PROVIDER_ROLE = "RekognitionCustomLabelsProviderRole"


def provider_policy(stack: StackArtifact) -> dict[str, Any]:
    """The provider role's inline policy document in the synthesized template."""
    (document,) = [
        resource["Properties"]["PolicyDocument"]
        for resource in stack.resources_of_type("AWS::IAM::Policy").values()
        if any(PROVIDER_ROLE in str(role) for role in resource["Properties"]["Roles"])
    ]
    assert isinstance(document, dict)
    return document


def without_action(stack: StackArtifact, action: str) -> StackArtifact:
    """``stack`` with ``action`` taken out of every statement of the provider's policy (a statement left
    with no action goes)."""
    document = provider_policy(stack)
    kept = []
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        remaining = [a for a in actions if a != action]
        if remaining:
            kept.append({**statement, "Action": remaining if len(remaining) > 1 else remaining[0]})
    assert len(kept) < len(document["Statement"]) or any(
        action in str(s["Action"]) for s in document["Statement"]
    ), f"{action} is not in the provider's policy"
    document["Statement"] = kept
    return stack


def leftovers(cloud: LocalCloud) -> dict[str, Any]:
    rekognition = cloud.client("rekognition")
    versions = [
        v["ProjectVersionArn"]
        for p in rekognition.describe_projects()["ProjectDescriptions"]
        if p["Status"] != "DELETING"
        for v in rekognition.describe_project_versions(ProjectArn=p["ProjectArn"])[
            "ProjectVersionDescriptions"
        ]
        if v["Status"] != "DELETING"
    ]
    return {
        "versions": versions,
        "rules": cloud.client("events").list_rules()["Rules"],
        "functions": cloud.client("lambda").list_functions()["Functions"],
    }


def test_the_example_deploys_and_destroys_with_every_call_of_its_functions_authorized(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    # GIVEN IAM enforced (the default)
    assert cloud.enforces_iam
    # WHEN the example is deployed, serves, and is destroyed
    deployment = engine.deploy(synth())
    engine.destroy(deployment)
    # THEN every call of its functions was authorized and allowed, none unmapped, none denied
    decisions = cloud.authorizer.decisions
    assert {outcome for (_, _, outcome) in decisions} == {"allowed"}, decisions
    sessions = {session for (session, _, _) in decisions}
    assert all(":assumed-role/" in session for session in sessions)
    actions = {action for (_, action, _) in decisions}
    assert {
        "rekognition:CreateProjectVersion",
        "rekognition:DescribeProjectVersions",
        "rekognition:StartProjectVersion",
        "rekognition:StopProjectVersion",
        "rekognition:DeleteProjectVersion",
        "s3:GetObject",
        "s3:ListBucket",
        "kms:DescribeKey",
        "events:PutRule",
        "lambda:AddPermission",
        "cloudformation:SignalResource",
    } <= actions
    assert leftovers(cloud) == {"versions": [], "rules": [], "functions": []}


@pytest.mark.parametrize(
    "action",
    [
        "rekognition:CreateProjectVersion",
        "rekognition:StartProjectVersion",
        "kms:DescribeKey",
        "s3:ListBucket",
    ],
)
def test_without_one_grant_the_deploy_fails_naming_the_denied_action_and_leaves_nothing(
    engine: Engine, cloud: LocalCloud, synth: Synth, action: str
) -> None:
    # GIVEN the example with one action taken out of the provider's policy
    stack = without_action(synth(), action)
    # WHEN deployed THEN it fails with a Reason naming that action (AWS's sentence, or the handler's own
    # words where it checks before training)
    with pytest.raises(DeployFailed, match=re.escape(action)):
        engine.deploy(stack)
    assert any(outcome == "denied" and a == action for (_, a, outcome) in cloud.authorizer.decisions)
    # AND the rollback leaves nothing behind
    assert leftovers(cloud) == {"versions": [], "rules": [], "functions": []}


def consumer_policy(stack: StackArtifact) -> dict[str, Any]:
    """The example consumer's inline policy document (its DetectCustomLabels grant)."""
    (document,) = [
        resource["Properties"]["PolicyDocument"]
        for resource in stack.resources_of_type("AWS::IAM::Policy").values()
        if any("ConsumerRole" in str(role) for role in resource["Properties"]["Roles"])
    ]
    assert isinstance(document, dict)
    return document


def labels_from_the_consumer(cloud: LocalCloud, deployment: Deployment) -> Invocation:
    """Invoke the deployed consumer as Lambda runs it (its role's session) on a circle."""
    (consumer,) = [f for f in deployed_functions([deployment]) if f.logical_id.startswith("Consumer")]
    config = consumer.config(region=REGION, account=cloud.service.account)
    role = str(consumer.properties["Role"])
    config = dataclasses.replace(config, credentials=cloud.role_credentials(role, consumer.physical_id))
    images = shapes_dataset(bucket="b", images_per_label=2)
    image = next(body for key, body in images.items() if "circle" in key and key.endswith(".png"))
    return invoke(
        config,
        {"image": base64.b64encode(image).decode()},
        base_env=local_cloud_environment(cloud.endpoint_url),
        single=True,
    )


@pytest.mark.parametrize("mutation", ["none", "without the grant", "granted on another version"])
def test_the_consumer_labels_images_exactly_when_granted_detect_custom_labels_on_its_version(
    engine: Engine, cloud: LocalCloud, synth: Synth, mutation: str
) -> None:
    # GIVEN the example, its consumer's DetectCustomLabels grant kept, removed, or moved to another version
    stack = synth()
    document = consumer_policy(stack)
    (grant,) = [s for s in document["Statement"] if s["Action"] == "rekognition:DetectCustomLabels"]
    if mutation == "without the grant":
        document["Statement"].remove(grant)
    elif mutation == "granted on another version":
        grant["Resource"] = "arn:aws:rekognition:us-east-1:123456789012:project/other/version/v1/1"
    deployment = engine.deploy(stack)
    # WHEN the consumer labels an image with the model the stack serves
    invocation = labels_from_the_consumer(cloud, deployment)
    # THEN it answers labels only with the grant; otherwise AWS's refusal of that one action
    if mutation == "none":
        assert invocation.error is None, invocation.error
        assert invocation.result["model_version_arn"] == deployment.outputs["ProjectVersionArn"]
    else:
        assert invocation.error is not None
        assert "is not authorized to perform: rekognition:DetectCustomLabels" in str(invocation.error)
    engine.destroy(deployment)
    assert leftovers(cloud) == {"versions": [], "rules": [], "functions": []}
