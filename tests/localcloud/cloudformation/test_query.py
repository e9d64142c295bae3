"""The CloudFormation query codec: botocore's own serializer and parser are the reference, both ways."""

from __future__ import annotations

import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.model
import botocore.parsers
import botocore.serialize
import botocore.session
import pytest
from botocore.config import Config
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from localcloud.cloudformation.query import (
    XMLNS,
    QueryError,
    modelled_error,
    parse_request,
    serialize_error,
    serialize_response,
)

CLOUDFORMATION = botocore.session.get_session().get_service_model("cloudformation")
OPERATIONS = [
    "CreateChangeSet",
    "DescribeChangeSet",
    "ExecuteChangeSet",
    "DeleteChangeSet",
    "ListChangeSets",
    "DescribeStacks",
    "GetTemplate",
    "GetTemplateSummary",
    "DescribeStackEvents",
    "DescribeStackResources",
    "ListStackResources",
    "DeleteStack",
    "UpdateTerminationProtection",
    "ListStacks",
    "CreateStack",
    "UpdateStack",
    "ValidateTemplate",
]
CREATE_STACK = CLOUDFORMATION.operation_model("CreateStack")
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1"
CREATED = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)

# Every feature botocore's query serializer honours, none of which CloudFormation's model uses today.
SYNTHETIC = botocore.model.ServiceModel(
    {
        "metadata": {"apiVersion": "2010-05-15", "protocol": "query", "xmlNamespace": XMLNS},
        "operations": {
            "Echo": {
                "name": "Echo",
                "http": {"method": "POST", "requestUri": "/"},
                "input": {"shape": "Everything"},
                "output": {"shape": "Everything", "resultWrapper": "EchoResult"},
            }
        },
        "shapes": {
            "Everything": {
                "type": "structure",
                "required": ["Renamed"],
                "members": {
                    "Renamed": {"shape": "Text", "locationName": "OtherName"},
                    "Flat": {"shape": "FlatList"},
                    "FlatNamed": {"shape": "FlatNamedList"},
                    "Named": {"shape": "NamedList"},
                    "FlatMap": {"shape": "FlatMap"},
                    "NamedMap": {"shape": "NamedMap"},
                    "When": {"shape": "Moment"},
                    "Data": {"shape": "Bytes"},
                    "Ratio": {"shape": "Ratio"},
                    "Big": {"shape": "Big"},
                },
            },
            "Text": {"type": "string"},
            "Moment": {"type": "timestamp"},
            "Bytes": {"type": "blob"},
            "Ratio": {"type": "double"},
            "Big": {"type": "long"},
            "FlatList": {"type": "list", "member": {"shape": "Text"}, "flattened": True},
            "FlatNamedList": {
                "type": "list",
                "member": {"shape": "Text", "locationName": "Item"},
                "flattened": True,
            },
            "NamedList": {"type": "list", "member": {"shape": "Text", "locationName": "Item"}},
            "FlatMap": {
                "type": "map",
                "key": {"shape": "Text"},
                "value": {"shape": "Text"},
                "flattened": True,
            },
            "NamedMap": {
                "type": "map",
                "key": {"shape": "Text", "locationName": "Name"},
                "value": {"shape": "Text", "locationName": "Setting"},
            },
        },
    },
    service_name="synthetic",
)
ALL_OPERATIONS = [*map(CLOUDFORMATION.operation_model, OPERATIONS), SYNTHETIC.operation_model("Echo")]


class Sample:
    """Every member of a shape filled, lists and maps of two, each value distinct and recognisable."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, shape: botocore.model.Shape) -> Any:
        self.count += 1
        n = self.count
        match shape.type_name:
            case "structure":
                return {name: self(member) for name, member in shape.members.items()}
            case "list":
                return [self(shape.member), self(shape.member)]
            case "map":
                return {self(shape.key): self(shape.value) for _ in range(2)}
            case "boolean":
                return n % 2 == 0
            case "integer":
                return n
            case "long":
                return 2**40 + n
            case "float" | "double":
                return n + 0.5
            case "timestamp":
                return datetime(2024, 1, 2, 3, 4, 5, n % 1000 * 1000, tzinfo=UTC)
            case "blob":
                return f"blob-{n}".encode()
            case _:
                # Markup, quotes, CRLF and non-ASCII: each must survive the form and the XML.
                return shape.enum[0] if shape.enum else f"{shape.name}-{n} <&> \"' \r\n é"


def form_of(params: Mapping[str, Any], operation: botocore.model.OperationModel) -> dict[str, str]:
    """The request body botocore sends for params, decoded as a server reads it (blank values kept)."""
    body = botocore.serialize.create_serializer("query").serialize_to_request(params, operation)["body"]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlencode(body), keep_blank_values=True))


def parsed_by_botocore(body: bytes, shape: botocore.model.Shape | None, status: int = 200) -> Any:
    response = {"body": body, "headers": {}, "status_code": status}
    return botocore.parsers.create_parser("query").parse(response, shape)


def validation_error(*members: str) -> str:
    return "; ".join(
        f"Value null at '{member}' failed to satisfy constraint: Member must not be null"
        for member in members
    )


@pytest.mark.parametrize("operation", ALL_OPERATIONS, ids=lambda operation: operation.name)
def test_requests_parse_back_to_what_botocore_serialized(operation: botocore.model.OperationModel) -> None:
    # GIVEN every input member filled, as botocore puts it on the wire
    params = Sample()(operation.input_shape)
    form = form_of(params, operation)

    # WHEN the form is parsed
    parsed = parse_request(form, operation)

    # THEN it is the input botocore was given
    assert parsed == params


def test_lists_and_maps_use_their_wire_names() -> None:
    # GIVEN CloudFormation's list members, and the synthetic model's renamed and flattened ones
    stack = form_of(Sample()(CREATE_STACK.input_shape), CREATE_STACK)
    echo = form_of(Sample()(SYNTHETIC.operation_model("Echo").input_shape), SYNTHETIC.operation_model("Echo"))

    # THEN the keys are the ones the query protocol names
    assert {"Parameters.member.2.ParameterValue", "Capabilities.member.1", "Tags.member.2.Key"} <= set(stack)
    assert {
        "OtherName",
        "Flat.2",
        "Item.2",
        "Named.Item.2",
        "FlatMap.2.value",
        "NamedMap.entry.2.Setting",
    } <= (set(echo))


def test_an_empty_list_is_sent_and_parsed_as_a_bare_key() -> None:
    # GIVEN an explicitly empty list
    params = {"StackName": "demo", "Capabilities": [], "Tags": []}
    form = form_of(params, CREATE_STACK)
    assert form["Capabilities"] == ""

    # WHEN parsed THEN it stays an empty list, and absent members stay absent
    assert parse_request(form, CREATE_STACK) == params


def test_unknown_keys_are_ignored() -> None:
    # GIVEN the protocol's own keys and one the model lacks
    form = {"Action": "DeleteStack", "Version": "2010-05-15", "StackName": "demo", "Bogus.member.1": "x"}

    # WHEN parsed THEN only the modelled member is read
    assert parse_request(form, CLOUDFORMATION.operation_model("DeleteStack")) == {"StackName": "demo"}


@pytest.mark.parametrize(
    ("operation", "form", "message"),
    [
        ("CreateStack", {}, f"1 validation error detected: {validation_error('stackName')}"),
        (
            "CreateChangeSet",
            {"Capabilities.member.1": "CAPABILITY_IAM"},
            f"2 validation errors detected: {validation_error('stackName', 'changeSetName')}",
        ),
        (
            "CreateStack",
            {"StackName": "demo", "Tags.member.1.Key": "team"},
            f"1 validation error detected: {validation_error('tags.1.member.value')}",
        ),
        (
            "UpdateTerminationProtection",
            {"StackName": "demo", "EnableTerminationProtection": "yes"},
            "1 validation error detected: Value 'yes' at 'enableTerminationProtection' failed to satisfy "
            "constraint: Member must be a valid boolean",
        ),
    ],
)
def test_missing_required_members_and_malformed_values_are_one_validation_error(
    operation: str, form: dict[str, str], message: str
) -> None:
    # WHEN a request lacks required members or carries a value of the wrong type
    with pytest.raises(QueryError) as raised:
        parse_request(form, CLOUDFORMATION.operation_model(operation))

    # THEN it is rejected as AWS rejects it
    assert (raised.value.code, raised.value.message, raised.value.status) == ("ValidationError", message, 400)


@pytest.mark.parametrize("operation", ALL_OPERATIONS, ids=lambda operation: operation.name)
def test_responses_parse_to_the_result_with_botocore(operation: botocore.model.OperationModel) -> None:
    # GIVEN every output member filled
    result = Sample()(operation.output_shape) if operation.output_shape else {}

    # WHEN serialized and read by botocore's query parser
    parsed = parsed_by_botocore(serialize_response(operation, result, "req-1"), operation.output_shape)

    # THEN botocore reads back the result, and the request id
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    assert parsed == result


def test_response_document_spot_checks() -> None:
    # GIVEN a stack whose creation time is epoch seconds, and an operation without output
    result = {"Stacks": [{"StackName": "a&b", "CreationTime": CREATED.timestamp(), "StackStatus": "X"}]}

    # WHEN serialized
    body = serialize_response(CLOUDFORMATION.operation_model("DescribeStacks"), result, "req-1")
    empty = serialize_response(CLOUDFORMATION.operation_model("DeleteStack"), {}, "req-2")

    # THEN it is AWS's document: members in model order, lists of <member>, ISO 8601 milliseconds
    assert (
        body
        == (
            f'<DescribeStacksResponse xmlns="{XMLNS}"><DescribeStacksResult><Stacks><member>'
            "<StackName>a&amp;b</StackName><CreationTime>2024-01-02T03:04:05.678Z</CreationTime>"
            "<StackStatus>X</StackStatus></member></Stacks></DescribeStacksResult>"
            "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DescribeStacksResponse>"
        ).encode()
    )
    assert (
        empty
        == (
            f'<DeleteStackResponse xmlns="{XMLNS}">'
            "<ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteStackResponse>"
        ).encode()
    )
    assert CLOUDFORMATION.metadata["xmlNamespace"] == XMLNS


def test_a_member_the_output_shape_lacks_is_a_bug_not_a_silent_drop() -> None:
    with pytest.raises(KeyError, match="Stack has no members"):
        serialize_response(
            CLOUDFORMATION.operation_model("DescribeStacks"), {"Stacks": [{"Name": "x"}]}, "req-1"
        )


def test_errors_parse_with_botocore() -> None:
    # GIVEN an error with markup in its message
    body = serialize_error("ValidationError", "Stack with id <a&b> does not exist", "req-3")

    # WHEN read by botocore's query parser
    parsed = parsed_by_botocore(body, None, status=400)

    # THEN the code, message and request id come through
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "Stack with id <a&b> does not exist",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "req-3"
    assert b"<Type>Receiver</Type>" in serialize_error("InternalFailure", "m", "r", sender=False)


@pytest.mark.parametrize(
    "name",
    sorted({shape.name for op in OPERATIONS for shape in CLOUDFORMATION.operation_model(op).error_shapes}),
)
def test_modelled_errors_carry_the_code_boto3_maps_to_their_exception(name: str) -> None:
    # WHEN a modelled error is made by its shape name
    error = modelled_error(CLOUDFORMATION, name, "m")

    # THEN its wire code is the one the client maps back to the exception of that name
    exceptions = boto3.client("cloudformation", region_name="us-east-1").exceptions
    assert exceptions.from_code(error.code) is getattr(exceptions, name)
    assert error.status == CLOUDFORMATION.shape_for(name).metadata["error"]["httpStatusCode"]


def test_change_set_not_found_goes_out_as_the_model_says_not_by_its_shape_name() -> None:
    # WHEN the error is made
    error = modelled_error(CLOUDFORMATION, "ChangeSetNotFoundException", "m")

    # THEN the wire code is the model's, and the shape name would reach boto3 as an unmodelled error
    assert (error.code, error.status, error.sender) == ("ChangeSetNotFound", 404, True)
    exceptions = boto3.client("cloudformation", region_name="us-east-1").exceptions
    assert exceptions.from_code("ChangeSetNotFoundException") is not exceptions.ChangeSetNotFoundException
    with pytest.raises(KeyError):
        modelled_error(CLOUDFORMATION, "Stack", "m")


# -- a real boto3 client over HTTP ---------------------------------------------------------------------


def _describe_stacks(params: dict[str, Any]) -> dict[str, Any]:
    outputs = [{"OutputKey": "Url", "OutputValue": "https://x/?a=1&b=2", "Description": "<site>"}]
    return {
        "Stacks": [
            {
                "StackId": STACK_ID,
                "StackName": params["StackName"],
                "CreationTime": CREATED,
                "StackStatus": "CREATE_COMPLETE",
                "Outputs": outputs,
                "Tags": [],
                "EnableTerminationProtection": False,
            }
        ]
    }


def _describe_change_set(params: dict[str, Any]) -> dict[str, Any]:
    raise modelled_error(
        CLOUDFORMATION, "ChangeSetNotFoundException", f"ChangeSet [{params['ChangeSetName']}] does not exist"
    )


HANDLERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "DescribeStacks": _describe_stacks,
    "DescribeChangeSet": _describe_change_set,
}


@Request.application  # type: ignore[untyped-decorator, unused-ignore]
def _app(request: Request) -> Response:
    """The codec as a server uses it: parse, answer or raise, serialize."""
    request_id = str(uuid.uuid4())
    operation = CLOUDFORMATION.operation_model(request.form["Action"])
    try:
        result = HANDLERS[operation.name](parse_request(request.form, operation))
    except QueryError as error:
        body = serialize_error(error.code, error.message, request_id, sender=error.sender)
        return Response(body, status=error.status, content_type="text/xml")
    return Response(serialize_response(operation, result, request_id), content_type="text/xml")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    server = make_server("127.0.0.1", 0, _app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield boto3.client(
        "cloudformation",
        endpoint_url=f"http://127.0.0.1:{server.server_port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    server.shutdown()
    thread.join()


def test_boto3_reads_describe_stacks(client: Any) -> None:
    # WHEN boto3 describes a stack
    response = client.describe_stacks(StackName="demo")

    # THEN it reads our answer as the result we gave
    response.pop("ResponseMetadata")
    assert response == _describe_stacks({"StackName": "demo"})


def test_boto3_raises_the_modelled_change_set_not_found(client: Any) -> None:
    # WHEN boto3 describes a change set that does not exist
    with pytest.raises(client.exceptions.ChangeSetNotFoundException) as raised:
        client.describe_change_set(StackName="demo", ChangeSetName="cdk-deploy-change-set")

    # THEN it is the modelled exception, with the model's code, status and our message
    error = raised.value.response
    assert error["Error"]["Code"] == "ChangeSetNotFound"
    assert error["Error"]["Message"] == "ChangeSet [cdk-deploy-change-set] does not exist"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
