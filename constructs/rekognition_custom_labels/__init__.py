"""AWS CDK constructs for Amazon Rekognition Custom Labels model versions."""

from .datasets import FeatureConfig, ManifestLocation, TestingData, TrainingData
from .project_version import EvaluationSummaryLocation, ProjectVersion, ProjectVersionBase
from .provider import ProjectVersionProvider
from .serving import InferenceUnits

# The one place the version is written: pyproject.toml reads it from here (setuptools' dynamic ``attr``).
__version__ = "0.1.0"

__all__ = [
    "EvaluationSummaryLocation",
    "FeatureConfig",
    "InferenceUnits",
    "ManifestLocation",
    "ProjectVersion",
    "ProjectVersionBase",
    "ProjectVersionProvider",
    "TestingData",
    "TrainingData",
]
