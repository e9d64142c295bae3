"""IAM's wildcards: actions case-insensitively, resources case-sensitively and across ``/`` and ``:``,
ARN conditions component by component, policy variables never matching for sure."""

from __future__ import annotations

import pytest

from localcloud.iam.truth import Truth, all_of, any_of
from localcloud.iam.wildcards import (
    action_matches,
    arn_matches,
    has_policy_variable,
    matches,
    resource_matches,
)

BUCKET = "arn:aws:s3:::bucket"


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("S3:getobject", "s3:GetObject", True),  # actions are case-insensitive
        ("s3:Get*", "s3:GetObject", True),
        ("s3:*", "s3:GetObject", True),
        ("*", "rekognition:CreateProjectVersion", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?", "s3:GetObject", False),  # ? is exactly one character
        ("s3:Put*", "s3:GetObject", False),
        ("s3:GetObject", "s3:GetObjectAcl", False),  # whole action, not a prefix
        ("kms:*", "s3:GetObject", False),
        ("rekognition:Describe*", "rekognition:DescribeProjectVersions", True),
        ("s3:Get${aws:username}", "s3:GetObject", False),  # no variables in actions
    ],
)
def test_an_action_entry_covers_actions_case_insensitively(pattern: str, action: str, expected: bool) -> None:
    # GIVEN an Action entry WHEN matched against a request's action THEN IAM's answer
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("*", f"{BUCKET}/key", Truth.TRUE),
        (f"{BUCKET}/*", f"{BUCKET}/a/b/c.jpg", Truth.TRUE),  # * crosses /
        (f"{BUCKET}/*", BUCKET, Truth.FALSE),  # the bucket is not below itself
        (f"{BUCKET}*", BUCKET, Truth.TRUE),  # * may be empty
        ("arn:aws:s3:::*", f"{BUCKET}/key", Truth.TRUE),
        ("arn:aws:logs:*:*:*", "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s", Truth.TRUE),
        ("arn:aws:lambda:*:*:function:f", "arn:aws:lambda:us-east-1:1:function:f:1", Truth.FALSE),
        (
            "arn:aws:lambda:*:*:function:f*",
            "arn:aws:lambda:us-east-1:1:function:f:1",
            Truth.TRUE,
        ),  # * crosses :
        (f"{BUCKET}/Key", f"{BUCKET}/key", Truth.FALSE),  # resources are case-sensitive
        (f"{BUCKET}/k?y", f"{BUCKET}/key", Truth.TRUE),
        (f"{BUCKET}/k?y", f"{BUCKET}/ky", Truth.FALSE),
        (f"{BUCKET}/a.b", f"{BUCKET}/aXb", Truth.FALSE),  # regex characters are literal
        (f"{BUCKET}/a+b(c)", f"{BUCKET}/a+b(c)", Truth.TRUE),
        (f"{BUCKET}/line", f"{BUCKET}/line\nbreak", Truth.FALSE),
        (f"{BUCKET}/*", f"{BUCKET}/line\nbreak", Truth.TRUE),  # * crosses a newline too
        (f"{BUCKET}/${{*}}", f"{BUCKET}/*", Truth.TRUE),  # ${*} is a literal *
        (f"{BUCKET}/${{*}}", f"{BUCKET}/key", Truth.FALSE),
        (f"{BUCKET}/${{?}}${{$}}", f"{BUCKET}/?$", Truth.TRUE),
        (f"{BUCKET}/home/${{aws:username}}/*", f"{BUCKET}/home/alice/x", Truth.UNKNOWN),
        (f"{BUCKET}/home/${{aws:username}}/*", f"{BUCKET}/public/x", Truth.FALSE),  # cannot match at all
    ],
)
def test_a_resource_entry_covers_arns_case_sensitively_and_across_separators(
    pattern: str, arn: str, expected: Truth
) -> None:
    # GIVEN a Resource entry WHEN matched against a concrete ARN THEN IAM's answer (UNKNOWN: only a
    # policy variable, which is not substituted, could make it match)
    assert resource_matches(pattern, arn) is expected


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        (
            "arn:aws:events:us-east-1:123456789012:rule/r",
            "arn:aws:events:us-east-1:123456789012:rule/r",
            Truth.TRUE,
        ),
        ("arn:aws:events:*:123456789012:rule/*", "arn:aws:events:eu-west-1:123456789012:rule/r", Truth.TRUE),
        ("arn:aws:events:*:123456789012:rule/*", "arn:aws:events:eu-west-1:999999999999:rule/r", Truth.FALSE),
        # A * stays inside its component: the region's * cannot eat the account.
        ("arn:aws:events:*:rule/r", "arn:aws:events:us-east-1:123456789012:rule/r", Truth.FALSE),
        ("arn:aws:lambda:*:*:function:*", "arn:aws:lambda:us-east-1:1:function:f:alias", Truth.TRUE),
        ("*", "arn:aws:s3:::bucket", Truth.TRUE),  # not an ARN pattern: matched as a whole
        ("arn:aws:s3:::*", "not-an-arn", Truth.FALSE),
    ],
)
def test_arn_conditions_match_each_component_on_its_own(pattern: str, arn: str, expected: Truth) -> None:
    # GIVEN an ArnLike value WHEN matched against a context ARN THEN component-wise
    assert arn_matches(pattern, arn) is expected


def test_plain_matching_can_read_wildcards_literally_and_ignore_case() -> None:
    # GIVEN StringEquals' reading (no wildcards) and StringEqualsIgnoreCase's
    # THEN a * is only a *, and case counts only when asked to
    assert matches("a*", "a*", glob=False) is Truth.TRUE
    assert matches("a*", "abc", glob=False) is Truth.FALSE
    assert matches("ABC", "abc", glob=False, ignore_case=True) is Truth.TRUE
    assert matches("ABC", "abc", glob=False) is Truth.FALSE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${aws:username}", True),
        ("a/${aws:PrincipalTag/team, 'none'}/b", True),
        ("${*}${?}${$}", False),
        ("*", False),
    ],
)
def test_policy_variables_are_told_from_the_escapes(text: str, expected: bool) -> None:
    assert has_policy_variable(text) is expected


def test_three_valued_logic_lets_false_dominate_and_and_true_dominate_or() -> None:
    # GIVEN the three truths THEN Kleene's AND and OR, and negation keeps UNKNOWN
    t, f, u = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
    assert all_of([t, u]) is u and all_of([u, f]) is f and all_of([t, t]) is t and all_of([]) is t
    assert any_of([f, u]) is u and any_of([u, t]) is t and any_of([f, f]) is f and any_of([]) is f
    assert t.negate() is f and f.negate() is t and u.negate() is u
    assert Truth.of(True) is t and Truth.of(False) is f
