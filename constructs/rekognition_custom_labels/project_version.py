"""``ProjectVersion``: an Amazon Rekognition Custom Labels model version as a CDK resource."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import jsii
from aws_cdk import (
    Annotations,
    CfnCreationPolicy,
    CfnDeletionPolicy,
    CfnResource,
    CfnResourceSignal,
    CfnWaitCondition,
    CustomResource,
    Duration,
    Fn,
    IStableAnyProducer,
    IStableStringProducer,
    ITaggable,
    Lazy,
    RemovalPolicy,
    Stack,
    TagManager,
    TagType,
    Token,
)
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.interfaces import aws_rekognition as rekognition_refs

from constructs import Construct, IValidation

from . import validation
from .datasets import FeatureConfig, TestingData, TrainingData
from .project import ImportedProject, IProject
from .project_version_base import (
    ImportedProjectVersion,
    IProjectVersion,
    ProjectVersionBase,
    check_version_arn,
)
from .provider import ProjectVersionProvider
from .provider_grants import grant_evaluation_read, grant_provider
from .serving import InferenceUnits, render_gate

RESOURCE_TYPE = "Custom::RekognitionProjectVersion"
ATTRIBUTES_TYPE = "Custom::RekognitionProjectVersionAttributes"
DEFAULT_TRAINING_TIMEOUT = Duration.hours(24)
_HASH_CHARS = 12
_NAME_PATH_MAX = validation.VERSION_NAME_MAX - _HASH_CHARS - 1

# Properties CreateProjectVersion fixes: a change to any of them needs a new model version.
_REPLACING_PROPERTIES = (
    "ProjectArn",
    "OutputConfig",
    "TrainingData",
    "TestingData",
    "KmsKeyId",
    "VersionDescription",
    "FeatureConfig",
)


@dataclass(frozen=True)
class EvaluationSummaryLocation:
    """Where training wrote the evaluation summary JSON (tokens until deploy time)."""

    bucket_name: str
    """The output bucket's name."""
    object_key: str
    """The summary's key, ``<output prefix>EvaluationSummary-<project>-<version>.json``."""


@jsii.implements(IValidation)
class _TagsValidation:
    """Tags arrive through ``Tags.of`` after construction, so they are checked at synth time."""

    def __init__(self, tags: TagManager) -> None:
        self._tags = tags

    def validate(self) -> list[str]:
        rendered = self._tags.render_tags()
        return validation.check_tags(rendered) if isinstance(rendered, dict) else []


@jsii.implements(IValidation)
class _RetainedVersionValidation:
    """A retained version must keep what it cannot live without; policies may change until synth, so
    this is checked then: its KMS key (a key scheduled for deletion makes the model unusable and
    undeletable) and its project (DeleteProject refuses while the project holds a version, so the
    stack's delete would fail)."""

    def __init__(self, version: Construct, key: kms.IKey, project: object) -> None:
        self._version, self._key, self._project = version, key, project

    def validate(self) -> list[str]:
        errors = []
        if _deleted_with_stack(self._key.node.default_child):
            errors.append(
                f"ProjectVersion {self._version.node.path} is retained but its KMS key "
                f"{self._key.node.path} is deleted with the stack: give the key RemovalPolicy.RETAIN "
                "(a model version whose key is gone can be neither used nor deleted)"
            )
        project = getattr(self._project, "node", None)
        cfn_project = self._project if isinstance(self._project, CfnResource) else None
        if cfn_project is None and project is not None and isinstance(project.default_child, CfnResource):
            cfn_project = project.default_child
        if cfn_project is not None and _deleted_with_stack(cfn_project):
            errors.append(
                f"ProjectVersion {self._version.node.path} is retained but its project "
                f"{cfn_project.node.path} is deleted with the stack, which DeleteProject refuses while the "
                "project holds a model version: retain the project too, or destroy the version"
            )
        return errors


def _deleted_with_stack(resource: object) -> bool:
    """Whether ``resource`` is a CfnResource of this app that CloudFormation deletes with its stack."""
    if not isinstance(resource, CfnResource):
        return False
    return resource.cfn_options.deletion_policy in (None, CfnDeletionPolicy.DELETE)


@jsii.implements(ITaggable)
class ProjectVersion(ProjectVersionBase):
    """A Rekognition Custom Labels model version, trained by ``cdk deploy`` and deleted with the stack.

    Renders one ``Custom::RekognitionProjectVersion`` served by the stack's single provider Lambda. Its
    properties are the CreateProjectVersion request (member names verbatim, ``Tags`` as a map).

    Its removal policy defaults to DESTROY, where aws-cdk-lib retains stateful resources by default: a
    model version is derived from its data and settings, as a ``lambda.Version`` is from its code (which
    aws-cdk-lib also destroys by default), and the same deployment trains it again; a retained version
    would be an orphan the next deployment cannot reuse. The KMS key and output bucket the construct
    makes follow the version's policy (a key that encrypts a retained version is never scheduled for
    deletion); objects are auto-deleted only in the output bucket it makes and destroys.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project: IProject | rekognition_refs.IProjectRef | str,
        project_version_name: str | None = None,
        training_data: TrainingData | None = None,
        testing_data: TestingData | None = None,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str | None = None,
        output_access_logs: s3.IBucket | None = None,
        kms_key: kms.IKey | None = None,
        tags: dict[str, str] | None = None,
        version_description: str | None = None,
        feature_config: FeatureConfig | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        service_timeout: Duration | None = None,
        training_timeout: Duration | None = None,
        inference_units: InferenceUnits | None = None,
        min_f1_score: float | None = None,
        min_label_f1_scores: Mapping[str, float] | None = None,
    ) -> None:
        """
        :param project: the Custom Labels project: a ``Project`` (declared or imported by ARN), any
            ``IProjectRef`` (such as ``CfnProject``), or a project ARN.
        :param project_version_name: the model version's name, unique in the project. Default: derived from
            this construct's path and a hash of every property that forces a new model, so a change of
            data, output, key, description or feature config trains a new version under a new name.
        :param training_data: the training manifest. Default: train from the project's datasets. Give
            ``testing_data`` too, or neither.
        :param testing_data: the test manifest or ``TestingData.auto_create()`` (split the training set).
            Default: the project's test dataset (only when ``training_data`` is not given either).
        :param output_bucket: where training writes its results. Default: a new bucket encrypted with
            the model's KMS key, blocking public access, enforcing SSL, with the same removal policy.
        :param output_prefix: the key prefix in ``output_bucket``. Default: this construct's path + "/".
        :param output_access_logs: a bucket that receives the server access logs of the output bucket
            this construct creates (under this construct's path + "/"). Default: no access logs.
        :param kms_key: the key that encrypts the model and its training images. Default: a new
            customer-managed key with rotation, with the same removal policy.
        :param tags: tags of the model version; merged with ``Tags.of(...)`` from enclosing scopes.
            Default: none.
        :param version_description: a description of the model version. Default: none.
        :param feature_config: settings of the project's feature (content moderation). Default: none.
        :param removal_policy: DESTROY deletes the version (stopping it first) with the stack; RETAIN
            keeps it, with the key and output bucket this construct makes. Default: DESTROY (see the
            class docstring for why).
        :param service_timeout: how long CloudFormation waits for each operation of the model version's
            custom resource (1 s to 1 hour): starting training (including a wait for a free training
            slot) and deleting the version. Default: 1 hour.
        :param training_timeout: how long the deployment waits for training to end (1 minute to 72
            hours). The stack is held by chained ``AWS::CloudFormation::WaitCondition`` resources of at
            most 12 hours each, released by the provider when training ends. Default: 24 hours, the
            longest training Rekognition documents.
        :param inference_units: start the model once it is trained (and has passed its F1 gate), with
            these inference units; the deployment completes once it is RUNNING, and a new version
            replaces it without downtime (the old one serves until the new one runs, and is stopped
            in CloudFormation's cleanup). A change of units keeps the version (it is stopped and
            started again); removing them stops the model. Default: the model is not started.
        :param min_f1_score: the overall F1 score (0 to 1) the trained model must reach; below it the
            deployment fails, quoting the scores, the model is never started and the rollback deletes
            it. Changing only the gate re-checks the existing model. Default: no gate.
        :param min_label_f1_scores: minimum F1 score per label (0 to 1), read from the evaluation
            summary training writes to S3. Default: no per-label gate.
        """
        super().__init__(scope, construct_id)
        errors = self._check_literals(
            project=project,
            project_version_name=project_version_name,
            training_data=training_data,
            testing_data=testing_data,
            output_prefix=output_prefix,
            tags=tags or {},
            version_description=version_description,
            feature_config=feature_config,
            removal_policy=removal_policy,
            service_timeout=service_timeout,
            training_timeout=training_timeout,
            inference_units=inference_units,
            min_f1_score=min_f1_score,
            min_label_f1_scores=min_label_f1_scores,
        )
        if output_access_logs is not None and output_bucket is not None:
            errors.append(
                "output_access_logs configures the output bucket this construct creates: enable "
                "server access logs on the output_bucket you give instead"
            )
        if errors:
            raise ValueError(f"ProjectVersion {self.node.path}: " + "; ".join(errors))

        self._tags = TagManager(
            TagType.MAP, RESOURCE_TYPE, initial_tags=dict(tags or {}), tag_property_name="Tags"
        )
        self.node.add_validation(_TagsValidation(self._tags))

        self.kms_key: kms.IKey = kms_key or kms.Key(
            self,
            "Key",
            description=f"Rekognition Custom Labels model version {self.node.path}",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.output_bucket: s3.IBucket = output_bucket or s3.Bucket(
            self,
            "Output",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.kms_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=removal_policy,
            auto_delete_objects=removal_policy == RemovalPolicy.DESTROY,
            server_access_logs_bucket=output_access_logs,
            server_access_logs_prefix=f"{self._path_name()}/" if output_access_logs is not None else None,
        )
        self.output_prefix = output_prefix if output_prefix is not None else f"{self._path_name()}/"

        project_arn, versions_arn, project_name = _project_arns(self, project)
        self._removal_policy = removal_policy
        if removal_policy == RemovalPolicy.RETAIN:
            self.node.add_validation(_RetainedVersionValidation(self, self.kms_key, project))
        self.provider = ProjectVersionProvider.of(self)
        version_grants = grant_provider(
            self.provider,
            project_arn=project_arn,
            versions_arn=versions_arn,
            kms_key=self.kms_key,
            output_bucket=self.output_bucket,
            output_prefix=self.output_prefix,
        )
        request: dict[str, Any] = {
            "ProjectArn": project_arn,
            "OutputConfig": {"S3Bucket": self.output_bucket.bucket_name, "S3KeyPrefix": self.output_prefix},
            "KmsKeyId": self.kms_key.key_arn,
        }
        if training_data is not None and testing_data is not None:
            for member, data in (("TrainingData", training_data), ("TestingData", testing_data)):
                config = data.bind(self, self)
                request[member] = config.properties
                version_grants += config.grants
        if version_description is not None:
            request["VersionDescription"] = version_description
        if feature_config is not None:
            request["FeatureConfig"] = feature_config.render()
        requested_name = (
            project_version_name if project_version_name is not None else self._default_version_name(request)
        )

        warning = validation.short_timeout_warning(service_timeout)
        if warning:
            Annotations.of(self).add_warning_v2("rekognition-custom-labels:short-service-timeout", warning)
        waits = self._training_waits(
            request, project_version_name, training_timeout or DEFAULT_TRAINING_TIMEOUT
        )
        stack = Stack.of(self)
        self._resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type=RESOURCE_TYPE,
            removal_policy=removal_policy,
            service_timeout=service_timeout or Duration.hours(1),
            properties={
                **request,
                "VersionName": requested_name,
                "Tags": Lazy.any(_TagsProducer(self._tags), omit_empty_array=True),
                "TrainingWait": {
                    "WaitConditions": [
                        {"LogicalId": stack.get_logical_id(wait), "TimeoutSeconds": seconds}
                        for wait, seconds in waits
                    ]
                },
            },
        )
        # Empty our output bucket only once the version is gone (deletes run in reverse dependency
        # order): a training that outlives a failed delete still writes its results there.
        auto_delete = self.output_bucket.node.try_find_child("AutoDeleteObjectsCustomResource")
        if output_bucket is None and auto_delete is not None:
            self._resource.node.add_dependency(auto_delete)
        previous: Construct = self._resource
        for wait, _ in waits:
            wait.node.add_dependency(previous)
            previous = wait
        # Once training has ended: read, gated and started here, so that everything that uses the
        # model waits for a trained (and serving) one, and moves to a new version once that one serves.
        gate = render_gate(min_f1_score, min_label_f1_scores)
        self._attributes = CustomResource(
            self,
            "Attributes",
            service_token=self.provider.service_token,
            resource_type=ATTRIBUTES_TYPE,
            service_timeout=service_timeout or Duration.hours(1),
            properties={
                "ProjectArn": project_arn,
                "VersionArn": self._resource.ref,
                "VersionLogicalId": stack.get_logical_id(
                    cast(CfnResource, self._resource.node.default_child)
                ),
                **(inference_units.render() if inference_units is not None else {}),
                **gate,
            },
        )
        self._attributes.node.add_dependency(previous)
        for grant in version_grants:
            grant.apply_before(self._resource)
        if gate:
            grant_evaluation_read(
                self.provider, output_bucket=self.output_bucket, output_prefix=self.output_prefix
            ).apply_before(self._attributes)

        attribute = self._attributes.get_att_string
        self.project_version_arn = attribute("Arn")
        self.project_version_name = attribute("VersionName")
        self.project_name = project_name
        self.status = attribute("Status")
        self.f1_score = attribute("F1Score")
        self.billable_training_seconds = attribute("BillableTrainingTimeInSeconds")
        self.evaluation_summary = EvaluationSummaryLocation(
            bucket_name=attribute("EvaluationSummaryBucket"), object_key=attribute("EvaluationSummaryKey")
        )

    @property
    def tags(self) -> TagManager:
        """The model version's tags (``Tags.of`` finds them here)."""
        return self._tags

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """Keep ``removal_policy``: the key and bucket follow it, and the bucket's auto-delete is decided
        when the construct is made, so another policy applied afterwards is refused, not half-applied."""
        if policy != self._removal_policy:
            raise ValueError(
                f"ProjectVersion {self.node.path}: give removal_policy={policy} when constructing it; the "
                "KMS key and the output bucket follow the version's policy from the start"
            )

    @staticmethod
    def from_project_version_arn(scope: Construct, construct_id: str, arn: str) -> IProjectVersion:
        """A model version made elsewhere, e.g. to grant DetectCustomLabels on it (its account and Region
        are the ARN's)."""
        check_version_arn(arn)
        return ImportedProjectVersion(scope, construct_id, project_version_arn=arn)

    @staticmethod
    def from_project_version_attributes(
        scope: Construct,
        construct_id: str,
        *,
        project_version_arn: str,
        project_name: str | None = None,
        project_version_name: str | None = None,
    ) -> IProjectVersion:
        """A model version made elsewhere, by its attributes.

        :param project_version_arn: the version's ARN (its account and Region are the import's).
        :param project_name: the project's name, e.g. a literal for the metrics' dimensions when the ARN
            is a token. Default: read from the ARN.
        :param project_version_name: the version's name. Default: read from the ARN.
        """
        check_version_arn(project_version_arn)
        return ImportedProjectVersion(
            scope,
            construct_id,
            project_version_arn=project_version_arn,
            project_name=project_name,
            project_version_name=project_version_name,
        )

    def _training_waits(
        self, request: dict[str, Any], project_version_name: str | None, timeout: Duration
    ) -> list[tuple[CfnWaitCondition, int]]:
        """The chain of wait conditions that holds the deployment until training ends.

        Wait conditions cannot be updated, so a new model version gets new ones: their logical ids
        carry a hash of what makes the version (the same properties as its default name).
        """
        replacing = {k: request.get(k) for k in _REPLACING_PROPERTIES}
        identity = Stack.of(self).resolve({"Path": self.node.path, "Name": project_version_name, **replacing})
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
        chain = Construct(self, f"Training{digest}")
        total, most = int(timeout.to_seconds()), validation.WAIT_CONDITION_MAX_SECONDS
        waits = []
        for index in range(math.ceil(total / most)):
            seconds = min(most, total - index * most)
            wait = CfnWaitCondition(chain, f"Wait{index + 1}")
            wait.cfn_options.creation_policy = CfnCreationPolicy(
                resource_signal=CfnResourceSignal(count=1, timeout=f"PT{seconds}S")
            )
            waits.append((wait, seconds))
        return waits

    def _path_name(self) -> str:
        """This construct's path below its stack, in the characters a version name allows."""
        relative = self.node.path[len(Stack.of(self).node.path) :].strip("/")
        return re.sub(r"[^a-zA-Z0-9_.\-]", "-", relative)[:_NAME_PATH_MAX]

    def _default_version_name(self, request: dict[str, Any]) -> str:
        """``<path>-<hash of the replacing properties>``, computed once tokens can be resolved."""

        def produce() -> str:
            # The path is hashed too: two paths that sanitize alike still get different names.
            replacing = {k: request.get(k) for k in _REPLACING_PROPERTIES}
            resolved = Stack.of(self).resolve({"Path": self.node.path, **replacing})
            digest = hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()
            return f"{self._path_name()}-{digest[:_HASH_CHARS]}"

        return Lazy.string(_StringProducer(produce))

    @staticmethod
    def _check_literals(
        *,
        project: IProject | rekognition_refs.IProjectRef | str,
        project_version_name: str | None,
        training_data: TrainingData | None,
        testing_data: TestingData | None,
        output_prefix: str | None,
        tags: dict[str, str],
        version_description: str | None,
        feature_config: FeatureConfig | None,
        removal_policy: RemovalPolicy,
        service_timeout: Duration | None,
        training_timeout: Duration | None,
        inference_units: InferenceUnits | None,
        min_f1_score: float | None,
        min_label_f1_scores: Mapping[str, float] | None,
    ) -> list[str]:
        errors: list[str] = []
        if isinstance(project, str):
            errors += validation.check_project_arn(project)
        if project_version_name is not None:
            errors += validation.check_version_name(project_version_name)
        if isinstance(project, ImportedProject) and not project.arn_known:
            errors.append(
                "a project imported by name has no ARN (it ends in a creation timestamp), and "
                "CreateProjectVersion needs one: import the project with Project.from_project_arn"
            )
        if (training_data is None) != (testing_data is None):
            errors.append(
                "give training_data and testing_data together (testing_data may be "
                "TestingData.auto_create()), or neither to train from the project's datasets"
            )
        if training_data is not None:
            errors += validation.check_manifest_key("training_data", training_data.manifest.key)
        if testing_data is not None and testing_data.manifest is not None:
            errors += validation.check_manifest_key("testing_data", testing_data.manifest.key)
        if output_prefix is not None:
            errors += validation.check_output_prefix(output_prefix)
        errors += validation.check_tags(tags)
        if version_description is not None:
            errors += validation.check_description(version_description)
        if feature_config is not None:
            errors += validation.check_confidence_threshold(
                feature_config.content_moderation_confidence_threshold
            )
        if removal_policy not in (RemovalPolicy.DESTROY, RemovalPolicy.RETAIN):
            errors.append("removal_policy must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN")
        if service_timeout is not None:
            errors += validation.check_service_timeout(service_timeout)
        if training_timeout is not None:
            errors += validation.check_training_timeout(training_timeout)
        if inference_units is not None:
            errors += validation.check_inference_units(inference_units.min_units, inference_units.max_units)
        errors += validation.check_f1_scores(min_f1_score, min_label_f1_scores)
        return errors


def _project_arns(
    scope: Construct, project: IProject | rekognition_refs.IProjectRef | str
) -> tuple[str, str, str]:
    """The project's ARN, the ARN pattern of its model versions, and its name.

    A project declared in an app has a name before its ARN (whose last part is a creation timestamp),
    so its versions' pattern is formatted from the name in the project's account and Region; an ARN
    given (or imported) is cut at that timestamp.
    """
    if isinstance(project, str):
        return _arns_from_project_arn(project)
    if isinstance(project, ImportedProject):
        return _arns_from_project_arn(project.project_arn)
    reference = project.project_ref
    versions = Stack.of(scope).format_arn(
        service="rekognition",
        resource="project",
        resource_name=f"{reference.project_name}/version/*",
        account=project.env.account,
        region=project.env.region,
    )
    return reference.project_arn, versions, reference.project_name


def _arns_from_project_arn(arn: str) -> tuple[str, str, str]:
    if Token.is_unresolved(arn):
        parts = Fn.split("/", arn)
        versions = Fn.join("/", [Fn.select(0, parts), Fn.select(1, parts), "version", "*"])
        return arn, versions, Fn.select(1, parts)
    return arn, arn.rsplit("/", 1)[0] + "/version/*", arn.split("/")[1]


@jsii.implements(IStableStringProducer)
class _StringProducer:
    """Adapts a Python callable to CDK's ``IStableStringProducer`` (jsii needs an object)."""

    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


@jsii.implements(IStableAnyProducer)
class _TagsProducer:
    def __init__(self, tags: TagManager) -> None:
        self._tags = tags

    def produce(self) -> Any:
        return self._tags.render_tags()
