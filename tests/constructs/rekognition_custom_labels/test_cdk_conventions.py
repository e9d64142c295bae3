"""The library's surface follows aws-cdk-lib's conventions: interfaces implemented by declared and
imported resources alike, scoped grants, metrics taking every ``MetricOptions`` field, ``add_version``
as the direct construct, removal policies that the key and bucket follow."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from rekognition_custom_labels import (
    InferenceUnits,
    IProject,
    IProjectVersion,
    Project,
    ProjectAutoUpdate,
    ProjectFeature,
    ProjectVersion,
    TestingData,
    TrainingData,
)

from .helpers import (
    PROJECT_ARN,
    VERSION_ARN,
    VERSIONS_OF_PROJECT_ARN,
    dataset_bucket,
    manifests,
    new_app,
    new_stack,
    only_version,
    provider_statements,
    synth,
    versions_of_cfn_project,
)

OTHER_ACCOUNT_VERSION_ARN = VERSION_ARN.replace("us-east-1:123456789012", "eu-west-1:210987654321")


def declared(stack: cdk.Stack) -> IProjectVersion:
    return ProjectVersion(stack, "Declared", project=PROJECT_ARN)


def imported_by_arn(stack: cdk.Stack) -> IProjectVersion:
    return ProjectVersion.from_project_version_arn(stack, "ByArn", VERSION_ARN)


def imported_by_attributes(stack: cdk.Stack) -> IProjectVersion:
    return ProjectVersion.from_project_version_attributes(
        stack, "ByAttributes", project_version_arn=VERSION_ARN
    )


VERSIONS = pytest.mark.parametrize(
    "make", [declared, imported_by_arn, imported_by_attributes], ids=["declared", "by arn", "by attributes"]
)


# -- IProjectVersion ---------------------------------------------------------------------------------


@VERSIONS
def test_declared_and_imported_versions_implement_the_interface(make: Callable[..., IProjectVersion]) -> None:
    # GIVEN a version, declared or imported
    version = make(new_stack())

    # THEN it is an IProjectVersion, with every member the interface declares
    assert isinstance(version, IProjectVersion)
    members = [name for name in vars(IProjectVersion) if not name.startswith("_")]
    assert {"project_version_arn", "project_version_name", "project_name", "grant"} <= set(members)
    for name in members:
        assert hasattr(version, name), name


@VERSIONS
def test_grant_is_public_and_scoped_to_the_one_version(make: Callable[..., IProjectVersion]) -> None:
    # GIVEN a version and a role
    stack = new_stack()
    version = make(stack)
    role = iam.Role(stack, "Consumer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))

    # WHEN the role is granted two actions on it
    version.grant(role, "rekognition:DetectCustomLabels", "rekognition:DescribeProjectVersions")

    # THEN exactly those actions, on exactly this version's ARN, are in the role's policy
    statements = _role_statements(synth(stack), stack.get_logical_id(_policy(role)))
    assert statements == [
        {
            "Action": ["rekognition:DetectCustomLabels", "rekognition:DescribeProjectVersions"],
            "Effect": "Allow",
            "Resource": stack.resolve(version.project_version_arn),
        }
    ]


def test_an_imported_versions_environment_is_the_arns() -> None:
    # GIVEN a version of another account and Region
    stack = new_stack()

    # WHEN it is imported by attributes
    version = ProjectVersion.from_project_version_attributes(
        stack, "Elsewhere", project_version_arn=OTHER_ACCOUNT_VERSION_ARN
    )

    # THEN its environment is the ARN's, as environment_from_arn makes it
    assert (version.env.account, version.env.region) == ("210987654321", "eu-west-1")


def test_an_imported_versions_metrics_are_in_its_account_and_region() -> None:
    # GIVEN a version of another account and Region, imported into a stack of this one
    stack = cdk.Stack(new_app(), "Here", env=cdk.Environment(account="123456789012", region="us-east-1"))
    version = ProjectVersion.from_project_version_arn(stack, "Elsewhere", OTHER_ACCOUNT_VERSION_ARN)

    # WHEN its metric is asked for
    metric = version.metric_in_service_inference_units()

    # THEN CloudWatch is asked in the version's account and Region
    assert (metric.account, metric.region) == ("210987654321", "eu-west-1")


def test_grant_without_actions_is_refused_when_called() -> None:
    stack = new_stack()
    role = iam.Role(stack, "Consumer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(ValueError, match="at least one action"):
        imported_by_arn(stack).grant(role)


def test_attributes_name_the_version_when_its_arn_is_a_token() -> None:
    # GIVEN a version ARN known at deploy time only, and its names known now
    stack = new_stack()
    arn = cdk.CfnParameter(stack, "Arn").value_as_string

    # WHEN imported with the names
    version = ProjectVersion.from_project_version_attributes(
        stack, "V", project_version_arn=arn, project_name="shapes", project_version_name="v7"
    )

    # THEN the metric dimensions are the literal names
    metric = version.metric("InServiceInferenceUnits")
    assert metric.dimensions == {"ProjectName": "shapes", "VersionName": "v7"}


# -- metrics -----------------------------------------------------------------------------------------


def _metric_option_values() -> dict[str, Any]:
    """A value for every field of the installed ``cloudwatch.MetricOptions`` (found by introspection,
    so a field a later aws-cdk-lib adds is tried too)."""
    samples: dict[str, Any] = {
        "account": "123456789012",
        "color": "#1f77b4",
        "dimensions_map": {"Extra": "yes"},
        "id": "units",
        "label": "Units",
        "period": cdk.Duration.minutes(1),
        "region": "us-east-1",
        "stack_account": "123456789012",
        "stack_region": "us-east-1",
        "statistic": "Maximum",
        "unit": cloudwatch.Unit.COUNT,
        "visible": False,
    }
    parameters = inspect.signature(cloudwatch.MetricOptions.__init__).parameters
    # A field a later aws-cdk-lib adds is passed too, as None (every MetricOptions field is optional).
    return {name: samples.get(name) for name in parameters if name != "self"}


@VERSIONS
def test_metric_accepts_every_metric_options_field(make: Callable[..., IProjectVersion]) -> None:
    # GIVEN a version and a value for every MetricOptions field
    version = make(new_stack())
    options = _metric_option_values()

    # WHEN a metric is asked for with all of them at once, and with each one alone
    metric = version.metric("InServiceInferenceUnits", **options)
    for name, value in options.items():
        version.metric("InServiceInferenceUnits", **{name: value})

    # THEN they all reach the metric, and the version's dimensions stay
    assert metric.statistic == "Maximum"
    assert metric.label == "Units"
    assert metric.period.to_minutes() == 1
    assert (metric.id, metric.visible, metric.color, metric.unit) == (
        "units",
        False,
        "#1f77b4",
        cloudwatch.Unit.COUNT,
    )
    assert (metric.account, metric.region) == ("123456789012", "us-east-1")
    assert metric.dimensions == {
        "ProjectName": "shapes",
        "VersionName": version.project_version_name,
        "Extra": "yes",
    }


def test_metric_refuses_a_field_metric_options_does_not_have() -> None:
    # GIVEN a version
    version = declared(new_stack())

    # WHEN a misspelt option is given, THEN it is a TypeError naming it
    with pytest.raises(TypeError, match="statistik"):
        version.metric("InServiceInferenceUnits", statistik="Average")


def test_metric_helpers_keep_their_documented_default_and_accept_every_option() -> None:
    # GIVEN a version
    version = declared(new_stack())
    helpers = [
        version.metric_in_service_inference_units,
        version.metric_desired_inference_units,
        version.metric_min_inference_units,
        version.metric_max_inference_units,
    ]

    for helper in helpers:
        # WHEN asked without options and with every option
        plain, tuned = helper(), helper(**_metric_option_values())

        # THEN the default is Average over 5 minutes, and options override it
        assert (plain.statistic, plain.period.to_minutes()) == ("Average", 5)
        assert tuned.statistic == "Maximum"


# -- Project ------------------------------------------------------------------------------------------


def test_project_renders_a_cfn_project_and_exposes_name_and_arn() -> None:
    # GIVEN a project
    stack = new_stack()
    project = Project(stack, "Shapes", project_name="shapes")

    # WHEN synthesized
    template = synth(stack)

    # THEN it is one AWS::Rekognition::Project, deleted with the stack, whose Ref is the name
    template.resource_count_is("AWS::Rekognition::Project", 1)
    template.has_resource(
        "AWS::Rekognition::Project",
        {"Properties": {"ProjectName": "shapes"}, "DeletionPolicy": "Delete"},
    )
    (logical_id,) = template.find_resources("AWS::Rekognition::Project")
    assert stack.resolve(project.project_name) == {"Ref": logical_id}
    assert stack.resolve(project.project_arn) == {"Fn::GetAtt": [logical_id, "Arn"]}
    assert isinstance(project, IProject)


def test_project_retained_and_with_a_generated_name() -> None:
    # GIVEN a project without a name, retained
    stack = new_stack()
    Project(stack, "Shapes", removal_policy=cdk.RemovalPolicy.RETAIN)

    # THEN its name is generated from its path in CloudFormation's ProjectName characters
    resource = next(iter(synth(stack).find_resources("AWS::Rekognition::Project").values()))
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["Properties"]["ProjectName"].startswith("Stack-Shapes")


@pytest.mark.parametrize(
    "props, message",
    [
        ({"project_name": "-starts-with-dash"}, "starting with a letter or digit"),
        ({"project_name": "a" * 256}, "1 to 255"),
        ({"feature": ProjectFeature.CONTENT_MODERATION}, "no Feature property"),
        ({"auto_update": ProjectAutoUpdate.ENABLED}, "content-moderation adapters only"),
    ],
    ids=["pattern", "length", "content moderation", "auto update"],
)
def test_project_refuses_what_cloudformation_cannot_create(props: dict[str, Any], message: str) -> None:
    # WHEN a project is declared with it, THEN a synth-time error says why
    with pytest.raises(ValueError, match=message):
        Project(new_stack(), "P", **props)


def test_custom_labels_is_the_feature_the_project_has() -> None:
    # GIVEN the one feature CloudFormation makes, and no auto update, said explicitly
    stack = new_stack()
    Project(
        stack,
        "P",
        project_name="p",
        feature=ProjectFeature.CUSTOM_LABELS,
        auto_update=ProjectAutoUpdate.DISABLED,
    )

    # THEN it is the plain project
    synth(stack).resource_count_is("AWS::Rekognition::Project", 1)


def test_imported_projects_implement_the_interface() -> None:
    # GIVEN a project imported by ARN and one by name
    stack = new_stack()
    by_arn = Project.from_project_arn(stack, "ByArn", PROJECT_ARN)
    by_name = Project.from_project_name(stack, "ByName", "shapes")

    # THEN both are IProjects with the project's name
    assert isinstance(by_arn, IProject) and isinstance(by_name, IProject)
    assert by_arn.project_name == "shapes" and by_arn.project_arn == PROJECT_ARN
    assert by_name.project_name == "shapes"
    assert by_arn.project_ref.project_arn == PROJECT_ARN


def test_a_project_imported_by_name_cannot_train_a_version() -> None:
    # GIVEN a project imported by name (its ARN's timestamp is unknown)
    stack = new_stack()
    project = Project.from_project_name(stack, "ByName", "shapes")

    # WHEN a version of it is declared, THEN the error names the way that works
    with pytest.raises(ValueError, match=r"Project\.from_project_arn"):
        ProjectVersion(stack, "V", project=project)


def test_from_project_arn_refuses_a_literal_that_is_no_project_arn() -> None:
    with pytest.raises(ValueError, match="not a Rekognition project ARN"):
        Project.from_project_arn(new_stack(), "P", VERSION_ARN)


def test_add_version_equals_the_direct_construct() -> None:
    # GIVEN two apps with the same project: one adds a version, the other constructs it directly
    via_add, direct = new_stack(new_app()), new_stack(new_app())
    project_a = Project(via_add, "Project", project_name="shapes")
    project_b = Project(direct, "Project", project_name="shapes")

    # WHEN each makes a version with the same props, under the project
    made = project_a.add_version("V", **manifests(via_add), inference_units=InferenceUnits.fixed(1))
    ProjectVersion(
        project_b, "V", project=project_b, **manifests(direct), inference_units=InferenceUnits.fixed(1)
    )

    # THEN the templates are the same, and the version is the project's child
    assert synth(via_add).to_json() == synth(direct).to_json()
    assert made.node.scope is project_a
    assert isinstance(made, ProjectVersion)


def test_add_version_refuses_another_project() -> None:
    stack = new_stack()
    project = Project(stack, "Project", project_name="shapes")
    with pytest.raises(TypeError, match="leave project= out"):
        project.add_version("V", project=PROJECT_ARN)


@pytest.mark.parametrize(
    "make_project",
    [
        lambda stack: rekognition.CfnProject(stack, "L1", project_name="shapes"),
        lambda stack: Project(stack, "L2", project_name="shapes"),
    ],
    ids=["CfnProject (IProjectRef)", "Project"],
)
def test_a_version_takes_any_project_ref_and_is_scoped_to_its_versions(
    make_project: Callable[[cdk.Stack], Any],
) -> None:
    # GIVEN a project as an L1 or as our L2, in an environment-agnostic stack
    stack = new_stack()
    project = make_project(stack)

    # WHEN a version of it is declared
    ProjectVersion(stack, "V", project=project)

    # THEN the request names the project's ARN, and the provider may touch its versions only
    template = synth(stack)
    (project_id,) = template.find_resources("AWS::Rekognition::Project")
    assert only_version(template)[1]["Properties"]["ProjectArn"] == {"Fn::GetAtt": [project_id, "Arn"]}
    versions_arn = versions_of_cfn_project(project_id)
    assert any(
        statement["Resource"] == versions_arn and "rekognition:DeleteProjectVersion" in statement["Action"]
        for statement in provider_statements(template)
    )


def test_a_version_of_an_imported_project_is_scoped_to_that_projects_versions() -> None:
    # GIVEN a project imported by ARN
    stack = new_stack()
    project = Project.from_project_arn(stack, "Imported", PROJECT_ARN)

    # WHEN a version of it is declared
    ProjectVersion(stack, "V", project=project)

    # THEN the same ARNs as the project ARN given as a string
    template = synth(stack)
    assert only_version(template)[1]["Properties"]["ProjectArn"] == PROJECT_ARN
    assert any(
        statement["Resource"] == VERSIONS_OF_PROJECT_ARN for statement in provider_statements(template)
    )


# -- serving and data props ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "units, rendered",
    [
        (InferenceUnits.fixed(2), {"MinInferenceUnits": 2}),
        (InferenceUnits.auto_scaling(max_units=4), {"MinInferenceUnits": 1, "MaxInferenceUnits": 4}),
        (
            InferenceUnits.auto_scaling(min_units=2, max_units=5),
            {"MinInferenceUnits": 2, "MaxInferenceUnits": 5},
        ),
    ],
    ids=["fixed", "auto scaling from 1", "auto scaling from 2"],
)
def test_inference_units_factories(units: InferenceUnits, rendered: dict[str, int]) -> None:
    assert units.render() == rendered


def test_inference_units_fields_do_not_shadow_builtins() -> None:
    names = {field.name for field in dataclasses.fields(InferenceUnits)}
    assert names == {"min_units", "max_units"}


def test_one_way_to_split_the_training_set() -> None:
    assert not hasattr(TestingData, "AUTO_CREATE")
    assert TestingData.auto_create().is_auto_create


def test_data_sources_bind_render_and_grant_in_one_place() -> None:
    # GIVEN a version and data sources in a bucket with its own images bucket
    stack = new_stack()
    version = ProjectVersion(stack, "V", project=PROJECT_ARN)
    bucket, images = dataset_bucket(stack), dataset_bucket(stack, "images")
    training = TrainingData.from_manifest(bucket, "train.manifest", images_bucket=images)

    # WHEN the training data is bound to the version
    config = training.bind(version, version)

    # THEN it returns the request member (a mapping equal to the plain dict), and the provider may read
    # the manifest and the images
    assert config == dict(config) == config.properties
    assert config.properties == {
        "Assets": [{"GroundTruthManifest": {"S3Object": {"Bucket": "dataset", "Name": "train.manifest"}}}]
    }
    assert len(config.grants) == 2
    resources = [statement["Resource"] for statement in provider_statements(synth(stack))]
    assert {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::dataset/train.manifest"]]
    } in resources
    assert {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::images/*"]]} in resources
    assert TestingData.auto_create().bind(version, version).properties == {"AutoCreate": True}
    assert TestingData.auto_create().bind(version, version).grants == ()


# -- removal ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy, key_policy, auto_delete",
    [(cdk.RemovalPolicy.DESTROY, "Delete", 1), (cdk.RemovalPolicy.RETAIN, "Retain", 0)],
    ids=["destroy", "retain"],
)
def test_key_and_bucket_follow_the_versions_removal_policy(
    policy: cdk.RemovalPolicy, key_policy: str, auto_delete: int
) -> None:
    # GIVEN a version with its own key and bucket
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, removal_policy=policy)

    # THEN the key and the bucket follow its policy, and only a destroyed bucket auto-deletes objects
    template = synth(stack)
    template.has_resource("AWS::KMS::Key", {"DeletionPolicy": key_policy, "UpdateReplacePolicy": key_policy})
    template.has_resource("AWS::S3::Bucket", {"DeletionPolicy": key_policy})
    template.resource_count_is("Custom::S3AutoDeleteObjects", auto_delete)
    template.has_resource(
        "Custom::RekognitionProjectVersion", {"DeletionPolicy": key_policy, "UpdateReplacePolicy": key_policy}
    )


def test_a_given_bucket_is_never_auto_deleted_and_a_given_key_never_scheduled() -> None:
    # GIVEN a version with the user's bucket and key, destroyed with the stack
    stack = new_stack()
    key = kms.Key(stack, "UsersKey", removal_policy=cdk.RemovalPolicy.RETAIN)
    bucket = s3.Bucket(stack, "UsersBucket", removal_policy=cdk.RemovalPolicy.RETAIN)
    ProjectVersion(stack, "V", project=PROJECT_ARN, kms_key=key, output_bucket=bucket)

    # THEN their own policies stand
    template = synth(stack)
    template.resource_count_is("Custom::S3AutoDeleteObjects", 0)
    template.all_resources("AWS::KMS::Key", {"DeletionPolicy": "Retain"})


def test_a_retained_version_needs_its_key_retained_too() -> None:
    # GIVEN a retained version encrypted with a key of the app that is deleted with the stack
    stack = new_stack()
    key = kms.Key(stack, "UsersKey", removal_policy=cdk.RemovalPolicy.DESTROY)
    ProjectVersion(stack, "V", project=PROJECT_ARN, kms_key=key, removal_policy=cdk.RemovalPolicy.RETAIN)

    # WHEN synthesized, THEN it is refused, naming the key
    with pytest.raises(Exception, match="is retained but its KMS key Stack/UsersKey is deleted"):
        synth(stack)


@pytest.mark.parametrize(
    "make_project",
    [
        lambda stack: Project(stack, "Project", project_name="shapes"),
        lambda stack: rekognition.CfnProject(stack, "Project", project_name="shapes"),
    ],
    ids=["Project", "CfnProject"],
)
def test_a_retained_version_needs_its_project_retained_too(make_project: Callable[[cdk.Stack], Any]) -> None:
    # GIVEN a retained version of a project that is deleted with the stack
    stack = new_stack()
    ProjectVersion(stack, "V", project=make_project(stack), removal_policy=cdk.RemovalPolicy.RETAIN)

    # WHEN synthesized, THEN it is refused: DeleteProject would refuse while the version is there
    with pytest.raises(Exception, match="DeleteProject refuses"):
        synth(stack)


def test_a_retained_version_of_a_retained_project_synthesizes() -> None:
    stack = new_stack()
    project = Project(stack, "Project", project_name="shapes", removal_policy=cdk.RemovalPolicy.RETAIN)
    project.add_version("V", removal_policy=cdk.RemovalPolicy.RETAIN)
    synth(stack).resource_count_is("Custom::RekognitionProjectVersion", 1)


def test_another_removal_policy_applied_later_is_refused() -> None:
    version = declared(new_stack())
    with pytest.raises(ValueError, match="removal_policy="):
        version.apply_removal_policy(cdk.RemovalPolicy.RETAIN)


# -- helpers -------------------------------------------------------------------------------------------


def _policy(role: iam.Role) -> cdk.CfnResource:
    return role.node.find_child("DefaultPolicy").node.default_child  # type: ignore[return-value]


def _role_statements(template: Template, policy_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = template.to_json()["Resources"][policy_id]["Properties"][
        "PolicyDocument"
    ]["Statement"]
    return statements
