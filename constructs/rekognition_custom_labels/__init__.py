"""AWS CDK constructs for Amazon Rekognition Custom Labels model versions."""

from .datasets import FeatureConfig, ManifestLocation, TestingData, TrainingData
from .project_version import EvaluationSummaryLocation, ProjectVersion, ProjectVersionBase
from .provider import ProjectVersionProvider

__all__ = [
    "EvaluationSummaryLocation",
    "FeatureConfig",
    "ManifestLocation",
    "ProjectVersion",
    "ProjectVersionBase",
    "ProjectVersionProvider",
    "TestingData",
    "TrainingData",
]
