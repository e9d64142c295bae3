"""Where a model version's training and testing images come from.

As aws-cdk-lib's data sources (``lambda.Code``, SageMaker's ``ModelData``) do, each one ``bind``s to
the version that uses it: it returns the CreateProjectVersion ``TrainingData`` / ``TestingData`` member
(rendered verbatim, so the custom resource's properties are the API request and raw-CloudFormation users
can write them by hand) and grants the version's provider what it needs to read the data, in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from constructs import Construct

from .acknowledgements import acknowledge_wildcard

if TYPE_CHECKING:
    from .project_version import ProjectVersion


@dataclass(frozen=True, eq=False)
class DataConfig(Mapping[str, Any]):
    """What a bound data source gives its version: the rendered request member, as a read-only mapping
    (equal to the plain dict), and the grants that let the provider read the data."""

    properties: Mapping[str, Any]
    """The CreateProjectVersion member (``TrainingData`` or ``TestingData``)."""
    grants: tuple[iam.Grant, ...] = field(default=())
    """The provider's read grants; the version's resource waits for them (``Grant.apply_before``)."""

    def __getitem__(self, key: str) -> Any:
        return self.properties[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.properties)

    def __len__(self) -> int:
        return len(self.properties)


@dataclass(frozen=True)
class ManifestLocation:
    """A SageMaker Ground Truth manifest in S3, and the bucket that holds the images it lists."""

    bucket: s3.IBucket
    key: str
    version: str | None
    images_bucket: s3.IBucket

    def render_asset(self) -> dict[str, Any]:
        """The manifest as one ``Assets`` entry of the request."""
        s3_object: dict[str, Any] = {"Bucket": self.bucket.bucket_name, "Name": self.key}
        if self.version is not None:
            s3_object["Version"] = self.version
        return {"GroundTruthManifest": {"S3Object": s3_object}}


def _manifest(
    bucket: s3.IBucket, key: str, version: str | None, images_bucket: s3.IBucket | None
) -> ManifestLocation:
    return ManifestLocation(bucket=bucket, key=key, version=version, images_bucket=images_bucket or bucket)


class TrainingData:
    """Training images for a model version: a Ground Truth manifest in S3."""

    def __init__(self, manifest: ManifestLocation) -> None:
        self.manifest = manifest

    @staticmethod
    def from_manifest(
        bucket: s3.IBucket,
        key: str,
        *,
        version: str | None = None,
        images_bucket: s3.IBucket | None = None,
    ) -> TrainingData:
        """Train from the manifest ``s3://bucket/key``.

        :param version: the manifest's S3 object version. Default: the latest version. Pin it (or change
            the key) when the manifest's content changes, so that a new model version is trained.
        :param images_bucket: the bucket holding the images the manifest lists (the service requires
            one bucket for all of them). Default: the manifest's bucket.
        """
        return TrainingData(_manifest(bucket, key, version, images_bucket))

    def bind(self, scope: Construct, version: ProjectVersion) -> DataConfig:
        """The ``TrainingData`` member, and the provider's read of the manifest and its images.

        :param scope: the construct that binds this data (the version).
        :param version: the model version trained from it.
        """
        return DataConfig(
            properties={"Assets": [self.manifest.render_asset()]}, grants=_grant_read(version, self.manifest)
        )


class TestingData:
    """Testing images for a model version: a Ground Truth manifest, or a split of the training set."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, manifest: ManifestLocation) -> None:
        """Test with ``manifest``; ``from_manifest`` makes one, ``auto_create()`` splits the training set."""
        self.manifest: ManifestLocation | None = manifest

    @property
    def is_auto_create(self) -> bool:
        """True when Rekognition splits the training data to make the test set."""
        return self.manifest is None

    @staticmethod
    def from_manifest(
        bucket: s3.IBucket,
        key: str,
        *,
        version: str | None = None,
        images_bucket: s3.IBucket | None = None,
    ) -> TestingData:
        """Test with the manifest ``s3://bucket/key`` (see ``TrainingData.from_manifest``)."""
        return TestingData(_manifest(bucket, key, version, images_bucket))

    @staticmethod
    def auto_create() -> TestingData:
        """Let Rekognition split the training data into training and test sets (``AutoCreate``): the one
        way to say it."""
        return _SplitOfTrainingData()

    def bind(self, scope: Construct, version: ProjectVersion) -> DataConfig:
        """The ``TestingData`` member, and the provider's read of the manifest and its images (none
        for a split of the training set).

        :param scope: the construct that binds this data (the version).
        :param version: the model version tested with it.
        """
        if self.manifest is None:
            return DataConfig(properties={"AutoCreate": True})
        return DataConfig(
            properties={"Assets": [self.manifest.render_asset()]}, grants=_grant_read(version, self.manifest)
        )


class _SplitOfTrainingData(TestingData):
    """``TestingData.auto_create()``: no manifest of its own."""

    def __init__(self) -> None:
        self.manifest = None


@dataclass(frozen=True)
class FeatureConfig:
    """Settings of the project's feature; for now the only one the API has: content moderation.

    :param content_moderation_confidence_threshold: the minimum confidence (0-100) at which the
        adapted content-moderation model returns a label.
    """

    content_moderation_confidence_threshold: float

    def render(self) -> dict[str, Any]:
        """The CreateProjectVersion ``FeatureConfig`` member."""
        return {"ContentModeration": {"ConfidenceThreshold": self.content_moderation_confidence_threshold}}


def _grant_read(version: ProjectVersion, manifest: ManifestLocation) -> tuple[iam.Grant, ...]:
    """Read of the manifest object and of every object of its images bucket (the manifest lists them
    under service-unknown names), and decrypt with their buckets' keys."""
    role = version.provider.role
    grants = (
        _grant_object_read(role, manifest.bucket, manifest.key),
        _grant_object_read(role, manifest.images_bucket, "*"),
    )
    acknowledge_wildcard(
        version.provider,
        manifest.images_bucket.arn_for_objects("*"),
        "training reads every image the Ground Truth manifest lists, and the service requires them "
        "all in this one bucket; read of objects only",
    )
    return grants


def _grant_object_read(role: iam.IGrantable, bucket: s3.IBucket, key_pattern: str) -> iam.Grant:
    """Read of objects only (``grant_read`` would add ``s3:List*`` and ``s3:GetBucket*``)."""
    grant = iam.Grant.add_to_principal(
        grantee=role,
        actions=["s3:GetObject", "s3:GetObjectVersion"],
        resource_arns=[bucket.arn_for_objects(key_pattern)],
    )
    if bucket.encryption_key is not None:
        grant = grant.combine(bucket.encryption_key.grant_decrypt(role))
    return grant
