"""One provider per stack, shared by the stack's versions, with permissions for that stack's projects only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from rekognition_custom_labels import ProjectVersion

from .helpers import (
    ACCOUNT,
    VERSION_TYPE,
    cfn_project,
    dumps,
    get_att,
    new_app,
    new_stack,
    provider_function,
    provider_function_name,
    provider_functions,
    provider_policy,
    resources_for,
    synth,
)


def _project_arn(name: str) -> str:
    return f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/{name}/1700000000000"


@dataclass(frozen=True)
class StackUnderTest:
    template: Template
    cfn_project_id: str
    project_arn: str


def _two_stacks(*, own_output_bucket: bool) -> tuple[StackUnderTest, StackUnderTest]:
    """Stacks A and B, each with one version of its own CfnProject and one of its own project ARN."""
    app = new_app()
    built: list[tuple[Stack, str, str]] = []
    for name in ("A", "B"):
        stack = new_stack(app, f"Stack{name}")
        project = cfn_project(stack, f"Project{name}", name=f"project-{name.lower()}")
        arn = _project_arn(f"imported-{name.lower()}")
        extra: dict[str, Any] = {}
        if own_output_bucket:
            extra["output_bucket"] = s3.Bucket.from_bucket_name(stack, "Out", f"output-{name.lower()}")
        ProjectVersion(stack, "First", project=project, **extra)
        ProjectVersion(stack, "Second", project=arn, **extra)
        built.append((stack, f"Project{name}", arn))
    (a, b) = (StackUnderTest(synth(stack), project_id, arn) for stack, project_id, arn in built)
    return a, b


@pytest.fixture(scope="module")
def stacks() -> tuple[StackUnderTest, StackUnderTest]:
    # GIVEN two stacks in one app, each with two versions of two different projects
    # (read-only below: the synthesized templates are shared by the tests of this module)
    return _two_stacks(own_output_bucket=False)


def test_one_provider_function_per_stack(stacks: tuple[StackUnderTest, StackUnderTest]) -> None:
    # WHEN each stack is synthesized
    for stack in stacks:
        # THEN it has exactly one of our provider functions, serving both of its versions
        assert len(provider_functions(stack.template)) == 1
        function_id, _ = provider_function(stack.template)
        stack.template.resource_count_is(VERSION_TYPE, 2)
        for version in stack.template.find_resources(VERSION_TYPE).values():
            assert version["Properties"]["ServiceToken"] == get_att(function_id)


def test_only_lambda_functions_are_ours_when_output_buckets_are_given() -> None:
    # GIVEN the same stacks, with existing output buckets (so no S3 auto-delete provider either)
    for stack in _two_stacks(own_output_bucket=True):
        # WHEN synthesized / THEN each stack holds one Lambda function at all, one role and one policy
        stack.template.resource_count_is("AWS::Lambda::Function", 1)
        stack.template.resource_count_is("AWS::IAM::Role", 1)
        stack.template.resource_count_is("AWS::IAM::Policy", 1)
        stack.template.resource_count_is("AWS::Logs::LogGroup", 1)


def test_provider_function_names_differ_across_stacks(stacks: tuple[StackUnderTest, StackUnderTest]) -> None:
    # WHEN both stacks are synthesized
    a, b = stacks

    # THEN the providers have different names (and so different poll-rule prefixes)
    assert provider_function_name(a.template) != provider_function_name(b.template)


def test_provider_function_name_is_stable_across_apps() -> None:
    # GIVEN the same stack name in two separate apps / WHEN synthesized / THEN the same function name
    names = set()
    for _ in range(2):
        stack = new_stack(App(context={"aws:cdk:bundling-stacks": []}), "StackA")
        ProjectVersion(stack, "V", project=_project_arn("p"))
        names.add(provider_function_name(synth(stack)))
    assert len(names) == 1


def test_each_provider_is_granted_its_own_projects(stacks: tuple[StackUnderTest, StackUnderTest]) -> None:
    # WHEN both stacks are synthesized
    for stack in stacks:
        statements = provider_policy(stack.template)[1]["Properties"]["PolicyDocument"]["Statement"]

        # THEN CreateProjectVersion is granted on exactly this stack's two projects
        created = resources_for(statements, "rekognition:CreateProjectVersion")
        assert sorted(map(dumps, created)) == sorted(
            map(dumps, [get_att(stack.cfn_project_id), stack.project_arn])
        )


def test_no_provider_policy_mentions_the_other_stacks_projects(
    stacks: tuple[StackUnderTest, StackUnderTest],
) -> None:
    # WHEN both stacks are synthesized
    a, b = stacks
    for own, other in ((a, b), (b, a)):
        policy = dumps(provider_policy(own.template)[1])

        # THEN the provider policy names its own projects and neither of the other stack's
        assert f'"{own.cfn_project_id}"' in policy
        assert own.project_arn.rsplit("/", 1)[0] in policy
        assert f'"{other.cfn_project_id}"' not in policy
        assert other.project_arn.rsplit("/", 1)[0] not in policy
        assert provider_function_name(other.template) not in policy


def test_two_versions_of_one_project_share_the_provider_and_its_grants() -> None:
    # GIVEN two versions of the same project in one stack
    stack = new_stack()
    project = cfn_project(stack)
    ProjectVersion(stack, "First", project=project)
    ProjectVersion(stack, "Second", project=project)

    # WHEN synthesized
    template = synth(stack)

    # THEN one provider, and the project is granted once (duplicate statements are merged)
    assert len(provider_functions(template)) == 1
    statements = provider_policy(template)[1]["Properties"]["PolicyDocument"]["Statement"]
    assert resources_for(statements, "rekognition:CreateProjectVersion") == [get_att("Project")]
