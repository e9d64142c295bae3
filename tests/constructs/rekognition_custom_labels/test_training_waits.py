"""The wait conditions that hold a deployment until training ends, and the attributes read after them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from rekognition_custom_labels import ProjectVersion

from .helpers import PROJECT_ARN, manifests, new_stack, only_attributes, only_version, synth


def chain_of(template: Template) -> list[tuple[str, Mapping[str, Any]]]:
    """The wait conditions in chain order (each DependsOn the one before; the first on the version)."""
    version_id, _ = only_version(template)
    waits = template.find_resources("AWS::CloudFormation::WaitCondition")
    order: list[tuple[str, Mapping[str, Any]]] = []
    previous = version_id
    while True:
        following = [(lid, w) for lid, w in waits.items() if previous in w.get("DependsOn", [])]
        if not following:
            return order
        ((previous, wait),) = following
        order.append((previous, wait))


def test_by_default_two_twelve_hour_waits_hold_the_stack_for_24_hours() -> None:
    # GIVEN a version with the default training_timeout / WHEN synthesized
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN)
    template = synth(stack)
    # THEN two chained waits of 12 hours, each waiting for one signal, follow the version
    chain = chain_of(template)
    assert [w["CreationPolicy"] for _, w in chain] == [
        {"ResourceSignal": {"Count": 1, "Timeout": "PT43200S"}}
    ] * 2
    assert all("Properties" not in w for _, w in chain)
    # AND the version tells the provider which waits to release, in order, with their timeouts
    _, version = only_version(template)
    assert version["Properties"]["TrainingWait"] == {
        "WaitConditions": [{"LogicalId": lid, "TimeoutSeconds": 43200} for lid, _ in chain]
    }
    # AND the attributes step comes after the last wait
    _, attributes = only_attributes(template)
    assert chain[-1][0] in attributes["DependsOn"]


@pytest.mark.parametrize(
    ("hours", "timeouts"),
    [(0.5, [1800]), (12, [43200]), (30, [43200, 43200, 21600]), (72, [43200] * 6)],
)
def test_training_timeout_chains_as_many_waits_as_it_needs(hours: float, timeouts: list[int]) -> None:
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, training_timeout=cdk.Duration.minutes(hours * 60))
    chain = chain_of(synth(stack))
    assert [w["CreationPolicy"]["ResourceSignal"]["Timeout"] for _, w in chain] == [
        f"PT{seconds}S" for seconds in timeouts
    ]


@pytest.mark.parametrize("timeout", [cdk.Duration.seconds(59), cdk.Duration.hours(73)])
def test_a_training_timeout_out_of_range_is_refused_at_synth(timeout: cdk.Duration) -> None:
    with pytest.raises(ValueError, match="training_timeout must be between 1 minute and 72 hours"):
        ProjectVersion(new_stack(), "V", project=PROJECT_ARN, training_timeout=timeout)


def wait_ids(**props: Any) -> list[str]:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "S")
    ProjectVersion(stack, "V", project=PROJECT_ARN, **manifests(stack), **props)
    return [lid for lid, _ in chain_of(Template.from_stack(stack))]


def test_a_new_model_version_gets_new_waits_and_a_tag_change_does_not() -> None:
    # GIVEN the waits of a version
    before = wait_ids(version_description="first")
    # WHEN only a tag changes THEN the waits are the same resources (nothing to wait for again)
    assert wait_ids(version_description="first", tags={"team": "x"}) == before
    # WHEN a property that trains a new version changes THEN the waits are new (wait conditions cannot
    # be updated), so the new training is waited for
    assert set(wait_ids(version_description="second")).isdisjoint(before)
