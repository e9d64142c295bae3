"""Serving props: inference units and the F1 gate on the deployed-model step, metrics, and their checks."""

from __future__ import annotations

from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match

from rekognition_custom_labels import InferenceUnits, ProjectVersion

from .helpers import (
    PROJECT_ARN,
    VERSION_ARN,
    cfn_project,
    manifests,
    new_stack,
    only_attributes,
    only_version,
    provider_policy,
    synth,
)

MODEL_TYPE = "Custom::RekognitionProjectVersionAttributes"


def test_inference_units_and_gate_are_properties_of_the_deployed_model_not_of_the_version() -> None:
    # GIVEN a version started with 1..3 units behind an F1 gate
    stack = new_stack()
    ProjectVersion(
        stack,
        "V",
        project=PROJECT_ARN,
        **manifests(stack),
        inference_units=InferenceUnits.auto_scaling(min_units=1, max_units=3),
        min_f1_score=0.8,
        min_label_f1_scores={"circle": 0.7},
    )
    template = synth(stack)
    # THEN the deployed-model step carries them, with the version's ARN and a ServiceTimeout
    version_id, version = only_version(template)
    template.has_resource_properties(
        MODEL_TYPE,
        {
            "VersionArn": {"Ref": version_id},
            "VersionLogicalId": version_id,
            "MinInferenceUnits": 1,
            "MaxInferenceUnits": 3,
            "MinF1Score": 0.8,
            "MinLabelF1Scores": {"circle": 0.7},
            "ServiceTimeout": "3600",
        },
    )
    # AND the version's own properties do not: a change of units or gate never retrains
    for key in ("MinInferenceUnits", "MaxInferenceUnits", "MinF1Score", "MinLabelF1Scores"):
        assert key not in version["Properties"]


def test_without_serving_props_the_deployed_model_only_reads_attributes() -> None:
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN)
    _, model = only_attributes(synth(stack))
    assert set(model["Properties"]) == {
        "ServiceToken",
        "ProjectArn",
        "VersionArn",
        "VersionLogicalId",
        "ServiceTimeout",
    }


def test_the_version_name_does_not_depend_on_units_or_gate() -> None:
    # GIVEN the same version declared without and with serving props
    names = []
    for serving in ({}, {"inference_units": InferenceUnits.fixed(2), "min_f1_score": 0.5}):
        stack = new_stack()
        ProjectVersion(stack, "V", project=PROJECT_ARN, **manifests(stack), **serving)  # type: ignore[arg-type]
        names.append(only_version(synth(stack))[1]["Properties"]["VersionName"])
    # THEN the derived name (and so the version) is the same
    assert names[0] == names[1]


def test_a_gate_lets_the_provider_read_the_evaluation_summary_before_the_model_step() -> None:
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, output_prefix="models/v/", min_f1_score=0.5)
    template = synth(stack)
    policy_id, policy = provider_policy(template)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    reads = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert len(reads) == 1 and "models/v/*" in str(reads[0]["Resource"])
    _, model = only_attributes(template)
    assert policy_id in model["DependsOn"]


def test_without_a_gate_the_provider_cannot_read_the_output_bucket() -> None:
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, output_prefix="models/v/")
    statements = provider_policy(synth(stack))[1]["Properties"]["PolicyDocument"]["Statement"]
    assert not [s for s in statements if "s3:GetObject" in s["Action"] and "models/v/*" in str(s["Resource"])]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"inference_units": InferenceUnits.fixed(0)},
            "inference_units.min_units must be a whole number from 1 to 5",
        ),
        (
            {"inference_units": InferenceUnits.fixed(6)},
            "inference_units.min_units must be a whole number from 1 to 5",
        ),
        (
            {"inference_units": InferenceUnits.auto_scaling(min_units=2, max_units=1)},
            "inference_units.max_units (1) must be at least",
        ),
        (
            {"inference_units": InferenceUnits.auto_scaling(min_units=1, max_units=6)},
            "up to 5, the per-model quota",
        ),
        ({"min_f1_score": 1.5}, "min_f1_score must be an F1 score from 0 to 1"),
        ({"min_f1_score": -0.1}, "min_f1_score must be an F1 score from 0 to 1"),
        ({"min_label_f1_scores": {"circle": 2}}, "min_label_f1_scores['circle'] must be an F1 score"),
        ({"min_label_f1_scores": {"": 0.5}}, "min_label_f1_scores keys must be label names"),
    ],
)
def test_invalid_serving_values_fail_at_construction(props: dict[str, Any], message: str) -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match="ProjectVersion Stack/V: ") as raised:
        ProjectVersion(stack, "V", project=PROJECT_ARN, **props)
    assert message in str(raised.value)


def test_tokens_are_left_to_the_handler() -> None:
    stack = new_stack()
    units = cast(int, cdk.CfnParameter(stack, "Units", type="Number").value_as_number)
    score = cdk.CfnParameter(stack, "Score", type="Number").value_as_number
    ProjectVersion(
        stack, "V", project=PROJECT_ARN, inference_units=InferenceUnits.fixed(units), min_f1_score=score
    )
    synth(stack).has_resource_properties(
        MODEL_TYPE, {"MinInferenceUnits": {"Ref": "Units"}, "MinF1Score": {"Ref": "Score"}}
    )


def test_inference_unit_metrics_are_dimensioned_by_project_and_version_name() -> None:
    # GIVEN a version in a CfnProject
    stack = new_stack()
    project = cfn_project(stack)
    version = ProjectVersion(stack, "V", project=project)
    # WHEN its in-service units are alarmed on
    version.metric_in_service_inference_units().create_alarm(
        stack, "Units", threshold=3, evaluation_periods=1
    )
    template = synth(stack)
    # THEN the alarm reads AWS/Rekognition InServiceInferenceUnits (Average) of this project and version
    model_id, _ = only_attributes(template)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/Rekognition",
            "MetricName": "InServiceInferenceUnits",
            "Statistic": "Average",
            "Dimensions": Match.array_with(
                [
                    {"Name": "ProjectName", "Value": {"Ref": stack.get_logical_id(project)}},
                    {"Name": "VersionName", "Value": {"Fn::GetAtt": [model_id, "VersionName"]}},
                ]
            ),
        },
    )


@pytest.mark.parametrize(
    ("helper", "name"),
    [
        ("metric_desired_inference_units", "DesiredInferenceUnits"),
        ("metric_min_inference_units", "MinInferenceUnits"),
        ("metric_max_inference_units", "MaxInferenceUnits"),
    ],
)
def test_each_unit_metric_helper_names_its_metric(helper: str, name: str) -> None:
    stack = new_stack()
    metric: cloudwatch.Metric = getattr(ProjectVersion(stack, "V", project=PROJECT_ARN), helper)()
    assert metric.metric_name == name and metric.namespace == "AWS/Rekognition"
    assert metric.statistic == "Average"


def test_the_metric_escape_hatch_takes_options_and_imported_versions_have_metrics() -> None:
    stack = new_stack()
    imported = ProjectVersion.from_project_version_arn(stack, "Imported", VERSION_ARN)
    metric = imported.metric("InServiceInferenceUnits", statistic="Maximum", period=cdk.Duration.minutes(1))
    assert metric.dimensions == {"ProjectName": "shapes", "VersionName": "shapes-v1"}
    assert metric.statistic == "Maximum" and metric.period.to_minutes() == 1


def test_detect_custom_labels_is_granted_on_the_served_version_only() -> None:
    stack = new_stack()
    version = ProjectVersion(stack, "V", project=PROJECT_ARN, inference_units=InferenceUnits())
    role = iam.Role(stack, "Consumer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    version.grant_detect_custom_labels(role)
    model_id, _ = only_attributes(synth(stack))
    synth(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "rekognition:DetectCustomLabels",
                        "Effect": "Allow",
                        "Resource": {"Fn::GetAtt": [model_id, "Arn"]},
                    }
                ]
            }
        },
    )
