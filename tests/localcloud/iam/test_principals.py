"""The caller (a role session) and how a resource-based policy's Principal names it."""

from __future__ import annotations

import pytest

from localcloud.iam.policies import Principal, Statement
from localcloud.iam.principals import Caller, Named, names, statement_names

ACCOUNT = "123456789012"
CALLER = Caller.assumed_role(ACCOUNT, "FunctionRole", "handler-session", path="/service/")


def test_a_caller_is_a_session_of_its_role() -> None:
    # GIVEN a role with a path WHEN one of its sessions is the caller
    # THEN the session ARN leaves the path out and the role ARN keeps it, as AWS writes them
    assert CALLER.session_arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/FunctionRole/handler-session"
    assert CALLER.role_arn == f"arn:aws:iam::{ACCOUNT}:role/service/FunctionRole"
    assert CALLER.account == ACCOUNT and CALLER.partition == "aws"
    assert CALLER.account_root_arn == f"arn:aws:iam::{ACCOUNT}:root"


@pytest.mark.parametrize(
    ("session", "role"),
    [
        ("arn:aws:iam::123456789012:role/R", "arn:aws:iam::123456789012:role/R"),  # not a session
        ("arn:aws:sts::123456789012:assumed-role/R/s", "arn:aws:iam::123456789012:user/R"),  # not a role
        ("arn:aws:sts::123456789012:assumed-role/R/s", "arn:aws:iam::123456789012:role/Other"),
        ("arn:aws:sts::123456789012:assumed-role/R/s", "arn:aws:iam::999999999999:role/R"),
    ],
)
def test_a_caller_that_is_no_session_of_its_role_is_refused(session: str, role: str) -> None:
    with pytest.raises(ValueError):
        Caller(session, role)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", Named.DIRECTLY),
        ({"AWS": "*"}, Named.DIRECTLY),
        ({"AWS": CALLER.role_arn}, Named.DIRECTLY),  # the role: every session of it
        ({"AWS": CALLER.session_arn}, Named.DIRECTLY),  # that very session
        ({"AWS": ACCOUNT}, Named.BY_ACCOUNT),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Named.BY_ACCOUNT),
        ({"AWS": [f"arn:aws:iam::{ACCOUNT}:root", CALLER.role_arn]}, Named.DIRECTLY),  # most direct wins
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/OtherRole"}, Named.NOT),
        ({"AWS": "arn:aws:iam::999999999999:root"}, Named.NOT),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/FunctionRole"}, Named.NOT),  # the path is part of the ARN
        ({"Service": "lambda.amazonaws.com"}, Named.NOT),  # a service principal never is a role session
        ({"Federated": "cognito-identity.amazonaws.com"}, Named.NOT),
    ],
)
def test_how_a_principal_names_the_caller(principal: object, expected: Named) -> None:
    # GIVEN a resource-based policy's Principal WHEN the caller is the role session
    # THEN it is named directly, by its account (delegation), or not at all
    assert names(Principal.parse(principal), CALLER) is expected


@pytest.mark.parametrize(
    ("not_principal", "expected"),
    [
        ({"AWS": "arn:aws:iam::999999999999:root"}, Named.DIRECTLY),  # everyone but another account
        ({"AWS": [CALLER.session_arn, CALLER.role_arn, f"arn:aws:iam::{ACCOUNT}:root"]}, Named.NOT),
        ({"AWS": CALLER.role_arn}, Named.NOT),
    ],
)
def test_not_principal_names_everyone_it_does_not_list(not_principal: object, expected: Named) -> None:
    statement = Statement.parse({"Effect": "Deny", "NotPrincipal": not_principal, "Action": "s3:*"})
    assert statement_names(statement, CALLER) is expected


def test_a_statement_without_principal_names_nobody() -> None:
    statement = Statement.parse({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert statement_names(statement, CALLER) is Named.NOT
