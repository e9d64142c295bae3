"""CloudWatch metrics of one Custom Labels model version, as Rekognition documents them.

Namespace ``AWS/Rekognition``; a model's metrics carry the dimensions ``ProjectName`` and
``VersionName`` (names, not ARNs), as in the Custom Labels guide's "Reporting running duration and
inference units used" dashboard. The inference-unit metrics are documented with the Average statistic.
Request counts, errors and latency are published per ``Operation`` for the whole account, not per model,
so they are not offered here as this version's metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch

from constructs import IConstruct

NAMESPACE = "AWS/Rekognition"
# Per-model metrics (Custom Labels guide, "CloudWatch metrics for Rekognition").
IN_SERVICE_INFERENCE_UNITS = "InServiceInferenceUnits"
DESIRED_INFERENCE_UNITS = "DesiredInferenceUnits"
MIN_INFERENCE_UNITS = "MinInferenceUnits"
MAX_INFERENCE_UNITS = "MaxInferenceUnits"


def version_metric(
    scope: IConstruct, project_name: str, version_name: str, metric_name: str, props: Mapping[str, Any]
) -> cloudwatch.Metric:
    """``metric_name`` of the model version ``project_name``/``version_name``, attached to ``scope``.

    ``props`` are forwarded whole to ``cloudwatch.Metric`` (whose props extend ``MetricOptions``), as
    aws-cdk-lib's own ``metric()`` methods do, so every field of the installed aws-cdk-lib is accepted
    and a misspelt one is a ``TypeError`` naming it; ``dimensions_map`` entries are added to the
    version's own.
    """
    fields = dict(props)
    extra = fields.pop("dimensions_map", None) or {}
    dimensions = {"ProjectName": project_name, "VersionName": version_name, **extra}
    metric = cloudwatch.Metric(
        namespace=NAMESPACE, metric_name=metric_name, dimensions_map=dimensions, **fields
    )
    if "stack_account" in fields or "stack_region" in fields:
        return metric  # the caller said which stack it is rendered in
    return metric.attach_to(scope)
