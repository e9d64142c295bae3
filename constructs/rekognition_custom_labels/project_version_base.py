"""``IProjectVersion`` and the base every model version shares, declared here or imported.

As aws-cdk-lib's ``queue-base.ts`` does for queues: the interface, then one base class that implements
the grants and the metrics once, for ``ProjectVersion`` and for the versions ``from_*`` imports return.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Fn, IResource, Resource, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from typing_extensions import Protocol, runtime_checkable

from constructs import Construct

from . import metrics

VERSION_ARN_PATTERN = re.compile(
    r"^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project/[a-zA-Z0-9_.\-]{1,255}"
    r"/version/[a-zA-Z0-9_.\-]{1,255}/[0-9]+$"
)


@runtime_checkable
class IProjectVersion(IResource, Protocol):
    """A Rekognition Custom Labels model version, declared in this app or imported."""

    @property
    def project_version_arn(self) -> str:
        """``arn:...:project/<project>/version/<version>/<creation timestamp>``."""
        ...

    @property
    def project_version_name(self) -> str:
        """The version's name in its project (the metrics' ``VersionName`` dimension)."""
        ...

    @property
    def project_name(self) -> str:
        """The name of the project the version belongs to."""
        ...

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Let ``grantee`` perform ``actions`` on this model version only."""
        ...

    def grant_detect_custom_labels(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call DetectCustomLabels on this model version only."""
        ...

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """This version's CloudWatch metric ``metric_name``."""
        ...

    def metric_in_service_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """Inference units the running model uses."""
        ...

    def metric_desired_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """Inference units auto scaling is moving to."""
        ...

    def metric_min_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """The MinInferenceUnits the model was started with."""
        ...

    def metric_max_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """The MaxInferenceUnits the model was started with."""
        ...


class ProjectVersionBase(Resource):
    """The grants and metrics of a model version, implemented once for declared and imported ones."""

    project_version_arn: str
    project_version_name: str
    project_name: str

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Let ``grantee`` perform ``actions`` (e.g. ``rekognition:DetectCustomLabels``) on this model
        version's ARN, and on nothing else."""
        if not actions:
            raise ValueError("grant() needs at least one action, e.g. 'rekognition:DetectCustomLabels'")
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.project_version_arn]
        )

    def grant_detect_custom_labels(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call DetectCustomLabels on this model version, and on nothing else."""
        return self.grant(grantee, "rekognition:DetectCustomLabels")

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """This version's metric ``metric_name`` (``AWS/Rekognition``, dimensions ProjectName and
        VersionName); ``props`` are any fields of ``cloudwatch.MetricOptions`` (statistic, period,
        label, visible, id, ...). Default: Average over 5 minutes, as ``cloudwatch.Metric``'s; the
        account and Region are the version's (an imported version's are its ARN's)."""
        where = {
            name: value
            for name, value in (("account", self.env.account), ("region", self.env.region))
            if not Token.is_unresolved(value)
        }
        return metrics.version_metric(
            self, self.project_name, self.project_version_name, metric_name, {**where, **props}
        )

    def metric_in_service_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """Inference units the running model uses (Average: one-minute average). Default: Average, 5 min."""
        return self.metric(metrics.IN_SERVICE_INFERENCE_UNITS, **{"statistic": "Average", **props})

    def metric_desired_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """Inference units auto scaling is moving to. Default: Average, 5 minutes."""
        return self.metric(metrics.DESIRED_INFERENCE_UNITS, **{"statistic": "Average", **props})

    def metric_min_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """MinInferenceUnits of the StartProjectVersion request. Default: Average, 5 minutes."""
        return self.metric(metrics.MIN_INFERENCE_UNITS, **{"statistic": "Average", **props})

    def metric_max_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """MaxInferenceUnits of the StartProjectVersion request. Default: Average, 5 minutes."""
        return self.metric(metrics.MAX_INFERENCE_UNITS, **{"statistic": "Average", **props})


class ImportedProjectVersion(ProjectVersionBase):
    """A model version made elsewhere; what ``ProjectVersion.from_*`` returns (as ``IProjectVersion``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project_version_arn: str,
        project_name: str | None = None,
        project_version_name: str | None = None,
    ) -> None:
        """
        :param project_version_arn: the version's ARN; its account and Region become the import's.
        :param project_name: the project's name. Default: read from the ARN.
        :param project_version_name: the version's name. Default: read from the ARN.
        """
        super().__init__(scope, construct_id, environment_from_arn=project_version_arn)
        self.project_version_arn = project_version_arn
        self.project_name = project_name if project_name is not None else _arn_part(project_version_arn, 1)
        self.project_version_name = (
            project_version_name if project_version_name is not None else _arn_part(project_version_arn, 3)
        )


def _arn_part(arn: str, index: int) -> str:
    """Part ``index`` of the ARN split at "/" (1: the project name, 3: the version name)."""
    if Token.is_unresolved(arn):
        return Fn.select(index, Fn.split("/", arn))
    return arn.split("/")[index]


def check_version_arn(arn: str) -> None:
    """Raise at synth time on a literal that is not a model version ARN."""
    if not Token.is_unresolved(arn) and not VERSION_ARN_PATTERN.fullmatch(arn):
        raise ValueError(
            f"{arn!r} is not a Rekognition model version ARN "
            "(arn:<partition>:rekognition:<region>:<account>:project/<p>/version/<v>/<timestamp>)"
        )
