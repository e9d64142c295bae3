"""Literal values are checked at construction (tags from ``Tags.of`` at synth); tokens are skipped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Aws, CfnParameter, Duration, RemovalPolicy, Stack, Tags, Token
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match

from constructs import IConstruct
from rekognition_custom_labels import FeatureConfig, ProjectVersion, TestingData, TrainingData, validation

from .helpers import PROJECT_ARN, VERSION_TYPE, dataset_bucket, new_app, new_stack, synth, version_properties

Props = Callable[[Stack], dict[str, Any]]


def _training(stack: Stack, key: str = "train.manifest") -> TrainingData:
    return TrainingData.from_manifest(dataset_bucket(stack), key)


def _testing(stack: Stack, key: str = "test.manifest") -> TestingData:
    return TestingData.from_manifest(dataset_bucket(stack), key)


def _many_tags(count: int) -> dict[str, str]:
    return {f"key{i}": "value" for i in range(count)}


# (id, props on top of project=PROJECT_ARN, a regexp the message must contain)
INVALID: list[tuple[str, Props, str]] = [
    (
        "project_version_name empty",
        lambda s: {"project_version_name": ""},
        r"project_version_name must be 1-255 characters",
    ),
    (
        "project_version_name 256 chars",
        lambda s: {"project_version_name": "a" * 256},
        r"project_version_name must be 1-255",
    ),
    (
        "project_version_name space",
        lambda s: {"project_version_name": "my model"},
        r"project_version_name 'my model' may contain",
    ),
    (
        "project_version_name slash",
        lambda s: {"project_version_name": "a/b"},
        r"project_version_name 'a/b' may contain",
    ),
    ("version_description empty", lambda s: {"version_description": ""}, r"version_description must be"),
    ("version_description 256", lambda s: {"version_description": "d" * 256}, r"version_description must"),
    ("version_description '#'", lambda s: {"version_description": "v#1"}, r"version_description 'v#1'"),
    ("version_description '\\n'", lambda s: {"version_description": "a\nb"}, r"version_description"),
    ("project not an arn", lambda s: {"project": "shapes"}, r"project 'shapes' is not a Rekognition project"),
    ("project without timestamp", lambda s: {"project": PROJECT_ARN.rsplit("/", 1)[0]}, r"project '.*"),
    (
        "project of another service",
        lambda s: {"project": PROJECT_ARN.replace("rekognition", "sagemaker")},
        r"project '",
    ),
    ("project version arn", lambda s: {"project": PROJECT_ARN + "/version/v/1"}, r"project '.*' is not"),
    (
        "project short account",
        lambda s: {"project": PROJECT_ARN.replace("123456789012", "1234")},
        r"project '",
    ),
    (
        "training without testing",
        lambda s: {"training_data": _training(s)},
        r"training_data and testing_data",
    ),
    ("testing without training", lambda s: {"testing_data": _testing(s)}, r"training_data and testing_data"),
    (
        "auto-create without training",
        lambda s: {"testing_data": TestingData.auto_create()},
        r"training_data and",
    ),
    (
        "training manifest key empty",
        lambda s: {"training_data": _training(s, ""), "testing_data": _testing(s)},
        r"training_data manifest key must be 1-1024",
    ),
    (
        "testing manifest key 1025",
        lambda s: {"training_data": _training(s), "testing_data": _testing(s, "k" * 1025)},
        r"testing_data manifest key must be 1-1024",
    ),
    (
        "threshold -1",
        lambda s: {"feature_config": FeatureConfig(content_moderation_confidence_threshold=-1)},
        r"content_moderation_confidence_threshold must be between 0 and 100 \(got -1\)",
    ),
    (
        "threshold 101",
        lambda s: {"feature_config": FeatureConfig(content_moderation_confidence_threshold=101)},
        r"content_moderation_confidence_threshold must be between 0 and 100 \(got 101\)",
    ),
    (
        "service_timeout 0 s",
        lambda s: {"service_timeout": Duration.seconds(0)},
        r"service_timeout .*got 0 sec",
    ),
    ("service_timeout 2 h", lambda s: {"service_timeout": Duration.hours(2)}, r"service_timeout .*got 7200"),
    ("service_timeout 3601 s", lambda s: {"service_timeout": Duration.seconds(3601)}, r"service_timeout"),
    ("output_prefix 1025", lambda s: {"output_prefix": "p" * 1025}, r"output_prefix must be at most 1024"),
    ("200 tags", lambda s: {"tags": _many_tags(200)}, r"at most 199 tags .*got 200"),
    ("tag key aws:", lambda s: {"tags": {"aws:x": "v"}}, r"tag key 'aws:x' uses the reserved prefix"),
    ("tag key AWS:", lambda s: {"tags": {"AWS:x": "v"}}, r"tag key 'AWS:x' uses the reserved prefix"),
    ("tag key empty", lambda s: {"tags": {"": "v"}}, r"tag key '' must be 1-128"),
    ("tag key 129", lambda s: {"tags": {"k" * 129: "v"}}, r"tag key 'k+' must be 1-128"),
    ("tag value 257", lambda s: {"tags": {"k": "v" * 257}}, r"tag value of 'k' must be at most 256"),
    ("tag key '#'", lambda s: {"tags": {"team#1": "v"}}, r"tag key 'team#1' may contain only"),
    ("tag value '#'", lambda s: {"tags": {"team": "a#b"}}, r"tag value 'a#b' of 'team' may contain only"),
    ("tag value '*'", lambda s: {"tags": {"team": "a*"}}, r"tag value 'a\*' of 'team'"),
    ("removal_policy SNAPSHOT", lambda s: {"removal_policy": RemovalPolicy.SNAPSHOT}, r"removal_policy must"),
    (
        "removal_policy RETAIN_ON_UPDATE_OR_DELETE",
        lambda s: {"removal_policy": RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE},
        r"removal_policy must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN",
    ),
]


@pytest.mark.parametrize("props, message", [(p, m) for _, p, m in INVALID], ids=[i for i, _, _ in INVALID])
def test_invalid_literal_raises_at_construction(props: Props, message: str) -> None:
    # GIVEN a stack
    stack = new_stack()

    # WHEN a version is declared with one invalid literal
    # THEN construction fails with a message naming the version and the property
    with pytest.raises(ValueError, match=message) as raised:
        ProjectVersion(stack, "V", **{"project": PROJECT_ARN, **props(stack)})
    assert str(raised.value).startswith("ProjectVersion Stack/V: ")


@pytest.mark.parametrize(
    "props, message",
    [
        pytest.param(
            {"project_version_name": "shapes\n"}, r"project_version_name", id="project_version_name"
        ),
        pytest.param({"version_description": "shapes\n"}, r"version_description", id="version_description"),
        pytest.param({"project": PROJECT_ARN + "\n"}, r"project", id="project"),
        pytest.param({"tags": {"team\n": "v"}}, r"tag key", id="tag key"),
        pytest.param({"tags": {"team": "v\n"}}, r"tag value", id="tag value"),
    ],
)
def test_trailing_newline_is_refused(props: dict[str, Any], message: str) -> None:
    # GIVEN a value that is valid but for a trailing newline
    stack = new_stack()

    # WHEN a version is declared with it / THEN construction fails like for any other bad character
    with pytest.raises(ValueError, match=message):
        ProjectVersion(stack, "V", **{"project": PROJECT_ARN, **props})


def test_every_invalid_literal_is_reported_at_once() -> None:
    # GIVEN several invalid literals
    stack = new_stack()

    # WHEN declared / THEN one ValueError lists them all
    with pytest.raises(ValueError) as raised:
        ProjectVersion(
            stack,
            "V",
            project="shapes",
            project_version_name="",
            output_prefix="p" * 1025,
            removal_policy=RemovalPolicy.SNAPSHOT,
        )
    for prop in ("project", "project_version_name", "output_prefix", "removal_policy"):
        assert prop in str(raised.value)


# Values valid at the boundary, which must not raise (so the checks above cannot be over-eager).
VALID: list[tuple[str, Props]] = [
    ("name 255 chars", lambda s: {"project_version_name": "a" * 255}),
    ("name all allowed chars", lambda s: {"project_version_name": "aZ09_.-"}),
    ("version_description 255 allowed chars", lambda s: {"version_description": ("aZ09-_. ()':,;?" * 17)}),
    ("aws-cn project", lambda s: {"project": PROJECT_ARN.replace("arn:aws:", "arn:aws-cn:")}),
    (
        "auto-create with training",
        lambda s: {"training_data": _training(s), "testing_data": TestingData.auto_create()},
    ),
    (
        "both manifests, 1024-char key",
        lambda s: {"training_data": _training(s, "k" * 1024), "testing_data": _testing(s)},
    ),
    ("threshold 0", lambda s: {"feature_config": FeatureConfig(content_moderation_confidence_threshold=0)}),
    (
        "threshold 100",
        lambda s: {"feature_config": FeatureConfig(content_moderation_confidence_threshold=100)},
    ),
    ("service_timeout 1 s", lambda s: {"service_timeout": Duration.seconds(1)}),
    ("service_timeout 1 h", lambda s: {"service_timeout": Duration.hours(1)}),
    ("output_prefix 1024", lambda s: {"output_prefix": "p" * 1024}),
    ("output_prefix empty", lambda s: {"output_prefix": ""}),
    ("199 tags", lambda s: {"tags": _many_tags(199)}),
    ("tag key 128, value 256", lambda s: {"tags": {"k" * 128: "v" * 256}}),
    ("tag empty value", lambda s: {"tags": {"k": ""}}),
    ("tag allowed chars", lambda s: {"tags": {"a Z_.:/=+-@9": "é .:/=+-@"}}),
    ("tag key containing aws:", lambda s: {"tags": {"team:aws:x": "v"}}),
    ("removal_policy RETAIN", lambda s: {"removal_policy": RemovalPolicy.RETAIN}),
]


@pytest.mark.parametrize("props", [p for _, p in VALID], ids=[i for i, _ in VALID])
def test_valid_boundary_literal_synthesizes(props: Props) -> None:
    # GIVEN a stack
    stack = new_stack()

    # WHEN a version is declared with a value at the edge of what is allowed
    ProjectVersion(stack, "V", **{"project": PROJECT_ARN, **props(stack)})

    # THEN it synthesizes
    synth(stack).resource_count_is(VERSION_TYPE, 1)


def _string(stack: Stack) -> str:
    return CfnParameter(stack, "Text").value_as_string


def _number(stack: Stack) -> float:
    return CfnParameter(stack, "Number", type="Number").value_as_number


def _out(stack: Stack) -> s3.IBucket:
    return s3.Bucket.from_bucket_name(stack, "Out", CfnParameter(stack, "OutBucket").value_as_string)


TOKENS: list[Any] = [
    pytest.param(
        lambda s: {"project_version_name": _string(s)},
        {"VersionName": {"Ref": "Text"}},
        id="project_version_name",
    ),
    pytest.param(
        lambda s: {"version_description": _string(s)},
        {"VersionDescription": {"Ref": "Text"}},
        id="version_description",
    ),
    pytest.param(
        lambda s: {"output_prefix": _string(s)},
        {"OutputConfig": {"S3Bucket": {"Ref": "OutBucket"}, "S3KeyPrefix": {"Ref": "Text"}}},
        id="output_prefix",
    ),
    pytest.param(
        lambda s: {"tags": {"team": _string(s)}}, {"Tags": {"team": {"Ref": "Text"}}}, id="tag value"
    ),
    pytest.param(
        lambda s: {"feature_config": FeatureConfig(content_moderation_confidence_threshold=_number(s))},
        {"FeatureConfig": {"ContentModeration": {"ConfidenceThreshold": {"Ref": "Number"}}}},
        id="threshold",
    ),
    pytest.param(
        lambda s: {"service_timeout": Duration.seconds(_number(s))},
        {"ServiceTimeout": {"Ref": "Number"}},
        id="service_timeout",
    ),
    pytest.param(
        lambda s: {"training_data": _training(s, _string(s)), "testing_data": TestingData.auto_create()},
        {
            "TrainingData": {
                "Assets": [
                    {"GroundTruthManifest": {"S3Object": {"Bucket": "dataset", "Name": {"Ref": "Text"}}}}
                ]
            }
        },
        id="manifest key",
    ),
    pytest.param(
        lambda s: {"project": _string(s)},
        {"ProjectArn": {"Ref": "Text"}},
        id="project",
    ),
]


@pytest.mark.parametrize("props, rendered", TOKENS)
def test_unresolved_tokens_are_not_checked(props: Props, rendered: dict[str, Any]) -> None:
    # GIVEN a property known only at deploy time
    stack = new_stack()

    # WHEN a version is declared with it
    ProjectVersion(stack, "V", **{"project": PROJECT_ARN, "output_bucket": _out(stack), **props(stack)})

    # THEN construction does not raise and the token is rendered as a reference
    synth(stack).has_resource_properties(VERSION_TYPE, rendered)


# --- tags added after construction, through Tags.of --------------------------------------------------


def _add_many(scope: IConstruct, count: int) -> None:
    for key, value in _many_tags(count).items():
        Tags.of(scope).add(f"late-{key}", value)


# (id, prop tag count, how tags are added later, a regexp the synth error must contain)
LATE_TAGS: list[tuple[str, int, Callable[[App, Stack], None], str]] = [
    (
        "aws: key on stack",
        0,
        lambda a, s: Tags.of(s).add("aws:bad", "x"),
        r"tag key 'aws:bad' uses the reserved",
    ),
    (
        "AWS: key on app",
        0,
        lambda a, s: Tags.of(a).add("AWS:bad", "x"),
        r"tag key 'AWS:bad' uses the reserved",
    ),
    ("'#' value on stack", 0, lambda a, s: Tags.of(s).add("team", "a#b"), r"tag value 'a#b' of 'team'"),
    (
        "129-char key",
        0,
        lambda a, s: Tags.of(s).add("k" * 129, "v"),
        r"tag key 'k+' must be 1-128 characters",
    ),
    ("200 tags via Tags.of", 0, lambda a, s: _add_many(a, 200), r"at most 199 tags .*got 200"),
    ("199 prop tags + 1 via Tags.of", 199, lambda a, s: Tags.of(s).add("one-more", "v"), r"got 200"),
]


@pytest.mark.parametrize(
    "prop_tags, add_tags, message",
    [(n, t, m) for _, n, t, m in LATE_TAGS],
    ids=[i for i, _, _, _ in LATE_TAGS],
)
def test_invalid_tags_from_tags_of_fail_at_synth(
    prop_tags: int, add_tags: Callable[[App, Stack], None], message: str
) -> None:
    # GIVEN a valid version
    app = new_app()
    stack = new_stack(app)
    ProjectVersion(stack, "V", project=PROJECT_ARN, tags=_many_tags(prop_tags))

    # WHEN an invalid tag arrives through Tags.of
    add_tags(app, stack)

    # THEN synthesis fails, naming the version and the tag
    with pytest.raises(RuntimeError, match=message) as raised:
        app.synth()
    assert "[Stack/V]" in str(raised.value)


def test_invalid_tag_from_tags_of_fails_template_from_stack() -> None:
    # GIVEN a version, and a reserved tag key added to its stack
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN)
    Tags.of(stack).add("aws:bad", "x")

    # WHEN the template is read / THEN the synth-time validation fails
    with pytest.raises(RuntimeError, match=r"\[Stack/V\] tag key 'aws:bad' uses the reserved prefix 'aws:'"):
        synth(stack)


def test_valid_tags_from_tags_of_synthesize() -> None:
    # GIVEN 199 tags: 150 from the prop, 48 through Tags.of(app) and one token value through Tags.of(stack)
    app = new_app()
    stack = new_stack(app)
    ProjectVersion(stack, "V", project=PROJECT_ARN, tags=_many_tags(150))
    _add_many(app, 48)
    Tags.of(stack).add("deploy-time", CfnParameter(stack, "Text").value_as_string)

    # WHEN synthesized
    template = synth(stack)

    # THEN no validation error, and all 199 tags are rendered
    assert len(version_properties(template)["Tags"]) == 199


# --- the pure checks of validation.py ------------------------------------------------------------
# Each case: (id, value, whether the check accepts it). Tokens are unresolved values, always accepted.

TOKEN_STRING = Aws.ACCOUNT_ID
TOKEN_NUMBER = Token.as_number(Aws.ACCOUNT_ID)


def _cases(*cases: tuple[str, Any, bool]) -> list[Any]:
    return [pytest.param(value, ok, id=case_id) for case_id, value, ok in cases]


@pytest.mark.parametrize(
    "name, ok",
    _cases(
        ("1 char", "a", True),
        ("255 chars", "a" * 255, True),
        ("allowed chars", "a-b_c.D9", True),
        ("token", TOKEN_STRING, True),
        ("empty", "", False),
        ("256 chars", "a" * 256, False),
        ("space", "a b", False),
        ("colon", "a:b", False),
        ("non-ascii letter", "é", False),
    ),
)
def test_check_version_name(name: str, ok: bool) -> None:
    # GIVEN a name / WHEN checked / THEN only out-of-range or disallowed names are reported
    errors = validation.check_version_name(name)
    assert (errors == []) is ok, errors
    assert ok or "version_name" in errors[0]


@pytest.mark.parametrize(
    "description, ok",
    _cases(
        ("1 char", "d", True),
        ("255 chars", "d" * 255, True),
        ("allowed punctuation", "Hi (v1): a-b_c. 'x', y; z?", True),
        ("token", TOKEN_STRING, True),
        ("empty", "", False),
        ("256 chars", "d" * 256, False),
        ("hash", "a#b", False),
        ("tab", "a\tb", False),
        ("slash", "a/b", False),
    ),
)
def test_check_description(description: str, ok: bool) -> None:
    # GIVEN a description / WHEN checked / THEN only out-of-range or disallowed ones are reported
    errors = validation.check_description(description)
    assert (errors == []) is ok, errors
    assert ok or "version_description" in errors[0]


@pytest.mark.parametrize(
    "arn, ok",
    _cases(
        ("aws", PROJECT_ARN, True),
        ("aws-us-gov", "arn:aws-us-gov:rekognition:us-gov-west-1:123456789012:project/a.b_c-d/1", True),
        ("255-char name", PROJECT_ARN.replace("project/shapes", "project/" + "p" * 255), True),
        ("token", TOKEN_STRING, True),
        ("empty", "", False),
        ("trailing slash", PROJECT_ARN + "/", False),
        ("space in name", PROJECT_ARN.replace("project/shapes", "project/sh apes"), False),
        ("256-char name", PROJECT_ARN.replace("project/shapes", "project/" + "p" * 256), False),
        ("non-numeric timestamp", PROJECT_ARN.replace("1700000000000", "abc"), False),
        ("model version arn", PROJECT_ARN.replace("/1700000000000", "/version/v/1"), False),
    ),
)
def test_check_project_arn(arn: str, ok: bool) -> None:
    # GIVEN an ARN / WHEN checked / THEN only non-project ARNs are reported
    errors = validation.check_project_arn(arn)
    assert (errors == []) is ok, errors
    assert ok or errors[0].startswith("project ")


@pytest.mark.parametrize(
    "prefix, ok",
    _cases(
        ("empty", "", True),
        ("1024 chars", "p" * 1024, True),
        ("token", TOKEN_STRING, True),
        ("1025 chars", "p" * 1025, False),
    ),
)
def test_check_output_prefix(prefix: str, ok: bool) -> None:
    # GIVEN a prefix / WHEN checked / THEN only one longer than S3KeyPrefix allows is reported
    errors = validation.check_output_prefix(prefix)
    assert (errors == []) is ok, errors
    assert ok or "output_prefix" in errors[0]


@pytest.mark.parametrize(
    "key, ok",
    _cases(
        ("1 char", "k", True),
        ("1024 chars", "k" * 1024, True),
        ("token", TOKEN_STRING, True),
        ("empty", "", False),
        ("1025 chars", "k" * 1025, False),
    ),
)
def test_check_manifest_key(key: str, ok: bool) -> None:
    # GIVEN a manifest key / WHEN checked / THEN only an empty or too long key is reported, by prop name
    errors = validation.check_manifest_key("training_data", key)
    assert (errors == []) is ok, errors
    assert ok or errors[0].startswith("training_data ")


@pytest.mark.parametrize(
    "threshold, ok",
    _cases(
        ("0", 0, True),
        ("100", 100, True),
        ("50.5", 50.5, True),
        ("token", TOKEN_NUMBER, True),
        ("-0.1", -0.1, False),
        ("-1", -1, False),
        ("100.1", 100.1, False),
        ("101", 101, False),
    ),
)
def test_check_confidence_threshold(threshold: float, ok: bool) -> None:
    # GIVEN a threshold / WHEN checked / THEN only one outside 0-100 is reported
    errors = validation.check_confidence_threshold(threshold)
    assert (errors == []) is ok, errors
    assert ok or "confidence_threshold" in errors[0]


@pytest.mark.parametrize(
    "timeout, ok",
    _cases(
        ("1 s", Duration.seconds(1), True),
        ("3600 s", Duration.seconds(3600), True),
        ("1 h", Duration.hours(1), True),
        ("60 min", Duration.minutes(60), True),
        ("token", Duration.seconds(TOKEN_NUMBER), True),
        ("0 s", Duration.seconds(0), False),
        ("3601 s", Duration.seconds(3601), False),
        ("2 h", Duration.hours(2), False),
        ("1 day", Duration.days(1), False),
    ),
)
def test_check_service_timeout(timeout: Duration, ok: bool) -> None:
    # GIVEN a timeout / WHEN checked / THEN only one outside 1 s - 1 h is reported
    errors = validation.check_service_timeout(timeout)
    assert (errors == []) is ok, errors
    assert ok or "service_timeout" in errors[0]


@pytest.mark.parametrize(
    "tags, ok",
    _cases(
        ("none", {}, True),
        ("199 tags", _many_tags(199), True),
        ("128-char key", {"k" * 128: "v"}, True),
        ("256-char value", {"k": "v" * 256}, True),
        ("empty value", {"k": ""}, True),
        ("unicode letters", {"équipe": "données"}, True),
        ("allowed chars", {"a b_c.d:e/f=g+h-i@j": "a b_c.d:e/f=g+h-i@j"}, True),
        ("aws: not as prefix", {"x-aws:y": "v"}, True),
        ("token key and value", {TOKEN_STRING: TOKEN_STRING}, True),
        ("200 tags", _many_tags(200), False),
        ("129-char key", {"k" * 129: "v"}, False),
        ("empty key", {"": "v"}, False),
        ("257-char value", {"k": "v" * 257}, False),
        ("aws: key", {"aws:x": "v"}, False),
        ("AWS: key", {"AWS:x": "v"}, False),
        ("Aws: key", {"Aws:x": "v"}, False),
        ("'#' in key", {"a#": "v"}, False),
        ("'#' in value", {"k": "a#"}, False),
        ("',' in value", {"k": "a,b"}, False),
        ("'*' in value", {"k": "a*b"}, False),
    ),
)
def test_check_tags(tags: dict[str, str], ok: bool) -> None:
    # GIVEN tags / WHEN checked / THEN only what TagResource would refuse (minus one slot) is reported
    errors = validation.check_tags(tags)
    assert (errors == []) is ok, errors
    assert ok or all("tag" in error for error in errors)


def test_check_tags_reports_every_bad_tag() -> None:
    # GIVEN two bad tags / WHEN checked / THEN both are reported
    errors = validation.check_tags({"aws:a": "v", "b": "x#"})
    assert len(errors) == 2, errors


def test_a_service_timeout_too_short_to_poll_warns_at_synth() -> None:
    # GIVEN a version whose service_timeout is shorter than two polls and the provider's margin
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, service_timeout=Duration.seconds(90))
    # THEN synthesis warns that nothing can be waited for
    Annotations.from_stack(stack).has_warning("/Stack/V", Match.string_like_regexp("leaves no time to poll"))


def test_a_service_timeout_long_enough_to_poll_does_not_warn() -> None:
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, service_timeout=Duration.minutes(10))
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("leaves no time to poll"))
