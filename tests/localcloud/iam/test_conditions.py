"""Condition blocks: each operator as IAM evaluates it, absent keys, IfExists, the set prefixes, and an
unknown operator that never lets a statement apply as if it held."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from localcloud.iam.conditions import Condition, ConditionError, Context
from localcloud.iam.truth import Truth

RULE = "arn:aws:events:us-east-1:123456789012:rule/nightly"
T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def holds(block: Mapping[str, object], context: Context) -> Truth:
    return Condition.parse(block).evaluate(context)


@pytest.mark.parametrize(
    ("block", "context", "expected"),
    [
        # String operators: case-sensitive, wildcards only in the Like ones.
        (
            {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
            T,
        ),
        (
            {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            {"kms:ViaService": "sqs.us-east-1.amazonaws.com"},
            F,
        ),
        ({"StringEquals": {"kms:ViaService": ["sqs.x", "s3.x"]}}, {"kms:ViaService": "s3.x"}, T),  # values OR
        ({"StringEquals": {"s3:prefix": "A"}}, {"s3:prefix": "a"}, F),
        ({"StringEquals": {"s3:prefix": "a*"}}, {"s3:prefix": "abc"}, F),  # no wildcards in Equals
        ({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, {"s3:prefix": "c"}, T),  # negated: all must miss
        ({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, {"s3:prefix": "b"}, F),
        ({"StringEqualsIgnoreCase": {"s3:prefix": "HOME"}}, {"s3:prefix": "home"}, T),
        ({"StringNotEqualsIgnoreCase": {"s3:prefix": "HOME"}}, {"s3:prefix": "home"}, F),
        ({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice/x"}, T),
        ({"StringLike": {"s3:prefix": "home/?"}}, {"s3:prefix": "home/ab"}, F),
        ({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "public/x"}, T),
        # ARN operators: component-wise wildcards, ArnEquals the same as ArnLike.
        ({"ArnLike": {"aws:SourceArn": "arn:aws:events:*:123456789012:rule/*"}}, {"aws:SourceArn": RULE}, T),
        (
            {"ArnEquals": {"aws:SourceArn": "arn:aws:events:*:123456789012:rule/*"}},
            {"aws:SourceArn": RULE},
            T,
        ),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:events:*:999999999999:rule/*"}}, {"aws:SourceArn": RULE}, F),
        (
            {"ArnNotLike": {"aws:SourceArn": "arn:aws:events:*:999999999999:rule/*"}},
            {"aws:SourceArn": RULE},
            T,
        ),
        ({"ArnNotEquals": {"aws:SourceArn": RULE}}, {"aws:SourceArn": RULE}, F),
        # Bool: the context's booleans and the policy's strings, case-insensitively.
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False}, T),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": True}, F),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "FALSE"}, T),
        # Numbers.
        ({"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 10}, T),
        ({"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10.0"}, F),
        ({"NumericLessThan": {"s3:max-keys": 10}}, {"s3:max-keys": "9"}, T),
        ({"NumericLessThan": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, F),
        ({"NumericLessThanEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, T),
        ({"NumericGreaterThan": {"s3:max-keys": 10}}, {"s3:max-keys": "11"}, T),
        ({"NumericGreaterThanEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "9.5"}, F),
        ({"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}, F),  # not a number: no match
        # Dates: ISO 8601 or epoch seconds.
        (
            {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-06-01T12:00:00Z"},
            T,
        ),
        (
            {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-06-01T12:00:00Z"},
            F,
        ),
        ({"DateEquals": {"aws:EpochTime": "2030-01-01T00:00:00Z"}}, {"aws:EpochTime": 1893456000}, T),
        ({"DateNotEquals": {"aws:EpochTime": "2030-01-01T00:00:00"}}, {"aws:EpochTime": "1893456000"}, F),
        (
            {"DateLessThanEquals": {"aws:CurrentTime": "yesterday"}},
            {"aws:CurrentTime": "2026-06-01T12:00:00Z"},
            F,
        ),
        (
            {"DateGreaterThanEquals": {"aws:CurrentTime": "2026-06-01T12:00:00Z"}},
            {"aws:CurrentTime": "2026-06-01T12:00:00Z"},
            T,
        ),
        # IP addresses and binaries.
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"}, T),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "192.168.0.1"}, F),
        ({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.1"]}}, {"aws:SourceIp": "127.0.0.1"}, F),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "localhost"}, F),
        ({"BinaryEquals": {"k": "QmluYXJ5"}}, {"k": "QmluYXJ5"}, T),
        # Several operators and keys: all must hold.
        (
            {
                "StringEquals": {"kms:ViaService": "s3.x", "kms:CallerAccount": "123456789012"},
                "Bool": {"aws:SecureTransport": "true"},
            },
            {"kms:ViaService": "s3.x", "kms:CallerAccount": "123456789012", "aws:SecureTransport": True},
            T,
        ),
        (
            {"StringEquals": {"kms:ViaService": "s3.x", "kms:CallerAccount": "123456789012"}},
            {"kms:ViaService": "s3.x", "kms:CallerAccount": "999999999999"},
            F,
        ),
        # Key names are case-insensitive, values are not.
        ({"StringEquals": {"KMS:VIASERVICE": "s3.x"}}, {"kms:ViaService": "s3.x"}, T),
        ({}, {}, T),
    ],
)
def test_each_operator_compares_as_iam_does(
    block: dict[str, object], context: Context, expected: Truth
) -> None:
    # GIVEN a Condition block WHEN evaluated against a request's context THEN IAM's answer
    assert holds(block, context) is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", F),
        ("StringLike", F),
        ("ArnLike", F),
        ("Bool", F),
        ("NumericLessThan", F),
        ("StringNotEquals", T),  # a negated operator holds when there is nothing to match
        ("StringNotLike", T),
        ("ArnNotLike", T),
        ("NotIpAddress", T),
        ("StringEqualsIfExists", T),  # IfExists: an absent key does not count against
        ("ArnLikeIfExists", T),
        ("BoolIfExists", T),
        ("ForAnyValue:StringEquals", F),  # no value can be any
        ("ForAllValues:StringEquals", T),  # every one of no values is (vacuously)
    ],
)
def test_a_key_absent_from_the_request(operator: str, expected: Truth) -> None:
    # GIVEN a condition on a key the request does not carry
    # WHEN it is evaluated THEN positive operators fail, negated ones and IfExists hold
    assert holds({operator: {"aws:SourceArn": "x"}}, {"aws:SecureTransport": True}) is expected


def test_if_exists_still_compares_a_present_key() -> None:
    # GIVEN StringEqualsIfExists on kms:ViaService WHEN the key is present THEN it must match
    block = {"StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    assert holds(block, {"kms:ViaService": "s3.us-east-1.amazonaws.com"}) is T
    assert holds(block, {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}) is F


@pytest.mark.parametrize(
    ("value", "context", "expected"),
    [
        ("true", {}, T),  # Null true: the key must be absent
        ("true", {"aws:TagKeys": []}, T),  # an empty multivalued key is absent
        ("true", {"aws:TagKeys": ["a"]}, F),
        ("false", {"aws:TagKeys": ["a"]}, T),
        ("false", {}, F),
        (True, {}, T),
    ],
)
def test_null_tests_whether_the_key_is_there(value: object, context: Context, expected: Truth) -> None:
    assert holds({"Null": {"aws:TagKeys": value}}, context) is expected


@pytest.mark.parametrize(
    ("operator", "tags", "expected"),
    [
        ("ForAnyValue:StringEquals", ["team", "cost"], T),  # one allowed tag is enough
        ("ForAnyValue:StringEquals", ["other"], F),
        ("ForAllValues:StringEquals", ["team", "cost"], T),  # every tag is allowed
        ("ForAllValues:StringEquals", ["team", "other"], F),
        ("ForAllValues:StringLike", ["team-a", "team-b"], T),
        ("ForAnyValue:StringNotEquals", ["team", "other"], T),  # some tag is not an allowed one
        ("ForAllValues:StringNotEquals", ["x", "y"], T),  # no tag is an allowed one
        ("ForAllValues:StringNotEquals", ["x", "team"], F),
        ("StringEquals", ["other", "team"], T),  # no prefix: any value matching is enough
        ("StringNotEquals", ["other", "team"], F),  # no prefix, negated: no value may match
    ],
)
def test_set_operators_over_multivalued_keys(operator: str, tags: list[str], expected: Truth) -> None:
    # GIVEN a multivalued context key (aws:TagKeys) and allowed values team, cost (or team-*)
    allowed = ["team-*"] if "Like" in operator else ["team", "cost"]
    # WHEN the set operator is evaluated THEN ForAnyValue needs one, ForAllValues every one
    assert holds({operator: {"aws:TagKeys": allowed}}, {"aws:TagKeys": tags}) is expected


@pytest.mark.parametrize(
    "operator",
    [
        "StringEqualsSometimes",
        "stringequals",
        "ForSomeValues:StringEquals",
        "NullIfExists",
        "ForAnyValue:Null",
        "IfExists",
    ],
)
def test_an_unknown_operator_is_unknown_never_true(operator: str) -> None:
    # GIVEN an operator IAM does not have (or one this evaluator does not know)
    # WHEN evaluated, even on a context that would satisfy its look-alike
    result = holds({operator: {"s3:prefix": "a"}}, {"s3:prefix": "a"})
    # THEN it is UNKNOWN, so the evaluator can fail closed on it
    assert result is U
    # AND an unknown clause beside one that fails is simply false
    assert holds({operator: {"s3:prefix": "a"}, "StringEquals": {"s3:prefix": "b"}}, {"s3:prefix": "a"}) is F


def test_a_policy_variable_in_a_value_is_unknown_where_it_could_decide() -> None:
    # GIVEN a StringLike on ${aws:username}, which this evaluator does not substitute
    block = {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
    # THEN it is UNKNOWN where the variable could make it match, FALSE where nothing could
    assert holds(block, {"s3:prefix": "home/alice/x"}) is U
    assert holds(block, {"s3:prefix": "public/x"}) is F


@pytest.mark.parametrize(
    "block",
    [["StringEquals"], {"StringEquals": "x"}, {"StringEquals": {}}, {"StringEquals": {"k": {"nested": 1}}}],
)
def test_a_malformed_block_is_refused(block: object) -> None:
    with pytest.raises(ConditionError):
        Condition.parse(block)
