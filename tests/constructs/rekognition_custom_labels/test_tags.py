"""Tags: the ``tags`` prop and ``Tags.of`` meet in the version's TagManager and render as a ``Tags`` map."""

from __future__ import annotations

from aws_cdk import TagManager, Tags
from aws_cdk.assertions import Match

from constructs import Construct
from rekognition_custom_labels import ProjectVersion

from .helpers import PROJECT_ARN, VERSION_TYPE, new_app, new_stack, synth, version_properties


def test_tags_prop_renders_a_tags_map() -> None:
    # GIVEN tags on the version
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN, tags={"team": "vision", "cost-center": "42"})

    # THEN Tags is a key/value map (the TagResource shape), not a CloudFormation tag list
    synth(stack).has_resource_properties(VERSION_TYPE, {"Tags": {"team": "vision", "cost-center": "42"}})


def test_no_tags_renders_no_tags_property() -> None:
    # GIVEN a version without tags, in an untagged app
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # THEN the property is left out altogether
    synth(stack).has_resource_properties(VERSION_TYPE, {"Tags": Match.absent()})


def test_empty_tags_prop_renders_no_tags_property() -> None:
    # GIVEN an empty tags mapping / WHEN declared / THEN no Tags property
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, tags={})
    synth(stack).has_resource_properties(VERSION_TYPE, {"Tags": Match.absent()})


def test_tags_of_stack_merge_with_prop_tags() -> None:
    # GIVEN prop tags, and a tag on the stack
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, tags={"team": "vision"})

    # WHEN the stack is tagged
    Tags.of(stack).add("env", "test")

    # THEN the version carries both
    assert version_properties(synth(stack))["Tags"] == {"team": "vision", "env": "test"}


def test_tags_of_app_reach_the_version() -> None:
    # GIVEN a version nested below a construct, in a stack, in an app
    app = new_app()
    stack = new_stack(app)
    ProjectVersion(Construct(stack, "Group"), "V", project=PROJECT_ARN, tags={"team": "vision"})

    # WHEN the app and the intermediate construct are tagged
    Tags.of(app).add("app", "shapes")
    Tags.of(stack.node.find_child("Group")).add("group", "g1")

    # THEN all three sources are merged
    assert version_properties(synth(stack))["Tags"] == {"team": "vision", "app": "shapes", "group": "g1"}


def test_tags_only_reach_versions_below_the_tagged_scope() -> None:
    # GIVEN two versions in sibling constructs
    stack = new_stack()
    ProjectVersion(Construct(stack, "Tagged"), "V", project=PROJECT_ARN)
    ProjectVersion(Construct(stack, "Untagged"), "V", project=PROJECT_ARN)

    # WHEN only one sibling is tagged
    Tags.of(stack.node.find_child("Tagged")).add("k", "v")
    template = synth(stack)

    # THEN only its version carries the tag
    template.has_resource_properties(
        VERSION_TYPE, {"OutputConfig": Match.object_like({"S3KeyPrefix": "Tagged-V/"}), "Tags": {"k": "v"}}
    )
    template.has_resource_properties(
        VERSION_TYPE,
        {"OutputConfig": Match.object_like({"S3KeyPrefix": "Untagged-V/"}), "Tags": Match.absent()},
    )


def test_tags_of_remove_removes_prop_and_inherited_tags() -> None:
    # GIVEN prop tags and an inherited tag
    app = new_app()
    stack = new_stack(app)
    version = ProjectVersion(stack, "V", project=PROJECT_ARN, tags={"team": "vision", "keep": "1"})
    Tags.of(app).add("env", "test")

    # WHEN one prop tag and the inherited tag are removed
    Tags.of(version).remove("team")
    Tags.of(stack).remove("env")

    # THEN only the other tag is left
    assert version_properties(synth(stack))["Tags"] == {"keep": "1"}


def test_tags_of_remove_of_every_tag_leaves_no_tags_property() -> None:
    # GIVEN one prop tag / WHEN removed through Tags.of / THEN no Tags property
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, tags={"team": "vision"})
    Tags.of(stack).remove("team")
    synth(stack).has_resource_properties(VERSION_TYPE, {"Tags": Match.absent()})


def test_tags_of_include_resource_types_selects_the_version() -> None:
    # GIVEN a version with its default bucket and key
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # WHEN a tag is restricted to Custom::RekognitionProjectVersion, and another to buckets
    Tags.of(stack).add("model", "yes", include_resource_types=[VERSION_TYPE])
    Tags.of(stack).add("bucket", "yes", include_resource_types=["AWS::S3::Bucket"])
    template = synth(stack)

    # THEN the version carries only its own, and the bucket does not get the version's
    assert version_properties(template)["Tags"] == {"model": "yes"}
    template.has_resource_properties(
        "AWS::S3::Bucket", {"Tags": Match.array_with([{"Key": "bucket", "Value": "yes"}])}
    )
    bucket = next(iter(template.find_resources("AWS::S3::Bucket").values()))
    assert {"Key": "model", "Value": "yes"} not in bucket["Properties"]["Tags"]


def test_tags_of_exclude_resource_types_skips_the_version() -> None:
    # GIVEN a version
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, tags={"team": "vision"})

    # WHEN a stack tag excludes Custom::RekognitionProjectVersion
    Tags.of(stack).add("infra", "yes", exclude_resource_types=[VERSION_TYPE])

    # THEN the version does not carry it
    assert version_properties(synth(stack))["Tags"] == {"team": "vision"}


def test_tags_are_a_tag_manager_of_the_version_type() -> None:
    # GIVEN a version
    stack = new_stack()
    version = ProjectVersion(stack, "V", project=PROJECT_ARN, tags={"team": "vision"})

    # WHEN its tags are inspected / THEN Tags.of can find them and filters by our resource type
    assert TagManager.is_taggable(version)
    assert version.tags.tag_values() == {"team": "vision"}
    assert version.tags.apply_tag_aspect_here([VERSION_TYPE], None)
    assert not version.tags.apply_tag_aspect_here(["AWS::S3::Bucket"], None)


def test_tags_do_not_change_the_rest_of_the_resource() -> None:
    # GIVEN the same version twice, untagged and tagged through Tags.of
    def props(tagged: bool) -> dict[str, object]:
        stack = new_stack()
        ProjectVersion(stack, "V", project=PROJECT_ARN)
        if tagged:
            Tags.of(stack).add("env", "test")
        return dict(version_properties(synth(stack)))

    # WHEN both are synthesized
    untagged, tagged = props(False), props(True)

    # THEN only the Tags property differs
    assert tagged.pop("Tags") == {"env": "test"}
    assert tagged == untagged
