"""Tags of projects and model versions: set at creation, merged, removed, limited, and gone with them.

One local cloud serves the module; each test tags resources of its own. The tag rules (count, key and
value length and characters, the reserved ``aws:`` prefix) are the service's, so they are sent through a
client that leaves all validation to the service.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock
from localcloud.rekognition.service import Quotas
from localcloud.samples.shapes import shapes_dataset
from localcloud.testing.clients import error_code, unchecked_client
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import manifest_asset

DURATIONS = PROPORTIONAL.durations

DATA_BUCKET = "tagging-data"
OUTPUT_BUCKET = "tagging-output"
UNKNOWN_VERSION = "arn:aws:rekognition:us-east-1:123456789012:project/nowhere/version/v1/1700000000000"
UNKNOWN_PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/nowhere/1700000000000"

_projects = itertools.count()


def many(count: int, prefix: str = "k") -> dict[str, str]:
    return {f"{prefix}{i}": f"value-{i}" for i in range(count)}


@dataclass
class Tagging:
    clock: ManualClock
    rekognition: Any
    unchecked: Any  # a client that leaves every check to the service

    def project(self, tags: dict[str, str] | None = None) -> str:
        extra = {} if tags is None else {"Tags": tags}
        arn: str = self.rekognition.create_project(ProjectName=f"tags-{next(_projects)}", **extra)[
            "ProjectArn"
        ]
        return arn

    def version(self, tags: dict[str, str] | None = None, *, project_arn: str | None = None) -> str:
        extra = {} if tags is None else {"Tags": tags}
        arn: str = self.unchecked.create_project_version(
            ProjectArn=project_arn or self.project(),
            VersionName="v1",
            OutputConfig={"S3Bucket": OUTPUT_BUCKET},
            TrainingData=manifest_asset(DATA_BUCKET, "manifests/train.manifest"),
            TestingData=manifest_asset(DATA_BUCKET, "manifests/test.manifest"),
            **extra,
        )["ProjectVersionArn"]
        return arn

    def resource(self, kind: str, tags: dict[str, str] | None = None) -> str:
        return self.project(tags) if kind == "project" else self.version(tags)

    def tags(self, arn: str) -> dict[str, str]:
        tags: dict[str, str] = self.rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"]
        return tags


@pytest.fixture(scope="module")
def tagging() -> Iterator[Tagging]:
    clock = ManualClock()
    # Many versions train at once here (tags are the subject); the tag quota stays at its default.
    with started_cloud(PROPORTIONAL, clock=clock, quotas=Quotas(concurrent_trainings=1000)) as cloud:
        s3 = cloud.client("s3")
        s3.create_bucket(Bucket=DATA_BUCKET)
        s3.create_bucket(Bucket=OUTPUT_BUCKET)
        objects = shapes_dataset(bucket=DATA_BUCKET, images_per_label=2, labels=("circle", "square"))
        for key, body in objects.items():
            s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
        yield Tagging(clock, cloud.client("rekognition"), unchecked_client(cloud, "rekognition"))


KINDS = ["project", "version"]


@pytest.mark.parametrize(
    ("given", "listed"),
    [
        pytest.param(
            {"team": "vision", "cost-centre": "42"}, {"team": "vision", "cost-centre": "42"}, id="tags"
        ),
        pytest.param(None, {}, id="no-tags"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_tags_given_at_creation_are_listed(
    tagging: Tagging, kind: str, given: dict[str, str] | None, listed: dict[str, str]
) -> None:
    # GIVEN a resource created with tags (or without any)
    arn = tagging.resource(kind, given)
    # WHEN its tags are listed THEN they are exactly those (none without)
    assert tagging.tags(arn) == listed


@pytest.mark.parametrize("kind", KINDS)
def test_tag_resource_merges_and_untag_resource_removes(tagging: Tagging, kind: str) -> None:
    # GIVEN a resource with two tags
    arn = tagging.resource(kind, {"team": "vision", "stage": "dev"})
    # WHEN a tag is added and an existing one given a new value
    tagging.rekognition.tag_resource(ResourceArn=arn, Tags={"stage": "prod", "owner": "ana"})
    # THEN the tags are merged: the other tag is kept, the new value wins
    assert tagging.tags(arn) == {"team": "vision", "stage": "prod", "owner": "ana"}
    # WHEN two keys are removed, one of which the resource does not have
    tagging.rekognition.untag_resource(ResourceArn=arn, TagKeys=["team", "never-set"])
    # THEN only that tag is gone
    assert tagging.tags(arn) == {"stage": "prod", "owner": "ana"}


def test_tags_of_a_version_and_its_project_are_separate(tagging: Tagging) -> None:
    # GIVEN a project and a version of it, tagged differently
    project_arn = tagging.project({"level": "project"})
    version_arn = tagging.version({"level": "version"}, project_arn=project_arn)
    # WHEN one is tagged further
    tagging.rekognition.tag_resource(ResourceArn=version_arn, Tags={"extra": "yes"})
    # THEN the other is unchanged
    assert tagging.tags(project_arn) == {"level": "project"}
    assert tagging.tags(version_arn) == {"level": "version", "extra": "yes"}


TAG_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "ListTagsForResource": lambda c, arn: c.list_tags_for_resource(ResourceArn=arn),
    "TagResource": lambda c, arn: c.tag_resource(ResourceArn=arn, Tags={"a": "b"}),
    "UntagResource": lambda c, arn: c.untag_resource(ResourceArn=arn, TagKeys=["a"]),
}


@pytest.mark.parametrize("arn", [UNKNOWN_VERSION, UNKNOWN_PROJECT], ids=["version", "project"])
@pytest.mark.parametrize("operation", list(TAG_CALLS))
def test_unknown_arn_is_not_found(tagging: Tagging, operation: str, arn: str) -> None:
    # GIVEN an ARN of no resource
    # WHEN it is listed, tagged or untagged THEN it is not found
    with pytest.raises(ClientError) as caught:
        TAG_CALLS[operation](tagging.rekognition, arn)
    assert error_code(caught) == "ResourceNotFoundException"


# -- how many --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "added", "outcome"),
    [
        (0, 200, None),
        (0, 201, "InvalidParameterException"),  # the model's map maximum, checked on the request
        (150, 50, None),
        (150, 51, "ServiceQuotaExceededException"),  # the resource's limit, checked on the merge
        (200, 1, "ServiceQuotaExceededException"),
    ],
)
def test_tag_count_limits(tagging: Tagging, existing: int, added: int, outcome: str | None) -> None:
    # GIVEN a project with some tags
    arn = tagging.project(many(existing, prefix="old"))
    # WHEN more tags are added in one call
    new = many(added, prefix="new")
    if outcome is None:
        tagging.unchecked.tag_resource(ResourceArn=arn, Tags=new)
        # THEN up to 200 in all are kept
        assert len(tagging.tags(arn)) == existing + added
        return
    with pytest.raises(ClientError) as caught:
        tagging.unchecked.tag_resource(ResourceArn=arn, Tags=new)
    # THEN beyond that the call is refused with the expected code and no tag is added
    assert error_code(caught) == outcome
    assert len(tagging.tags(arn)) == existing


def test_retagging_existing_keys_at_the_limit_is_allowed(tagging: Tagging) -> None:
    # GIVEN a project with 200 tags
    arn = tagging.project(many(200))
    # WHEN 200 of its keys get new values THEN the count stays at 200 and is accepted
    tagging.unchecked.tag_resource(ResourceArn=arn, Tags={f"k{i}": "changed" for i in range(200)})
    assert set(tagging.tags(arn).values()) == {"changed"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("count", "accepted"), [(200, True), (201, False)])
def test_tag_count_at_creation(tagging: Tagging, kind: str, count: int, accepted: bool) -> None:
    # GIVEN a request that creates a resource with this many tags
    tags = many(count)
    if accepted:
        # WHEN it is sent THEN the resource has them all
        arn = (
            tagging.version(tags)
            if kind == "version"
            else tagging.unchecked.create_project(ProjectName=f"tags-{next(_projects)}", Tags=tags)[
                "ProjectArn"
            ]
        )
        assert tagging.tags(arn) == tags
        return
    # WHEN it is sent with one tag too many THEN it is an invalid parameter
    with pytest.raises(ClientError) as caught:
        if kind == "version":
            tagging.version(tags)
        else:
            tagging.unchecked.create_project(ProjectName=f"tags-{next(_projects)}", Tags=tags)
    assert error_code(caught) == "InvalidParameterException"


# -- what a key and a value may be -----------------------------------------------------------------

TAG_RULES = [
    pytest.param("aws:x", "v", False, id="reserved-prefix"),
    pytest.param("aws:", "v", False, id="reserved-prefix-alone"),
    pytest.param("AWS:x", "v", True, id="reserved-prefix-is-case-sensitive"),
    pytest.param("x-aws:y", "v", True, id="aws-not-at-start"),
    pytest.param("k" * 128, "v", True, id="key-128"),
    pytest.param("k" * 129, "v", False, id="key-129"),
    pytest.param("", "v", False, id="key-empty"),
    pytest.param("k", "v" * 256, True, id="value-256"),
    pytest.param("k", "v" * 257, False, id="value-257"),
    pytest.param("k", "", True, id="value-empty"),
    pytest.param("größe", "groß", True, id="latin-letters"),
    pytest.param("名前", "値", True, id="cjk-letters"),
    pytest.param("κλειδί", "τιμή ٣", True, id="greek-letters-arabic-digit"),
    pytest.param("a b_.:/=+-@9", "x y_.:/=+-@0", True, id="every-allowed-symbol"),
    pytest.param("key#1", "v", False, id="key-hash"),
    pytest.param("k", "value!", False, id="value-bang"),
    pytest.param("k", "line\nbreak", False, id="value-newline"),
]


@pytest.mark.parametrize(("key", "value", "accepted"), TAG_RULES)
def test_tag_key_and_value_rules(tagging: Tagging, key: str, value: str, accepted: bool) -> None:
    # GIVEN a project
    arn = tagging.project()
    if accepted:
        # WHEN it is tagged with an allowed key and value THEN the tag is kept as given
        tagging.unchecked.tag_resource(ResourceArn=arn, Tags={key: value})
        assert tagging.tags(arn) == {key: value}
        return
    # WHEN it is tagged with a key or value the rules forbid THEN it is an invalid parameter
    with pytest.raises(ClientError) as caught:
        tagging.unchecked.tag_resource(ResourceArn=arn, Tags={key: value})
    assert error_code(caught) == "InvalidParameterException"
    assert tagging.tags(arn) == {}


@pytest.mark.parametrize(("key", "accepted"), [("aws:x", False), ("k" * 129, False), ("AWS:x", True)])
def test_untag_keys_follow_the_same_rules(tagging: Tagging, key: str, accepted: bool) -> None:
    # GIVEN a project with a tag
    arn = tagging.project({"keep": "me"})
    # WHEN a key is untagged THEN a key the rules forbid is an invalid parameter, others are accepted
    if accepted:
        tagging.unchecked.untag_resource(ResourceArn=arn, TagKeys=[key])
    else:
        with pytest.raises(ClientError) as caught:
            tagging.unchecked.untag_resource(ResourceArn=arn, TagKeys=[key])
        assert error_code(caught) == "InvalidParameterException"
    assert tagging.tags(arn) == {"keep": "me"}


# -- tags go with their resource -------------------------------------------------------------------


def test_tags_of_a_version_vanish_after_it_is_deleted(tagging: Tagging) -> None:
    # GIVEN a trained, tagged version
    arn = tagging.version({"team": "vision"})
    tagging.clock.advance(DURATIONS.training)
    # WHEN it is deleted THEN its tags stay listed while it is being deleted
    assert tagging.rekognition.delete_project_version(ProjectVersionArn=arn)["Status"] == "DELETING"
    assert tagging.tags(arn) == {"team": "vision"}
    # AND once it is gone, its ARN is not found for tagging
    tagging.clock.advance(DURATIONS.deleting)
    for operation in TAG_CALLS.values():
        with pytest.raises(ClientError) as caught:
            operation(tagging.rekognition, arn)
        assert error_code(caught) == "ResourceNotFoundException"


def test_tags_of_a_project_vanish_after_it_is_deleted(tagging: Tagging) -> None:
    # GIVEN a tagged project
    arn = tagging.project({"team": "vision"})
    # WHEN it is deleted and the deletion time passes
    tagging.rekognition.delete_project(ProjectArn=arn)
    tagging.clock.advance(DURATIONS.project_deleting)
    # THEN its ARN is not found for tagging
    with pytest.raises(ClientError) as caught:
        tagging.rekognition.list_tags_for_resource(ResourceArn=arn)
    assert error_code(caught) == "ResourceNotFoundException"
