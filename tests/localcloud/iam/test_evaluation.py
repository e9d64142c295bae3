"""Same-account policy evaluation: explicit deny wins, an identity or resource Allow allows, a KMS key
policy decides for its key, conditions as CDK's templates use them, and AWS's exact sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from localcloud.iam.conditions import ContextValue
from localcloud.iam.evaluation import Decision, Reason, Request, evaluate, key_policy_delegates_to_iam
from localcloud.iam.managed_policies import aws_managed_policy
from localcloud.iam.policies import PolicyError, PolicyLike
from localcloud.iam.principals import Caller

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
CALLER = Caller.assumed_role(ACCOUNT, "MyRole", "session")
SESSION = CALLER.session_arn
PROJECT = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/p/1"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET = "arn:aws:s3:::my-bucket"
OBJECT = f"{BUCKET}/images/cat.jpg"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:consumer"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly"


def policy(*statements: Mapping[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: object) -> dict[str, object]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(
    action: str,
    resources: Sequence[str] = ("*",),
    *,
    identity: Sequence[PolicyLike] = (),
    resource_policy: PolicyLike | None = None,
    key_policy: bool = False,
    context: Mapping[str, ContextValue] | None = None,
) -> Decision:
    return evaluate(
        Request(
            caller=CALLER,
            action=action,
            resources=resources,
            context=context or {},
            identity_policies=identity,
            resource_policy=resource_policy,
            key_policy=key_policy,
        )
    )


# CDK's enforceSSL statement on a bucket policy (aws-s3 Bucket, enforceSSL: true).
ENFORCE_SSL = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Resource": [BUCKET, f"{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
# The default key policy CDK and KMS give a key: the account may use IAM policies for it.
DELEGATE_TO_IAM = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}


def test_an_identity_policy_allow_allows() -> None:
    # GIVEN the role's policy allowing CreateProjectVersion on the project
    identity = [policy(allow("rekognition:CreateProjectVersion", PROJECT))]
    # WHEN the role's session calls it on that project
    decision = decide("rekognition:CreateProjectVersion", [PROJECT], identity=identity)
    # THEN it is allowed, by that statement
    assert decision.allowed and decision.reason is Reason.ALLOWED_BY_IDENTITY_POLICY
    assert decision.statement is not None and decision.statement.actions == (
        "rekognition:CreateProjectVersion",
    )


def test_no_allow_is_an_implicit_deny_in_awss_words() -> None:
    # GIVEN a role allowed only to describe
    identity = [policy(allow("rekognition:Describe*", PROJECT))]
    # WHEN its session tries to train a version
    decision = decide("rekognition:CreateProjectVersion", [PROJECT], identity=identity)
    # THEN it is denied implicitly, and AWS's sentence says so
    assert (
        not decision.allowed
        and decision.reason is Reason.NO_IDENTITY_POLICY_ALLOWS
        and decision.statement is None
    )
    assert decision.message() == (
        "User: arn:aws:sts::123456789012:assumed-role/MyRole/session is not authorized to perform: "
        "rekognition:CreateProjectVersion on resource: "
        "arn:aws:rekognition:us-east-1:123456789012:project/p/1 "
        "because no identity-based policy allows the rekognition:CreateProjectVersion action"
    )


def test_an_explicit_deny_in_an_identity_policy_beats_every_allow() -> None:
    # GIVEN one attached policy allowing all of rekognition, another denying training, and the
    # resource's policy allowing the role too
    identity = [policy(allow("rekognition:*")), policy(deny("rekognition:CreateProjectVersion", PROJECT))]
    resource_policy = policy(allow("rekognition:*", PROJECT, Principal={"AWS": CALLER.role_arn}))
    # WHEN the session trains a version
    decision = decide(
        "rekognition:CreateProjectVersion", [PROJECT], identity=identity, resource_policy=resource_policy
    )
    # THEN the Deny wins
    assert decision.reason is Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY
    assert decision.message() == (
        f"User: {SESSION} is not authorized to perform: rekognition:CreateProjectVersion "
        f"on resource: {PROJECT} with an explicit deny in an identity-based policy"
    )
    # AND the describe calls the Deny does not cover stay allowed
    assert decide("rekognition:DescribeProjects", identity=identity).allowed


@pytest.mark.parametrize(("secure", "allowed"), [(False, False), (True, True)])
def test_cdks_enforce_ssl_statement_denies_plain_http(secure: bool, allowed: bool) -> None:
    # GIVEN a role allowed to read the bucket, and CDK's enforceSSL statement in the bucket policy
    identity = [policy(allow("s3:GetObject", f"{BUCKET}/*"))]
    # WHEN the session reads an object over plain HTTP (or over TLS)
    decision = decide(
        "s3:GetObject",
        [OBJECT],
        identity=identity,
        resource_policy=policy(ENFORCE_SSL),
        context={"aws:SecureTransport": secure},
    )
    # THEN plain HTTP is denied explicitly by the bucket policy, TLS is allowed by the role's
    assert decision.allowed is allowed
    if not allowed:
        assert decision.reason is Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY
        assert decision.message(quote_resource=True) == (
            f'User: {SESSION} is not authorized to perform: s3:GetObject on resource: "{OBJECT}" '
            "with an explicit deny in a resource-based policy"
        )


@pytest.mark.parametrize(
    "principal",
    ["*", {"AWS": "*"}, {"AWS": CALLER.role_arn}, {"AWS": SESSION}, {"AWS": [CALLER.role_arn, ROOT]}],
    ids=["star", "aws-star", "role", "session", "role-and-account"],
)
def test_a_resource_policy_naming_the_caller_allows_without_any_identity_policy(principal: object) -> None:
    # GIVEN a bucket policy allowing reads to the caller (by one of the names that are it)
    resource_policy = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal=principal))
    # WHEN the session reads, with no identity-based policy at all
    decision = decide("s3:GetObject", [OBJECT], resource_policy=resource_policy)
    # THEN the resource's policy alone allows it
    assert decision.allowed and decision.reason is Reason.ALLOWED_BY_RESOURCE_POLICY


@pytest.mark.parametrize("account", [ACCOUNT, ROOT])
def test_a_resource_policy_naming_only_the_account_delegates_to_identity_policies(account: str) -> None:
    # GIVEN a bucket policy allowing reads to the account as a whole
    resource_policy = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": account}))
    # WHEN the session reads without an identity-based Allow
    denied = decide("s3:GetObject", [OBJECT], resource_policy=resource_policy)
    # THEN it is denied: the account's policies decide, and none allows
    assert denied.reason is Reason.NO_IDENTITY_POLICY_ALLOWS
    # AND with one it is allowed
    allowed = decide(
        "s3:GetObject", [OBJECT], resource_policy=resource_policy, identity=[policy(allow("s3:*"))]
    )
    assert allowed.reason is Reason.ALLOWED_BY_IDENTITY_POLICY


@pytest.mark.parametrize("principal", [{"AWS": ROOT}, {"AWS": ACCOUNT}, "*", {"AWS": CALLER.role_arn}])
def test_a_resource_policy_deny_for_the_account_or_everyone_covers_the_caller(principal: object) -> None:
    # GIVEN a bucket policy denying deletes to the account (or everyone, or the role)
    resource_policy = policy(deny("s3:DeleteObject", f"{BUCKET}/*", Principal=principal))
    # WHEN the session, allowed everything by its role, deletes
    decision = decide(
        "s3:DeleteObject", [OBJECT], resource_policy=resource_policy, identity=[policy(allow("*"))]
    )
    # THEN the bucket policy denies it
    assert decision.reason is Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY


def test_a_service_principal_in_a_resource_policy_is_not_the_role() -> None:
    # GIVEN the function policy CDK writes for an EventBridge rule target
    resource_policy = policy(
        allow(
            "lambda:InvokeFunction",
            FUNCTION,
            Principal={"Service": "events.amazonaws.com"},
            Condition={"ArnLike": {"AWS:SourceArn": RULE}},
        )
    )
    # WHEN a role session (not EventBridge) invokes the function, even from the rule's ARN
    decision = decide(
        "lambda:InvokeFunction", [FUNCTION], resource_policy=resource_policy, context={"aws:SourceArn": RULE}
    )
    # THEN nothing allows it
    assert decision.reason is Reason.NO_IDENTITY_POLICY_ALLOWS


@pytest.mark.parametrize(
    ("source", "allowed"), [(RULE, True), (f"arn:aws:events:us-east-1:{ACCOUNT}:rule/other", False)]
)
def test_arn_like_on_the_source_arn(source: str, allowed: bool) -> None:
    # GIVEN a function policy allowing anyone in the account's nightly rules to invoke
    resource_policy = policy(
        allow(
            "lambda:InvokeFunction",
            FUNCTION,
            Principal="*",
            Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{ACCOUNT}:rule/nightly*"}},
        )
    )
    # WHEN the session invokes it on behalf of a rule
    decision = decide(
        "lambda:InvokeFunction",
        [FUNCTION],
        resource_policy=resource_policy,
        context={"aws:SourceArn": source},
    )
    # THEN only the matching rule's request is allowed
    assert decision.allowed is allowed


def test_a_kms_key_policy_that_does_not_delegate_denies_despite_an_identity_allow() -> None:
    # GIVEN a role allowed kms:Decrypt on the key, and a key policy that only lets an admin role in
    identity = [policy(allow("kms:Decrypt", KEY))]
    key_policy = policy(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"}))
    # WHEN the session decrypts
    decision = decide("kms:Decrypt", [KEY], identity=identity, resource_policy=key_policy, key_policy=True)
    # THEN the key policy denies it, in KMS's words
    assert decision.reason is Reason.NO_RESOURCE_POLICY_ALLOWS
    assert decision.message() == (
        f"User: {SESSION} is not authorized to perform: kms:Decrypt on resource: {KEY} "
        "because no resource-based policy allows the kms:Decrypt action"
    )
    assert not key_policy_delegates_to_iam(key_policy, ACCOUNT)


def test_a_kms_key_policy_that_delegates_lets_identity_policies_decide() -> None:
    # GIVEN the default key policy (the account root may use kms:*)
    key_policy = policy(DELEGATE_TO_IAM)
    assert key_policy_delegates_to_iam(key_policy, ACCOUNT)
    # WHEN the session decrypts with an identity Allow, and then without one
    allowed = decide(
        "kms:Decrypt",
        [KEY],
        identity=[policy(allow("kms:Decrypt", KEY))],
        resource_policy=key_policy,
        key_policy=True,
    )
    denied = decide("kms:Decrypt", [KEY], resource_policy=key_policy, key_policy=True)
    # THEN the identity policy decides
    assert allowed.reason is Reason.ALLOWED_BY_IDENTITY_POLICY
    assert denied.reason is Reason.NO_IDENTITY_POLICY_ALLOWS


def test_a_kms_key_policy_allowing_the_role_allows_without_identity_policies() -> None:
    # GIVEN a key policy letting the role decrypt directly, and no identity policy
    key_policy = policy(allow(["kms:Decrypt", "kms:DescribeKey"], "*", Principal={"AWS": CALLER.role_arn}))
    # WHEN the session decrypts THEN the key policy allows it
    decision = decide("kms:Decrypt", [KEY], resource_policy=key_policy, key_policy=True)
    assert decision.reason is Reason.ALLOWED_BY_RESOURCE_POLICY


def test_a_key_policy_delegating_some_actions_delegates_only_those() -> None:
    # GIVEN a key policy delegating only kms:Describe* to the account, and a role allowed all of KMS
    key_policy = policy(allow("kms:Describe*", "*", Principal={"AWS": ACCOUNT}))
    identity = [policy(allow("kms:*", KEY))]
    # WHEN the session describes and decrypts
    describe = decide(
        "kms:DescribeKey", [KEY], identity=identity, resource_policy=key_policy, key_policy=True
    )
    decrypt = decide("kms:Decrypt", [KEY], identity=identity, resource_policy=key_policy, key_policy=True)
    # THEN describing is allowed, decrypting is not
    assert describe.allowed and decrypt.reason is Reason.NO_RESOURCE_POLICY_ALLOWS
    assert not key_policy_delegates_to_iam(key_policy, ACCOUNT)


def test_a_kms_key_without_a_key_policy_given_allows_nothing() -> None:
    decision = decide("kms:Decrypt", [KEY], identity=[policy(allow("kms:*"))], key_policy=True)
    assert decision.reason is Reason.NO_RESOURCE_POLICY_ALLOWS


def test_a_deny_in_the_key_policy_beats_its_allow() -> None:
    key_policy = policy(DELEGATE_TO_IAM, deny("kms:ScheduleKeyDeletion", "*", Principal="*"))
    decision = decide(
        "kms:ScheduleKeyDeletion",
        [KEY],
        identity=[policy(allow("kms:*"))],
        resource_policy=key_policy,
        key_policy=True,
    )
    assert decision.reason is Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY


@pytest.mark.parametrize(
    ("via", "allowed"),
    [("s3.us-east-1.amazonaws.com", True), ("sqs.us-east-1.amazonaws.com", False), (None, False)],
)
def test_kms_via_service_restricts_a_grant_to_one_service(via: str | None, allowed: bool) -> None:
    # GIVEN a role allowed to decrypt only through S3, under the default key policy
    identity = [
        policy(
            allow(
                "kms:Decrypt",
                KEY,
                Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            )
        )
    ]
    # WHEN the session decrypts through S3, through SQS, or directly
    context = {"kms:ViaService": via} if via else {}
    decision = decide(
        "kms:Decrypt",
        [KEY],
        identity=identity,
        resource_policy=policy(DELEGATE_TO_IAM),
        key_policy=True,
        context=context,
    )
    # THEN only the request through S3 is allowed
    assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("via", "allowed"),
    [(None, True), ("s3.us-east-1.amazonaws.com", True), ("sqs.us-east-1.amazonaws.com", False)],
)
def test_if_exists_lets_a_request_without_the_key_through(via: str | None, allowed: bool) -> None:
    # GIVEN an Allow that, if the request goes through a service, wants it to be S3
    identity = [
        policy(
            allow(
                "kms:Decrypt",
                KEY,
                Condition={"StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            )
        )
    ]
    context = {"kms:ViaService": via} if via else {}
    decision = decide(
        "kms:Decrypt",
        [KEY],
        identity=identity,
        resource_policy=policy(DELEGATE_TO_IAM),
        key_policy=True,
        context=context,
    )
    assert decision.allowed is allowed


def test_not_action_denies_everything_it_does_not_list() -> None:
    # GIVEN a role allowed everything, and denied every action but rekognition's (NotAction)
    identity = [policy(allow("*"), {"Effect": "Deny", "NotAction": "rekognition:*", "Resource": "*"})]
    # WHEN the session uses rekognition and then S3
    # THEN rekognition is allowed and S3 is denied explicitly
    assert decide("rekognition:DescribeProjects", identity=identity).allowed
    assert (
        decide("s3:GetObject", [OBJECT], identity=identity).reason is Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY
    )


def test_not_resource_allows_everything_but_the_resources_it_lists() -> None:
    # GIVEN a role allowed to read any object except the secret bucket's
    identity = [policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"})]
    # THEN reads elsewhere are allowed and the secret bucket's are not
    assert decide("s3:GetObject", [OBJECT], identity=identity).allowed
    assert (
        decide("s3:GetObject", ["arn:aws:s3:::secret/k"], identity=identity).reason
        is Reason.NO_IDENTITY_POLICY_ALLOWS
    )


def test_actions_in_policies_match_case_insensitively() -> None:
    identity = [policy(allow("REKOGNITION:createprojectversion", PROJECT))]
    assert decide("rekognition:CreateProjectVersion", [PROJECT], identity=identity).allowed


def test_an_unknown_condition_operator_never_allows() -> None:
    # GIVEN an Allow whose condition uses an operator IAM does not have
    identity = [policy(allow("s3:GetObject", "*", Condition={"StringEqualz": {"s3:prefix": "a"}}))]
    # WHEN the session reads, with a context its look-alike would accept
    decision = decide("s3:GetObject", [OBJECT], identity=identity, context={"s3:prefix": "a"})
    # THEN the Allow does not apply: implicit deny
    assert decision.reason is Reason.NO_IDENTITY_POLICY_ALLOWS


def test_an_unknown_condition_operator_in_a_deny_denies() -> None:
    # GIVEN an Allow, and a Deny whose condition this evaluator cannot evaluate
    identity = [
        policy(allow("s3:*"), deny("s3:GetObject", "*", Condition={"StringEqualz": {"s3:prefix": "a"}}))
    ]
    # WHEN the session reads
    decision = decide("s3:GetObject", [OBJECT], identity=identity, context={"s3:prefix": "b"})
    # THEN the Deny applies (failing closed), and the decision says it could not be decided
    assert decision.reason is Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY and decision.undecidable


def test_a_deny_whose_condition_fails_does_not_apply() -> None:
    identity = [
        policy(allow("s3:*"), deny("s3:GetObject", "*", Condition={"StringEquals": {"s3:prefix": "a"}}))
    ]
    assert decide("s3:GetObject", [OBJECT], identity=identity, context={"s3:prefix": "b"}).allowed


def test_a_policy_variable_in_an_allowed_resource_allows_nothing() -> None:
    # GIVEN an Allow on the caller's own home folder (${aws:username} is not substituted here)
    identity = [policy(allow("s3:GetObject", f"{BUCKET}/home/${{aws:username}}/*"))]
    # THEN no read is allowed through it
    assert not decide("s3:GetObject", [f"{BUCKET}/home/MyRole/x"], identity=identity).allowed


def test_the_callers_own_keys_are_in_the_context() -> None:
    # GIVEN a bucket policy denying everyone but the role, through aws:PrincipalArn
    resource_policy = policy(
        deny("s3:*", "*", Principal="*", Condition={"ArnNotEquals": {"aws:PrincipalArn": CALLER.role_arn}})
    )
    identity = [policy(allow("s3:*"))]
    # THEN the role itself is let through (aws:PrincipalArn is the role's ARN, not the session's)
    assert decide("s3:GetObject", [OBJECT], identity=identity, resource_policy=resource_policy).allowed
    # AND a context that says otherwise is the one used
    other = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Other"}
    assert not decide(
        "s3:GetObject", [OBJECT], identity=identity, resource_policy=resource_policy, context=other
    ).allowed
    condition = {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:PrincipalType": "AssumedRole"}}
    assert decide(
        "s3:GetObject", [OBJECT], identity=[policy(allow("s3:*", "*", Condition=condition))]
    ).allowed


def test_every_resource_must_be_allowed_and_a_denial_names_its_resource() -> None:
    # GIVEN a role allowed to read one bucket and explicitly denied another
    other = "arn:aws:s3:::other/key"
    secret = "arn:aws:s3:::secret/key"
    identity = [policy(allow("s3:GetObject", f"{BUCKET}/*"), deny("s3:GetObject", "arn:aws:s3:::secret/*"))]
    # WHEN one request names several objects
    assert decide("s3:GetObject", [OBJECT, f"{BUCKET}/b"], identity=identity).allowed
    implicit = decide("s3:GetObject", [OBJECT, other], identity=identity)
    explicit = decide("s3:GetObject", [OBJECT, other, secret], identity=identity)
    # THEN it is denied on the first resource not allowed, and an explicit deny comes first
    assert (implicit.reason, implicit.resource) == (Reason.NO_IDENTITY_POLICY_ALLOWS, other)
    assert (explicit.reason, explicit.resource) == (Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY, secret)


def test_an_action_on_no_resource_is_authorized_on_star() -> None:
    # GIVEN a role allowed DescribeProjects on one project's ARN only (it is not resource-scoped)
    identity = [policy(allow("rekognition:DescribeProjects", PROJECT))]
    # WHEN the session lists projects THEN only Resource "*" would have allowed it
    decision = decide("rekognition:DescribeProjects", identity=identity)
    assert decision.resource == "*"
    assert decision.message().endswith(
        "on resource: * because no identity-based policy allows the rekognition:DescribeProjects action"
    )
    assert decide(
        "rekognition:DescribeProjects", [], identity=[policy(allow("rekognition:DescribeProjects"))]
    ).allowed


def test_an_aws_managed_policy_attached_to_the_role_allows_what_it_grants() -> None:
    # GIVEN a function role with AWSLambdaBasicExecutionRole attached, as CDK attaches it
    managed = aws_managed_policy("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert managed is not None
    stream = (
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/consumer:log-stream:2026/01/01/[$LATEST]abc"
    )
    # WHEN the function writes its logs, and then reads an object
    # THEN logging is allowed and reading is not
    assert decide("logs:PutLogEvents", [stream], identity=[managed]).allowed
    assert not decide("s3:GetObject", [OBJECT], identity=[managed]).allowed


@pytest.mark.parametrize(
    ("identity", "resource_policy", "complaint"),
    [
        ([policy(allow("s3:*", "*", Principal="*"))], None, "cannot name a Principal"),
        ([policy({"Effect": "Allow", "Action": "s3:*"})], None, "needs Resource"),
        ([], policy(allow("s3:*")), "needs Principal"),
    ],
)
def test_a_policy_iam_would_refuse_is_an_error_not_a_decision(
    identity: list[PolicyLike], resource_policy: PolicyLike | None, complaint: str
) -> None:
    with pytest.raises(PolicyError, match=complaint):
        decide("s3:GetObject", [OBJECT], identity=identity, resource_policy=resource_policy)


def test_an_allowed_decision_has_no_message() -> None:
    decision = decide("s3:GetObject", [OBJECT], identity=[policy(allow("s3:*"))])
    with pytest.raises(ValueError):
        decision.message()
