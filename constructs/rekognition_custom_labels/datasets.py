"""Where a model version's training and testing images come from.

Rendered verbatim as the CreateProjectVersion ``TrainingData`` / ``TestingData`` members, so the
custom resource's properties are the API request and raw-CloudFormation users can write them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_s3 as s3


@dataclass(frozen=True)
class ManifestLocation:
    """A SageMaker Ground Truth manifest in S3, and the bucket that holds the images it lists."""

    bucket: s3.IBucket
    key: str
    version: str | None
    images_bucket: s3.IBucket

    def render_asset(self) -> dict[str, Any]:
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

    def render(self) -> dict[str, Any]:
        return {"Assets": [self.manifest.render_asset()]}


class TestingData:
    """Testing images for a model version: a Ground Truth manifest, or a split of the training set."""

    __test__ = False  # not a pytest test class, despite the name

    AUTO_CREATE: TestingData

    def __init__(self, manifest: ManifestLocation | None) -> None:
        self.manifest = manifest

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
        """Let Rekognition split the training data into training and test sets (``AutoCreate``)."""
        return TestingData.AUTO_CREATE

    def render(self) -> dict[str, Any]:
        if self.manifest is None:
            return {"AutoCreate": True}
        return {"Assets": [self.manifest.render_asset()]}


TestingData.AUTO_CREATE = TestingData(None)


@dataclass(frozen=True)
class FeatureConfig:
    """Settings of the project's feature; for now the only one the API has: content moderation.

    :param content_moderation_confidence_threshold: the minimum confidence (0-100) at which the
        adapted content-moderation model returns a label.
    """

    content_moderation_confidence_threshold: float

    def render(self) -> dict[str, Any]:
        return {"ContentModeration": {"ConfidenceThreshold": self.content_moderation_confidence_threshold}}
