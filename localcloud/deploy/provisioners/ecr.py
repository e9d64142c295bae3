"""ECR repositories: ``AWS::ECR::Repository`` (the CDK bootstrap stack's container assets repository)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import (
    Context,
    Provisioned,
    ProvisionError,
    _changed,
    _deleting,
    _document,
    _failing_as,
    _flag,
    _ignoring_missing,
    _quietly,
    _ResourceType,
    _retag,
    _tag_list,
    _tags,
    generated_name,
    partition,
)

_GONE = ("RepositoryNotFoundException",)


def _lifecycle_text(properties: Mapping[str, Any]) -> str | None:
    """The ``LifecyclePolicy.LifecyclePolicyText`` as ECR takes it, or None when there is none."""
    text = (properties.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
    return _document(text) if text else None


class Repository(_ResourceType):
    label = "ECR repository"
    supported = frozenset(
        {
            "RepositoryName",
            "ImageTagMutability",
            "ImageScanningConfiguration",
            "LifecyclePolicy",
            "RepositoryPolicyText",
            "EmptyOnDelete",
            "EncryptionConfiguration",
            "Tags",
        }
    )
    replaced_by = frozenset({"RepositoryName", "EncryptionConfiguration"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        ecr = ctx.client("ecr")
        # CloudFormation lower-cases generated names: ECR refuses upper case.
        name = str(
            properties.get("RepositoryName") or generated_name(ctx.stack_name, logical_id, 256, lower=True)
        )
        request: dict[str, Any] = {"repositoryName": name}
        if "ImageTagMutability" in properties:
            request["imageTagMutability"] = str(properties["ImageTagMutability"])
        if "ImageScanningConfiguration" in properties:
            request["imageScanningConfiguration"] = self._scanning(properties)
        if encryption := properties.get("EncryptionConfiguration"):
            request["encryptionConfiguration"] = {
                "encryptionType": str(encryption.get("EncryptionType", "AES256")),
                **({"kmsKey": str(encryption["KmsKey"])} if encryption.get("KmsKey") else {}),
            }
        if tags := _tags(properties):
            request["tags"] = _tag_list(tags)
        with _failing_as(self.label, name):
            ecr.create_repository(**request)
        try:
            self._policies(ecr, name, {}, properties)
        except ProvisionError:
            _quietly(lambda: ecr.delete_repository(repositoryName=name, force=True))
            raise
        return Provisioned(name, self._attributes(ctx, name))

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        ecr = ctx.client("ecr")
        with _failing_as(self.label, physical_id):
            if _changed(old, new, "ImageTagMutability"):
                mutability = str(new.get("ImageTagMutability", "MUTABLE"))
                ecr.put_image_tag_mutability(repositoryName=physical_id, imageTagMutability=mutability)
            if _changed(old, new, "ImageScanningConfiguration"):
                ecr.put_image_scanning_configuration(
                    repositoryName=physical_id, imageScanningConfiguration=self._scanning(new)
                )
            arn = self._arn(ctx, physical_id)
            _retag(
                old,
                new,
                lambda tags: ecr.tag_resource(resourceArn=arn, tags=_tag_list(tags)),
                lambda keys: ecr.untag_resource(resourceArn=arn, tagKeys=keys),
            )
        self._policies(ecr, physical_id, old, new)
        return Provisioned(physical_id, self._attributes(ctx, physical_id))

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """Fails on a repository holding images unless ``EmptyOnDelete``, as CloudFormation's does."""
        force = _flag(properties.get("EmptyOnDelete", False))
        with _deleting(self.label, physical_id, *_GONE):
            ctx.client("ecr").delete_repository(repositoryName=physical_id, force=force)

    def _policies(self, ecr: Any, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """The lifecycle and repository policies, which CreateRepository does not take."""
        with _failing_as(self.label, name):
            if _lifecycle_text(old) != (text := _lifecycle_text(new)):
                if text:
                    ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=text)
                else:
                    _ignoring_missing(
                        lambda: ecr.delete_lifecycle_policy(repositoryName=name),
                        "LifecyclePolicyNotFoundException",
                    )
            if _changed(old, new, "RepositoryPolicyText"):
                if new.get("RepositoryPolicyText"):
                    ecr.set_repository_policy(
                        repositoryName=name, policyText=_document(new["RepositoryPolicyText"])
                    )
                else:
                    _ignoring_missing(
                        lambda: ecr.delete_repository_policy(repositoryName=name),
                        "RepositoryPolicyNotFoundException",
                    )

    @staticmethod
    def _scanning(properties: Mapping[str, Any]) -> dict[str, bool]:
        scanning = properties.get("ImageScanningConfiguration") or {}
        return {"scanOnPush": _flag(scanning.get("ScanOnPush", False))}

    @staticmethod
    def _arn(ctx: Context, name: str) -> str:
        return f"arn:{partition(ctx.region)}:ecr:{ctx.region}:{ctx.account}:repository/{name}"

    @classmethod
    def _attributes(cls, ctx: Context, name: str) -> dict[str, Any]:
        suffix = "amazonaws.com.cn" if partition(ctx.region) == "aws-cn" else "amazonaws.com"
        uri = f"{ctx.account}.dkr.ecr.{ctx.region}.{suffix}/{name}"
        return {"Arn": cls._arn(ctx, name), "RepositoryUri": uri}
