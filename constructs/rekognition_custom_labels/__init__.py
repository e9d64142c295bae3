"""AWS CDK constructs for Amazon Rekognition Custom Labels model versions.

``Project`` and ``ProjectVersion`` (with the ``IProject`` / ``IProjectVersion`` interfaces their
imports also implement), the data a version trains from (``TrainingData``, ``TestingData``), how it is
served (``InferenceUnits``), and the stack's one ``ProjectVersionProvider``.
"""

from .datasets import DataConfig, FeatureConfig, ManifestLocation, TestingData, TrainingData
from .project import IProject, Project, ProjectAutoUpdate, ProjectBase, ProjectFeature
from .project_version import EvaluationSummaryLocation, ProjectVersion
from .project_version_base import IProjectVersion, ProjectVersionBase
from .provider import ProjectVersionProvider
from .serving import InferenceUnits

# The one place the version is written: pyproject.toml reads it from here (setuptools' dynamic ``attr``).
__version__ = "0.1.0"

__all__ = [
    "DataConfig",
    "EvaluationSummaryLocation",
    "FeatureConfig",
    "IProject",
    "IProjectVersion",
    "InferenceUnits",
    "ManifestLocation",
    "Project",
    "ProjectAutoUpdate",
    "ProjectBase",
    "ProjectFeature",
    "ProjectVersion",
    "ProjectVersionBase",
    "ProjectVersionProvider",
    "TestingData",
    "TrainingData",
]
