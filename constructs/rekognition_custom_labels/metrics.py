"""CloudWatch metrics of one Custom Labels model version, as Rekognition documents them.

Namespace ``AWS/Rekognition``; a model's metrics carry the dimensions ``ProjectName`` and
``VersionName`` (names, not ARNs), as in the Custom Labels guide's "Reporting running duration and
inference units used" dashboard. The inference-unit metrics are documented with the Average statistic.
Request counts, errors and latency are published per ``Operation`` for the whole account, not per model,
so they are not offered here as this version's metrics.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

NAMESPACE = "AWS/Rekognition"
# Per-model metrics (Custom Labels guide, "CloudWatch metrics for Rekognition").
IN_SERVICE_INFERENCE_UNITS = "InServiceInferenceUnits"
DESIRED_INFERENCE_UNITS = "DesiredInferenceUnits"
MIN_INFERENCE_UNITS = "MinInferenceUnits"
MAX_INFERENCE_UNITS = "MaxInferenceUnits"


def version_metric(
    project_name: str,
    version_name: str,
    metric_name: str,
    *,
    statistic: str | None = None,
    period: Duration | None = None,
    label: str | None = None,
    unit: cloudwatch.Unit | None = None,
    color: str | None = None,
    account: str | None = None,
    region: str | None = None,
) -> cloudwatch.Metric:
    """``metric_name`` of the model version ``project_name``/``version_name``."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"ProjectName": project_name, "VersionName": version_name},
        statistic=statistic,
        period=period,
        label=label,
        unit=unit,
        color=color,
        account=account,
        region=region,
    )
