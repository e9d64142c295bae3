"""A denial in each service's protocol, parsed back by botocore as the service's own AccessDenied."""

from __future__ import annotations

import json

import botocore.parsers
import botocore.session
import pytest
from botocore.awsrequest import HeadersDict

from localcloud.iam.errors import UnsupportedProtocol, access_denied, denial, protocol_of
from localcloud.iam.evaluation import Decision, Reason

MESSAGE = (
    "User: arn:aws:sts::123456789012:assumed-role/MyRole/session is not authorized to perform: "
    "rekognition:CreateProjectVersion on resource: arn:aws:rekognition:us-east-1:123456789012:project/p/1 "
    "because no identity-based policy allows the rekognition:CreateProjectVersion action"
)


def parsed_error(
    service: str, operation: str, status: int, headers: dict[str, str], body: bytes
) -> dict[str, str]:
    """What botocore makes of the response, as a client of ``service`` calling ``operation``."""
    model = botocore.session.get_session().get_service_model(service)
    parser = botocore.parsers.create_parser(model.resolved_protocol)
    response = {"status_code": status, "headers": HeadersDict(headers), "body": body}
    parsed = parser.parse(response, model.operation_model(operation).output_shape)
    assert parsed["ResponseMetadata"]["RequestId"] == "request-1"
    error: dict[str, str] = parsed["Error"]
    return error


@pytest.mark.parametrize(
    ("service", "operation", "protocol", "status", "code"),
    [
        ("rekognition", "CreateProjectVersion", "json", 400, "AccessDeniedException"),
        ("kms", "Decrypt", "json", 400, "AccessDeniedException"),
        ("events", "PutEvents", "json", 400, "AccessDeniedException"),
        ("logs", "PutLogEvents", "json", 400, "AccessDeniedException"),
        ("lambda", "Invoke", "rest-json", 403, "AccessDeniedException"),
        ("iam", "GetRole", "query", 403, "AccessDenied"),
        ("sts", "GetCallerIdentity", "query", 403, "AccessDenied"),
        ("cloudformation", "DescribeStacks", "query", 403, "AccessDenied"),
        ("s3", "GetObject", "rest-xml", 403, "AccessDenied"),
    ],
)
def test_botocore_parses_each_protocols_denial_as_access_denied(
    service: str, operation: str, protocol: str, status: int, code: str
) -> None:
    # GIVEN a denial's message, with characters XML must escape
    message = f"{MESSAGE} <&> \"'"
    # WHEN it is rendered for the service
    response = access_denied(service, message, request_id="request-1")
    # THEN it is in the service's protocol and status, and botocore reads the code and the message back
    assert protocol_of(service) == protocol and response.status == status
    error = parsed_error(service, operation, *response)
    assert error["Code"] == code and error["Message"] == message


def test_json_protocols_carry_the_type_and_message_in_the_body() -> None:
    response = access_denied("kms", MESSAGE, request_id="request-1")
    assert json.loads(response.body) == {"__type": "AccessDeniedException", "Message": MESSAGE}
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"


def test_lambda_names_the_error_in_its_header() -> None:
    response = access_denied("lambda", MESSAGE, request_id="request-1")
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert json.loads(response.body) == {"Type": "User", "Message": MESSAGE}


def test_query_protocols_answer_an_error_response_in_the_services_namespace() -> None:
    response = access_denied("iam", "no", request_id="request-1")
    assert response.body.decode() == (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error>"
        "<RequestId>request-1</RequestId></ErrorResponse>"
    )


def test_s3_answers_an_error_document_with_request_and_host_ids() -> None:
    response = access_denied("s3", "no", request_id="request-1")
    body = response.body.decode()
    assert body.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>no</Message>'
    )
    assert response.headers["x-amz-request-id"] == "request-1"
    assert f"<HostId>{response.headers['x-amz-id-2']}</HostId>" in body


def test_a_request_id_is_made_when_none_is_given() -> None:
    first, second = access_denied("kms", "no"), access_denied("kms", "no")
    assert first.headers["x-amzn-RequestId"] != second.headers["x-amzn-RequestId"]


def test_a_denial_renders_awss_sentence_quoting_the_arn_for_s3_only() -> None:
    # GIVEN a decision denying a read of an object
    obj = "arn:aws:s3:::bucket/key"
    decision = Decision(
        Reason.NO_IDENTITY_POLICY_ALLOWS,
        "arn:aws:sts::123456789012:assumed-role/MyRole/session",
        "s3:GetObject",
        obj,
    )
    # WHEN it is answered by S3, and (for the comparison) by KMS
    s3 = parsed_error("s3", "GetObject", *denial(decision, "s3", request_id="request-1"))
    kms = parsed_error("kms", "Decrypt", *denial(decision, "kms", request_id="request-1"))
    # THEN S3 quotes the ARN, as S3 does, and the others do not
    assert (
        s3["Message"] == decision.message(quote_resource=True)
        and f'resource: "{obj}" because' in s3["Message"]
    )
    assert kms["Message"] == decision.message() and f"resource: {obj} because" in kms["Message"]


def test_a_protocol_without_a_rendering_is_refused() -> None:
    # GIVEN EC2 (its denials are UnauthorizedOperation with an encoded message) THEN no rendering
    with pytest.raises(UnsupportedProtocol, match="ec2"):
        access_denied("ec2", MESSAGE)
