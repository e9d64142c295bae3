"""AWS-managed policies' documents, as a CDK function role attaches them."""

from __future__ import annotations

import pytest

from localcloud.iam.managed_policies import aws_managed_policy, is_aws_managed
from localcloud.iam.policies import Policy


def test_the_basic_execution_role_lets_a_function_write_its_logs() -> None:
    # GIVEN the managed policy CDK attaches to every function's role
    document = aws_managed_policy("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    # THEN it is AWS's document: the three logging actions on any resource
    assert document is not None
    (statement,) = Policy.parse(document).statements
    assert set(statement.actions or ()) == {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert statement.resources == ("*",)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole",  # the path is part of the ARN
        "arn:aws:iam::aws:policy/service-role/NoSuchPolicy",
        "arn:aws:iam::123456789012:policy/MyPolicy",  # a customer-managed policy
        "AWSLambdaBasicExecutionRole",
    ],
)
def test_anything_else_is_no_aws_managed_policy(arn: str) -> None:
    assert aws_managed_policy(arn) is None


def test_aws_managed_arns_are_told_from_customer_managed_ones() -> None:
    assert is_aws_managed("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert is_aws_managed("arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert not is_aws_managed("arn:aws:iam::123456789012:policy/ReadOnlyAccess")
