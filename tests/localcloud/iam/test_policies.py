"""Policy documents: every shape IAM accepts for each element, and what IAM would refuse."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from localcloud.iam.policies import Effect, Policy, PolicyError, Principal, Statement
from localcloud.iam.truth import Truth

OBJECT = "arn:aws:s3:::bucket/key"
ALLOW_GET = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}


@pytest.mark.parametrize(
    "document",
    [
        {"Version": "2012-10-17", "Statement": ALLOW_GET},  # one statement as an object
        {"Version": "2012-10-17", "Statement": [ALLOW_GET]},  # or in a list
        json.dumps({"Version": "2012-10-17", "Statement": [ALLOW_GET]}),  # as JSON text
        urllib.parse.quote(
            json.dumps({"Version": "2012-10-17", "Statement": [ALLOW_GET]})
        ),  # as IAM returns it
    ],
    ids=["object", "list", "json", "url-encoded"],
)
def test_a_document_parses_in_every_form_iam_hands_out(document: object) -> None:
    # GIVEN a document in one of its forms WHEN parsed
    policy = Policy.parse(document)  # type: ignore[arg-type]
    # THEN it holds the one statement
    (statement,) = policy.statements
    assert statement.effect is Effect.ALLOW
    assert statement.actions == ("s3:GetObject",)
    assert policy.version == "2012-10-17"
    assert Policy.parse(policy) is policy


def test_strings_and_lists_are_alike_in_every_element() -> None:
    # GIVEN a statement with lists where the other had strings
    statement = Statement.parse(
        {"Sid": "Both", "Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [OBJECT]}
    )
    # THEN each element is a tuple of its entries
    assert statement.sid == "Both" and statement.effect is Effect.DENY
    assert statement.actions == ("s3:GetObject", "s3:PutObject")
    assert statement.resources == (OBJECT,)
    assert statement.covers_action("s3:putobject") and not statement.covers_action("s3:DeleteObject")


def test_not_action_and_not_resource_cover_everything_they_do_not_list() -> None:
    # GIVEN a statement for every action but IAM's, on every resource but one bucket's
    statement = Statement.parse(
        {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}
    )
    # THEN it covers s3 on other buckets, and neither IAM nor the secret bucket
    assert statement.covers_action("s3:GetObject") and not statement.covers_action("iam:CreateRole")
    assert statement.covers_resource(OBJECT) is Truth.TRUE
    assert statement.covers_resource("arn:aws:s3:::secret/key") is Truth.FALSE


def test_a_statement_without_resource_is_about_the_resource_it_is_attached_to() -> None:
    # GIVEN a resource-based policy statement with no Resource (a trust policy's shape)
    statement = Statement.parse(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    # THEN it covers whatever it is asked about
    assert not statement.names_resources
    assert statement.covers_resource("arn:aws:iam::123456789012:role/r") is Truth.TRUE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("*", Principal(anyone=True)),
        ({"AWS": "*"}, Principal(anyone=True, aws=("*",))),
        ({"AWS": "123456789012"}, Principal(aws=("123456789012",))),
        (
            {"AWS": ["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/r"]},
            Principal(aws=("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/r")),
        ),
        ({"Service": ["events.amazonaws.com"]}, Principal(service=("events.amazonaws.com",))),
        (
            {"Federated": "cognito-identity.amazonaws.com"},
            Principal(others=("cognito-identity.amazonaws.com",)),
        ),
        ({"CanonicalUser": "abc"}, Principal(others=("abc",))),
    ],
)
def test_principals_parse_in_every_form(raw: object, expected: Principal) -> None:
    assert Principal.parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ({"Action": "s3:*", "Resource": "*"}, "Effect"),
        ({"Effect": "allow", "Action": "s3:*", "Resource": "*"}, "Effect"),  # Effect is case-sensitive
        ({"Effect": "Allow", "Resource": "*"}, "Action or NotAction"),
        (
            {"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"},
            "both Action and NotAction",
        ),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "*"}, "both Resource"),
        ({"Effect": "Allow", "Action": [], "Resource": "*"}, "non-empty list"),
        ({"Effect": "Allow", "Action": 3, "Resource": "*"}, "Action must be"),
        ({"Effect": "Allow", "Action": "s3:*", "Principal": {"Bogus": "x"}}, "unknown principal type"),
        ({"Effect": "Allow", "Action": "s3:*", "Principal": "someone"}, "Principal must be"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": "x"}}, "must map keys"),
        ("not a statement", "must be an object"),
    ],
)
def test_a_statement_iam_would_refuse_is_refused(raw: object, complaint: str) -> None:
    with pytest.raises(PolicyError, match=complaint):
        Statement.parse(raw)


@pytest.mark.parametrize(
    "document",
    [{"Version": "2012-10-17"}, {"Statement": "x"}, "not json", "[]", {"Statement": [ALLOW_GET, 3]}],
)
def test_a_document_iam_would_refuse_is_refused(document: object) -> None:
    with pytest.raises(PolicyError):
        Policy.parse(document)  # type: ignore[arg-type]
