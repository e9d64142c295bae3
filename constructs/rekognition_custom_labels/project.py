"""``Project``: the L2 over ``AWS::Rekognition::Project``, the container a model version is trained in.

Modelled on aws-cdk-lib's L2s: the ``IProject`` interface (which is also an ``IProjectRef``, so L1 code
and other libraries can take it), a base with what every project offers (``add_version``), the
concrete class over ``CfnProject``, and ``from_project_arn`` / ``from_project_name`` returning the
interface.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Fn, IResource, Names, RemovalPolicy, Resource, Stack, Token
from aws_cdk import aws_rekognition as rekognition
from aws_cdk.interfaces import aws_rekognition as rekognition_refs
from typing_extensions import Protocol, runtime_checkable

from constructs import Construct

from . import validation

if TYPE_CHECKING:
    from .project_version import ProjectVersion

# AWS::Rekognition::Project's ProjectName (CloudFormation's pattern is narrower than the API's).
PROJECT_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_\-]*$")
PROJECT_NAME_MAX = 255


class ProjectFeature(Enum):
    """What a project customizes (CreateProject's ``Feature``)."""

    CUSTOM_LABELS = "CUSTOM_LABELS"
    """Custom Labels models: the only feature CloudFormation's ``AWS::Rekognition::Project`` creates."""
    CONTENT_MODERATION = "CONTENT_MODERATION"
    """Adapters of the content-moderation model (CreateProject only, no CloudFormation property)."""


class ProjectAutoUpdate(Enum):
    """Whether Rekognition retrains an adapter's versions when its base model changes (``AutoUpdate``)."""

    ENABLED = "ENABLED"
    """Retrain (best effort) when the base model is updated."""
    DISABLED = "DISABLED"
    """Never retrain automatically."""


@runtime_checkable
class IProject(IResource, rekognition_refs.IProjectRef, Protocol):
    """A Rekognition Custom Labels project, declared in this app or imported."""

    @property
    def project_arn(self) -> str:
        """``arn:<partition>:rekognition:<region>:<account>:project/<name>/<creation timestamp>``."""
        ...

    @property
    def project_name(self) -> str:
        """The project's name (``Ref`` of ``AWS::Rekognition::Project``)."""
        ...

    def add_version(self, construct_id: str, **props: Any) -> ProjectVersion:
        """A new ``ProjectVersion`` of this project, as ``ProjectVersion(self, id, project=self, ...)``."""
        ...


@jsii.implements(rekognition_refs.IProjectRef)
class ProjectBase(Resource):
    """What every project offers, whether declared here or imported."""

    project_arn: str
    project_name: str

    @property
    def project_ref(self) -> rekognition_refs.ProjectReference:
        """This project as aws-cdk-lib's ``IProjectRef`` sees it."""
        return rekognition_refs.ProjectReference(project_arn=self.project_arn, project_name=self.project_name)

    def add_version(self, construct_id: str, **props: Any) -> ProjectVersion:
        """A new model version of this project, a child of this project's construct.

        :param construct_id: the version's construct id.
        :param props: the keyword properties of ``ProjectVersion`` other than ``project``.
        """
        from .project_version import ProjectVersion  # the version module imports this one

        if "project" in props:
            raise TypeError("add_version makes a version of this project: leave project= out")
        return ProjectVersion(self, construct_id, project=self, **props)


class ImportedProject(ProjectBase):
    """A project made elsewhere; what ``Project.from_*`` return (as ``IProject``)."""

    def __init__(self, scope: Construct, construct_id: str, *, arn: str, name: str, arn_known: bool) -> None:
        super().__init__(scope, construct_id, environment_from_arn=arn)
        self.project_arn = arn
        self.project_name = name
        self.arn_known = arn_known  # False: imported by name, its ARN a pattern (see from_project_name)


class Project(ProjectBase):
    """A Rekognition Custom Labels project (``AWS::Rekognition::Project``).

    Its removal policy defaults to DESTROY, unlike aws-cdk-lib's stateful resources, because deleting it
    cannot lose a model: DeleteProject refuses while the project holds model versions (the stack's own are
    deleted before it; a retained or foreign one fails the delete instead, and ``ProjectVersion`` refuses
    a retained version under a destroyed project at synth time), and datasets declared in the stack are
    CloudFormation resources of their own. A retained empty project would only be a name that blocks the
    next deployment of the same stack. Give RETAIN to keep it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project_name: str | None = None,
        feature: ProjectFeature | None = None,
        auto_update: ProjectAutoUpdate | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        """
        :param project_name: the project's name, unique in the account and Region (1 to 255 of
            ``[a-zA-Z0-9_-]``, starting with a letter or digit). Default: a name derived from this
            construct's path (changing the path replaces the project).
        :param feature: what the project customizes. Default: ``ProjectFeature.CUSTOM_LABELS``, the
            only feature ``AWS::Rekognition::Project`` can create; content-moderation adapters are
            rejected at synth time rather than silently created as Custom Labels projects.
        :param auto_update: retraining of an adapter's versions. Default: none. Rekognition applies it
            to content-moderation adapters only, so ``ENABLED`` is rejected here; ``DISABLED`` is what a
            Custom Labels project has anyway.
        :param removal_policy: DESTROY deletes the project with the stack (after its versions), RETAIN
            keeps it. Default: DESTROY (see the class docstring).
        """
        super().__init__(scope, construct_id, physical_name=project_name)
        errors = _check_project(project_name, feature, auto_update)
        if errors:
            raise ValueError(f"Project {self.node.path}: " + "; ".join(errors))
        name = project_name if project_name is not None else _default_name(self)
        self._resource = rekognition.CfnProject(self, "Resource", project_name=name)
        self._resource.apply_removal_policy(removal_policy)
        self.project_arn = self._resource.attr_arn
        self.project_name = self._resource.ref

    @staticmethod
    def from_project_arn(scope: Construct, construct_id: str, project_arn: str) -> IProject:
        """A project made elsewhere, by its ARN (its account and Region become the import's)."""
        if Token.is_unresolved(project_arn):
            name = Fn.select(1, Fn.split("/", project_arn))
        else:
            errors = validation.check_project_arn(project_arn)
            if errors:
                raise ValueError("; ".join(errors))
            name = project_arn.split("/")[1]
        return ImportedProject(scope, construct_id, arn=project_arn, name=name, arn_known=True)

    @staticmethod
    def from_project_name(scope: Construct, construct_id: str, project_name: str) -> IProject:
        """A project of this stack's account and Region, by name.

        A project ARN ends in a creation timestamp that no name reveals, so this import's
        ``project_arn`` (and its ``project_ref.project_arn``, for L1 code) is the pattern
        ``project/<name>/*``: enough for IAM statements, but no ARN any API accepts, so
        ``ProjectVersion`` rejects it at synth time; train versions of an existing project with
        ``from_project_arn``.
        """
        if not Token.is_unresolved(project_name):
            errors = _check_name(project_name)
            if errors:
                raise ValueError("; ".join(errors))
        stack = Stack.of(scope)
        arn = stack.format_arn(service="rekognition", resource="project", resource_name=f"{project_name}/*")
        return ImportedProject(scope, construct_id, arn=arn, name=project_name, arn_known=False)


def _default_name(project: Project) -> str:
    return Names.unique_resource_name(project, max_length=128, separator="-", allowed_special_characters="-_")


def _check_name(name: str) -> list[str]:
    if not 1 <= len(name) <= PROJECT_NAME_MAX or not PROJECT_NAME_PATTERN.fullmatch(name):
        return [
            f"project_name {name!r} must be 1 to {PROJECT_NAME_MAX} letters, digits, '_' or '-', "
            "starting with a letter or digit (AWS::Rekognition::Project's ProjectName)"
        ]
    return []


def _check_project(
    project_name: str | None, feature: ProjectFeature | None, auto_update: ProjectAutoUpdate | None
) -> list[str]:
    errors: list[str] = []
    if project_name is not None and not Token.is_unresolved(project_name):
        errors += _check_name(project_name)
    if feature is not None and feature is not ProjectFeature.CUSTOM_LABELS:
        errors.append(
            f"feature {feature.value}: AWS::Rekognition::Project has no Feature property and creates "
            "Custom Labels projects only; create the adapter project with CreateProject and import it "
            "with Project.from_project_arn"
        )
    if auto_update is ProjectAutoUpdate.ENABLED:
        errors.append(
            "auto_update applies to content-moderation adapters only (CreateProject's AutoUpdate), which "
            "AWS::Rekognition::Project cannot create"
        )
    return errors
