"""Every ProjectVersion prop and its default, and the construct's attributes, read from a real synth."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from aws_cdk import CfnParameter, Duration, Fn, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match

from constructs import Construct
from rekognition_custom_labels import FeatureConfig, ProjectVersion, TestingData, TrainingData

from .helpers import (
    KEY_ARN,
    PROJECT_ARN,
    VERSION_ARN,
    VERSION_TYPE,
    cfn_project,
    dataset_bucket,
    get_att,
    logical_id_of,
    manifests,
    new_stack,
    only_attributes,
    only_version,
    provider_function,
    synth,
    version_properties,
)

DEFAULT_NAME = re.compile(r"^V-[0-9a-f]{12}$")


# --- project ---------------------------------------------------------------------------------------


def test_renders_one_custom_resource_served_by_the_provider_function() -> None:
    # GIVEN a stack with one model version
    stack = new_stack()
    ProjectVersion(stack, "V", project=cfn_project(stack))

    # WHEN synthesized
    template = synth(stack)

    # THEN one Custom::RekognitionProjectVersion whose ServiceToken is the provider function's ARN
    template.resource_count_is(VERSION_TYPE, 1)
    function_id, _ = provider_function(template)
    template.has_resource_properties(VERSION_TYPE, {"ServiceToken": get_att(function_id)})


def test_project_as_cfn_project_renders_its_arn_attribute() -> None:
    # GIVEN a CfnProject in the same stack
    stack = new_stack()
    project = cfn_project(stack)

    # WHEN a version of it is declared
    ProjectVersion(stack, "V", project=project)

    # THEN ProjectArn is Fn::GetAtt Project.Arn
    synth(stack).has_resource_properties(VERSION_TYPE, {"ProjectArn": get_att("Project")})


def test_project_as_literal_arn_renders_verbatim() -> None:
    # GIVEN a project ARN string
    stack = new_stack()

    # WHEN a version of it is declared
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # THEN ProjectArn is that string
    synth(stack).has_resource_properties(VERSION_TYPE, {"ProjectArn": PROJECT_ARN})


def test_project_as_token_renders_the_token() -> None:
    # GIVEN a project ARN known only at deploy time
    stack = new_stack()
    project_arn = CfnParameter(stack, "ProjectArn").value_as_string

    # WHEN a version of it is declared
    ProjectVersion(stack, "V", project=project_arn)

    # THEN ProjectArn references the parameter
    synth(stack).has_resource_properties(VERSION_TYPE, {"ProjectArn": {"Ref": "ProjectArn"}})


# --- version_name ----------------------------------------------------------------------------------


def test_explicit_version_name_is_used_verbatim() -> None:
    # GIVEN an explicit version name
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN, project_version_name="shapes-v1")

    # THEN VersionName is exactly that name
    synth(stack).has_resource_properties(VERSION_TYPE, {"VersionName": "shapes-v1"})


Configure = Callable[[Stack], dict[str, Any]]


def _base(stack: Stack) -> dict[str, Any]:
    """A version with every hashed property set, against which one change at a time is compared."""
    bucket = dataset_bucket(stack)
    return {
        "project": cfn_project(stack),
        "training_data": TrainingData.from_manifest(bucket, "train.manifest", version="1"),
        "testing_data": TestingData.from_manifest(bucket, "test.manifest", version="1"),
        "version_description": "shapes",
        "feature_config": FeatureConfig(content_moderation_confidence_threshold=50),
    }


def _default_name(configure: Configure, after: Callable[[Stack], None] | None = None) -> str:
    """The default VersionName of one version ``V`` built in a fresh app by ``configure``."""
    stack = new_stack()
    ProjectVersion(stack, "V", **configure(stack))
    if after is not None:
        after(stack)
    name: str = version_properties(synth(stack))["VersionName"]
    return name


def test_default_version_name_is_deterministic() -> None:
    # GIVEN the same app built twice
    # WHEN each is synthesized
    first, second = _default_name(_base), _default_name(_base)

    # THEN both default names are equal and have the <path>-<12 hex> shape
    assert first == second
    assert DEFAULT_NAME.match(first), first


def test_default_version_name_starts_with_the_sanitized_construct_path() -> None:
    # GIVEN a version nested in a construct, with characters a version name does not allow
    stack = new_stack()
    group = Construct(stack, "Group")
    ProjectVersion(group, "My V@1", project=PROJECT_ARN)

    # WHEN synthesized
    name = version_properties(synth(stack))["VersionName"]

    # THEN the name is the path below the stack, disallowed characters replaced by '-', then the hash
    assert re.match(r"^Group-My-V-1-[0-9a-f]{12}$", name), name


def test_paths_that_sanitize_alike_still_get_different_default_names() -> None:
    # GIVEN two versions whose ids differ only in characters a version name does not allow
    stack = new_stack()
    output = s3.Bucket.from_bucket_name(stack, "SharedOut", "shared-output")
    for construct_id in ("A B", "A-B"):
        ProjectVersion(stack, construct_id, project=PROJECT_ARN, output_bucket=output, output_prefix="same/")

    # WHEN synthesized
    names = [p["Properties"]["VersionName"] for p in synth(stack).find_resources(VERSION_TYPE).values()]

    # THEN both start alike but the names differ (the full path is part of the hash)
    assert all(name.startswith("A-B-") for name in names)
    assert len(set(names)) == 2


def test_default_version_name_of_a_long_path_fits_the_api_limit() -> None:
    # GIVEN a construct id longer than a version name may be
    stack = new_stack()
    ProjectVersion(stack, "x" * 300, project=PROJECT_ARN)

    # WHEN synthesized
    name = version_properties(synth(stack))["VersionName"]

    # THEN the default name is truncated to at most 255 characters and keeps its hash
    assert len(name) <= 255
    assert re.match(r"^x+-[0-9a-f]{12}$", name), name


def _with(**changes: Callable[[Stack], Any]) -> Configure:
    def configure(stack: Stack) -> dict[str, Any]:
        return {**_base(stack), **{prop: change(stack) for prop, change in changes.items()}}

    return configure


NAME_CHANGES: dict[str, Configure] = {
    "training manifest key": _with(
        training_data=lambda s: TrainingData.from_manifest(dataset_bucket(s), "other.manifest", version="1")
    ),
    "training manifest version": _with(
        training_data=lambda s: TrainingData.from_manifest(dataset_bucket(s), "train.manifest", version="2")
    ),
    "training manifest bucket": _with(
        training_data=lambda s: TrainingData.from_manifest(
            dataset_bucket(s, "other"), "train.manifest", version="1"
        )
    ),
    "testing manifest key": _with(
        testing_data=lambda s: TestingData.from_manifest(dataset_bucket(s), "other.manifest", version="1")
    ),
    "testing auto-create": _with(testing_data=lambda s: TestingData.auto_create()),
    "no datasets": _with(training_data=lambda s: None, testing_data=lambda s: None),
    "output prefix": _with(output_prefix=lambda s: "elsewhere/"),
    "output bucket": _with(output_bucket=lambda s: s3.Bucket.from_bucket_name(s, "Out", "model-output")),
    "kms key": _with(kms_key=lambda s: kms.Key.from_key_arn(s, "Key", KEY_ARN)),
    "description": _with(version_description=lambda s: "shapes, retrained"),
    "feature config": _with(
        feature_config=lambda s: FeatureConfig(content_moderation_confidence_threshold=51)
    ),
    "project": _with(project=lambda s: PROJECT_ARN),
}


@pytest.mark.parametrize("configure", NAME_CHANGES.values(), ids=NAME_CHANGES.keys())
def test_default_version_name_changes_with_a_replacing_property(configure: Configure) -> None:
    # GIVEN the base version, and the same version with one replacing property changed
    # WHEN both are synthesized
    base, changed = _default_name(_base), _default_name(configure)

    # THEN the default names differ (a new model version is trained under a new name)
    assert DEFAULT_NAME.match(changed), changed
    assert changed != base


NAME_KEEPS: dict[str, tuple[Configure, Callable[[Stack], None] | None]] = {
    "tags prop": (_with(tags=lambda s: {"team": "vision"}), None),
    "Tags.of": (_base, lambda s: Tags.of(s).add("team", "vision")),
    "service timeout": (_with(service_timeout=lambda s: Duration.minutes(10)), None),
}


@pytest.mark.parametrize("configure, after", NAME_KEEPS.values(), ids=NAME_KEEPS.keys())
def test_default_version_name_ignores_properties_that_do_not_replace(
    configure: Configure, after: Callable[[Stack], None] | None
) -> None:
    # GIVEN the base version, and the same version with only tags or the service timeout changed
    # WHEN both are synthesized
    base, changed = _default_name(_base), _default_name(configure, after)

    # THEN the default name is unchanged
    assert changed == base


# --- training_data / testing_data --------------------------------------------------------------------


def test_manifests_render_as_ground_truth_assets() -> None:
    # GIVEN a versioned training manifest and an unversioned testing manifest
    stack = new_stack()
    bucket = dataset_bucket(stack)

    # WHEN declared
    ProjectVersion(
        stack,
        "V",
        project=PROJECT_ARN,
        training_data=TrainingData.from_manifest(bucket, "train.manifest", version="v7"),
        testing_data=TestingData.from_manifest(bucket, "test.manifest"),
    )

    # THEN both render as CreateProjectVersion Assets, with Version only where one was given
    props = version_properties(synth(stack))
    assert props["TrainingData"] == {
        "Assets": [
            {
                "GroundTruthManifest": {
                    "S3Object": {"Bucket": "dataset", "Name": "train.manifest", "Version": "v7"}
                }
            }
        ]
    }
    assert props["TestingData"] == {
        "Assets": [{"GroundTruthManifest": {"S3Object": {"Bucket": "dataset", "Name": "test.manifest"}}}]
    }


@pytest.mark.parametrize(
    "testing",
    [TestingData.auto_create(), TestingData.auto_create()],
    ids=["AUTO_CREATE", "auto_create()"],
)
def test_auto_created_testing_data_renders_auto_create(testing: TestingData) -> None:
    # GIVEN training data and an auto-created test set
    stack = new_stack()
    training = TrainingData.from_manifest(dataset_bucket(stack), "train.manifest")

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN, training_data=training, testing_data=testing)

    # THEN TestingData asks Rekognition to split the training set
    synth(stack).has_resource_properties(
        VERSION_TYPE,
        {"TrainingData": {"Assets": [Match.any_value()]}, "TestingData": {"AutoCreate": True}},
    )


def test_without_datasets_no_training_or_testing_member() -> None:
    # GIVEN neither training nor testing data
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # THEN the request trains from the project's datasets
    synth(stack).has_resource_properties(
        VERSION_TYPE, {"TrainingData": Match.absent(), "TestingData": Match.absent()}
    )


# --- output_bucket / kms_key --------------------------------------------------------------------------


def test_default_output_bucket_is_encrypted_with_the_new_model_key() -> None:
    # GIVEN neither output_bucket nor kms_key
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # WHEN synthesized
    template = synth(stack)

    # THEN one new key and one new bucket using it (bucket key on), both used by the request
    template.resource_count_is("AWS::KMS::Key", 1)
    template.resource_count_is("AWS::S3::Bucket", 1)
    key_id = logical_id_of(template, "AWS::KMS::Key")
    bucket_id = logical_id_of(template, "AWS::S3::Bucket")
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": get_att(key_id),
                        },
                    }
                ]
            }
        },
    )
    template.has_resource_properties(
        VERSION_TYPE,
        {
            "OutputConfig": {"S3Bucket": {"Ref": bucket_id}, "S3KeyPrefix": Match.any_value()},
            "KmsKeyId": get_att(key_id),
        },
    )


def test_default_output_bucket_blocks_public_access_and_enforces_ssl() -> None:
    # GIVEN no output_bucket
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # WHEN synthesized
    template = synth(stack)

    # THEN all public access is blocked and a bucket policy denies requests without TLS
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": logical_id_of(template, "AWS::S3::Bucket")},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_default_key_rotates() -> None:
    # GIVEN no kms_key
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # WHEN synthesized / THEN the new key has rotation enabled
    synth(stack).has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


@pytest.mark.parametrize(
    "policy, cfn_policy, auto_delete_resources",
    [(RemovalPolicy.DESTROY, "Delete", 1), (RemovalPolicy.RETAIN, "Retain", 0)],
    ids=["DESTROY", "RETAIN"],
)
def test_removal_policy_applies_to_version_bucket_and_key(
    policy: RemovalPolicy, cfn_policy: str, auto_delete_resources: int
) -> None:
    # GIVEN a removal policy
    stack = new_stack()

    # WHEN a version with the default bucket and key is declared
    ProjectVersion(stack, "V", project=PROJECT_ARN, removal_policy=policy)
    template = synth(stack)

    # THEN the version, its bucket and its key share the policy, and only DESTROY empties the bucket
    expected = {"DeletionPolicy": cfn_policy, "UpdateReplacePolicy": cfn_policy}
    template.has_resource(VERSION_TYPE, expected)
    template.has_resource("AWS::S3::Bucket", expected)
    template.has_resource("AWS::KMS::Key", expected)
    template.resource_count_is("Custom::S3AutoDeleteObjects", auto_delete_resources)


def test_removal_policy_defaults_to_destroy() -> None:
    # GIVEN no removal_policy
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # THEN the version is deleted with the stack
    synth(stack).has_resource(VERSION_TYPE, {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"})


def test_given_key_and_bucket_are_used_and_nothing_new_is_created() -> None:
    # GIVEN an existing key and an existing bucket
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    bucket = s3.Bucket.from_bucket_name(stack, "Out", "model-output")

    # WHEN a version uses them
    version = ProjectVersion(stack, "V", project=PROJECT_ARN, kms_key=key, output_bucket=bucket)
    template = synth(stack)

    # THEN no key or bucket is created and the request names the given ones
    template.resource_count_is("AWS::KMS::Key", 0)
    template.resource_count_is("AWS::S3::Bucket", 0)
    template.resource_count_is("Custom::S3AutoDeleteObjects", 0)
    template.has_resource_properties(
        VERSION_TYPE,
        {"KmsKeyId": KEY_ARN, "OutputConfig": {"S3Bucket": "model-output", "S3KeyPrefix": "V/"}},
    )
    assert version.kms_key is key
    assert version.output_bucket is bucket


def test_given_bucket_only_still_creates_the_model_key() -> None:
    # GIVEN an existing bucket but no key
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Out", "model-output")

    # WHEN a version uses it
    ProjectVersion(stack, "V", project=PROJECT_ARN, output_bucket=bucket)
    template = synth(stack)

    # THEN the model still gets its own rotating key, and no bucket is created
    template.resource_count_is("AWS::S3::Bucket", 0)
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource_properties(
        VERSION_TYPE, {"KmsKeyId": get_att(logical_id_of(template, "AWS::KMS::Key"))}
    )


def test_output_bucket_named_by_an_imported_value() -> None:
    # GIVEN an existing bucket whose name another stack exports
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Out", Fn.import_value("ModelOutputBucket"))

    # WHEN a version writes to it
    ProjectVersion(stack, "V", project=PROJECT_ARN, output_bucket=bucket)

    # THEN the request names the imported bucket
    synth(stack).has_resource_properties(
        VERSION_TYPE,
        {"OutputConfig": Match.object_like({"S3Bucket": {"Fn::ImportValue": "ModelOutputBucket"}})},
    )


# --- output_prefix ----------------------------------------------------------------------------------


def test_output_prefix_defaults_to_the_construct_id() -> None:
    # GIVEN no output_prefix
    stack = new_stack()

    # WHEN a version "Classifier" is declared
    ProjectVersion(stack, "Classifier", project=PROJECT_ARN)

    # THEN results go under "Classifier/"
    synth(stack).has_resource_properties(
        VERSION_TYPE, {"OutputConfig": Match.object_like({"S3KeyPrefix": "Classifier/"})}
    )


def test_explicit_output_prefix_is_used_verbatim() -> None:
    # GIVEN an explicit prefix
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN, output_prefix="models/run-1/")

    # THEN S3KeyPrefix is that prefix
    synth(stack).has_resource_properties(
        VERSION_TYPE, {"OutputConfig": Match.object_like({"S3KeyPrefix": "models/run-1/"})}
    )


# --- version_description / feature_config / service_timeout -----------------------------------------


def test_optional_request_members_are_absent_by_default() -> None:
    # GIVEN only a project
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN)

    # THEN no description, feature config or tags are sent
    synth(stack).has_resource_properties(
        VERSION_TYPE,
        {"VersionDescription": Match.absent(), "FeatureConfig": Match.absent(), "Tags": Match.absent()},
    )


def test_version_description_renders() -> None:
    # GIVEN a description
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN, version_description="Shapes (round 2): v1.0")

    # THEN VersionDescription carries it
    synth(stack).has_resource_properties(VERSION_TYPE, {"VersionDescription": "Shapes (round 2): v1.0"})


def test_feature_config_renders_content_moderation_threshold() -> None:
    # GIVEN a content moderation confidence threshold
    stack = new_stack()

    # WHEN declared
    ProjectVersion(
        stack,
        "V",
        project=PROJECT_ARN,
        feature_config=FeatureConfig(content_moderation_confidence_threshold=80),
    )

    # THEN FeatureConfig uses the API's member names
    synth(stack).has_resource_properties(
        VERSION_TYPE, {"FeatureConfig": {"ContentModeration": {"ConfidenceThreshold": 80}}}
    )


@pytest.mark.parametrize(
    "timeout, rendered",
    [(None, "3600"), (Duration.minutes(30), "1800"), (Duration.seconds(1), "1")],
    ids=["default", "30 minutes", "1 second"],
)
def test_service_timeout_renders(timeout: Duration | None, rendered: str) -> None:
    # GIVEN a service timeout (or none)
    stack = new_stack()

    # WHEN declared
    ProjectVersion(stack, "V", project=PROJECT_ARN, service_timeout=timeout)

    # THEN CloudFormation waits that many seconds (one hour by default)
    synth(stack).has_resource_properties(VERSION_TYPE, {"ServiceTimeout": rendered})


def test_resource_properties_are_the_create_project_version_request() -> None:
    # GIVEN every request property
    stack = new_stack()
    ProjectVersion(
        stack,
        "V",
        project=PROJECT_ARN,
        project_version_name="v1",
        kms_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
        output_bucket=s3.Bucket.from_bucket_name(stack, "Out", "model-output"),
        output_prefix="out/",
        version_description="d",
        feature_config=FeatureConfig(content_moderation_confidence_threshold=1),
        tags={"k": "v"},
        **manifests(stack),
    )

    # WHEN synthesized
    props = version_properties(synth(stack))

    # THEN the properties are exactly the API members (plus CloudFormation's ServiceToken/Timeout)
    assert set(props) == {
        "ServiceToken",
        "ServiceTimeout",
        "ProjectArn",
        "VersionName",
        "OutputConfig",
        "KmsKeyId",
        "TrainingData",
        "TestingData",
        "VersionDescription",
        "FeatureConfig",
        "Tags",
        "TrainingWait",
    }


# --- attributes -----------------------------------------------------------------------------------


def test_project_version_arn_is_read_once_training_has_ended() -> None:
    # GIVEN a version
    stack = new_stack()
    version = ProjectVersion(stack, "V", project=PROJECT_ARN)

    # WHEN its ARN is resolved
    template = synth(stack)
    logical_id, _ = only_version(template)
    attributes_id, attributes = only_attributes(template)

    # THEN it comes from the attributes step, which reads the version's own ARN (its physical id)
    assert stack.resolve(version.project_version_arn) == get_att(attributes_id, "Arn")
    assert attributes["Properties"]["VersionArn"] == {"Ref": logical_id}


@pytest.mark.parametrize(
    "read, attribute",
    [
        (lambda v: v.project_version_name, "VersionName"),
        (lambda v: v.status, "Status"),
        (lambda v: v.f1_score, "F1Score"),
        (lambda v: v.billable_training_seconds, "BillableTrainingTimeInSeconds"),
        (lambda v: v.evaluation_summary.bucket_name, "EvaluationSummaryBucket"),
        (lambda v: v.evaluation_summary.object_key, "EvaluationSummaryKey"),
    ],
    ids=[
        "project_version_name",
        "status",
        "f1_score",
        "billable_training_seconds",
        "eval_bucket",
        "eval_key",
    ],
)
def test_attributes_are_get_att_of_the_resource(
    read: Callable[[ProjectVersion], str], attribute: str
) -> None:
    # GIVEN a version
    stack = new_stack()
    version = ProjectVersion(stack, "V", project=PROJECT_ARN)

    # WHEN the attribute is resolved
    attributes_id, _ = only_attributes(synth(stack))

    # THEN it is Fn::GetAtt of the attributes step (read after training)
    assert stack.resolve(read(version)) == get_att(attributes_id, attribute)


def test_import_by_literal_arn_parses_the_version_name() -> None:
    # GIVEN a model version ARN
    stack = new_stack()

    # WHEN imported
    imported = ProjectVersion.from_project_version_arn(stack, "Imported", VERSION_ARN)

    # THEN the ARN is kept and the name is parsed from it
    assert imported.project_version_arn == VERSION_ARN
    assert imported.project_version_name == "shapes-v1"


def test_import_by_token_arn_selects_the_version_name() -> None:
    # GIVEN a version ARN known only at deploy time
    stack = new_stack()
    arn = CfnParameter(stack, "VersionArn").value_as_string

    # WHEN imported
    imported = ProjectVersion.from_project_version_arn(stack, "Imported", arn)

    # THEN the name is the 4th '/'-separated part, selected at deploy time
    assert stack.resolve(imported.project_version_arn) == {"Ref": "VersionArn"}
    assert stack.resolve(imported.project_version_name) == {
        "Fn::Select": [3, {"Fn::Split": ["/", {"Ref": "VersionArn"}]}]
    }


@pytest.mark.parametrize(
    "arn",
    [
        PROJECT_ARN,
        "not-an-arn",
        VERSION_ARN.replace(":rekognition:", ":s3:"),
        VERSION_ARN.rsplit("/", 1)[0],
        VERSION_ARN + "x",
    ],
    ids=["project arn", "garbage", "other service", "no timestamp", "bad timestamp"],
)
def test_import_of_a_malformed_literal_arn_raises(arn: str) -> None:
    # GIVEN a string that is not a model version ARN
    stack = new_stack()

    # WHEN imported / THEN a ValueError names the expected form
    with pytest.raises(ValueError, match="is not a Rekognition model version ARN"):
        ProjectVersion.from_project_version_arn(stack, "Imported", arn)


def test_import_of_an_arn_with_a_trailing_newline_raises() -> None:
    # GIVEN a version ARN followed by a newline (e.g. read from a file)
    stack = new_stack()

    # WHEN imported / THEN it is refused like any other malformed ARN
    with pytest.raises(ValueError, match="is not a Rekognition model version ARN"):
        ProjectVersion.from_project_version_arn(stack, "Imported", VERSION_ARN + "\n")


def _detect_policy(stack: Stack, role: iam.Role) -> Any:
    role_id = stack.get_logical_id(role.node.default_child)  # type: ignore[arg-type]
    found = synth(stack).find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_id}]}})
    assert len(found) == 1, found
    return next(iter(found.values()))["Properties"]["PolicyDocument"]["Statement"]


def test_grant_detect_custom_labels_on_exactly_this_version() -> None:
    # GIVEN a version and a role
    stack = new_stack()
    version = ProjectVersion(stack, "V", project=PROJECT_ARN)
    role = iam.Role(stack, "App", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))

    # WHEN the role is granted detection
    grant = version.grant_detect_custom_labels(role)

    # THEN the grant succeeded and the role may call DetectCustomLabels on this version's ARN only
    assert isinstance(grant, iam.Grant)
    assert grant.success
    attributes_id, _ = only_attributes(synth(stack))
    assert _detect_policy(stack, role) == [
        {
            "Action": "rekognition:DetectCustomLabels",
            "Effect": "Allow",
            "Resource": get_att(attributes_id, "Arn"),
        }
    ]


@pytest.mark.parametrize("token", [False, True], ids=["literal arn", "token arn"])
def test_grant_detect_custom_labels_on_an_imported_version(token: bool) -> None:
    # GIVEN an imported version and a role
    stack = new_stack()
    arn = CfnParameter(stack, "VersionArn").value_as_string if token else VERSION_ARN
    imported = ProjectVersion.from_project_version_arn(stack, "Imported", arn)
    role = iam.Role(stack, "App", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))

    # WHEN the role is granted detection
    grant = imported.grant_detect_custom_labels(role)

    # THEN the role may call DetectCustomLabels on the imported ARN only
    assert isinstance(grant, iam.Grant)
    assert grant.success
    assert _detect_policy(stack, role) == [
        {
            "Action": "rekognition:DetectCustomLabels",
            "Effect": "Allow",
            "Resource": {"Ref": "VersionArn"} if token else VERSION_ARN,
        }
    ]


def test_output_access_logs_go_to_the_given_bucket_under_the_constructs_path() -> None:
    # GIVEN a bucket for access logs WHEN a version's output bucket is created with it
    stack = new_stack()
    logs_bucket = s3.Bucket(stack, "AccessLogs")
    ProjectVersion(stack, "Model", project=PROJECT_ARN, output_access_logs=logs_bucket)
    template = synth(stack)
    # THEN the output bucket logs its requests there, under "Model/"
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LoggingConfiguration": {
                "DestinationBucketName": {
                    "Ref": stack.get_logical_id(cast(s3.CfnBucket, logs_bucket.node.default_child))
                },
                "LogFilePrefix": "Model/",
            },
            "BucketEncryption": Match.any_value(),
        },
    )


def test_output_access_logs_need_the_output_bucket_the_construct_creates() -> None:
    stack = new_stack()
    with pytest.raises(
        ValueError, match="output_access_logs configures the output bucket this construct creates"
    ):
        ProjectVersion(
            stack,
            "Model",
            project=PROJECT_ARN,
            output_bucket=s3.Bucket(stack, "Given"),
            output_access_logs=s3.Bucket(stack, "AccessLogs"),
        )
