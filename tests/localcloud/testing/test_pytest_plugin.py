"""The fixtures the package ships for other projects' tests (the ``localcloud`` pytest plugin)."""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.parse
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock, ScaledClock
from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.gateway.server import LocalCloud
from localcloud.rekognition.service import Quotas
from localcloud.testing.clients import error_code
from localcloud.testing.clouds import PRESETS, preset


def test_plugin_fixture_serves_custom_labels_and_moto_on_a_manual_clock(
    local_cloud: LocalCloud, local_cloud_clock: ManualClock
) -> None:
    # GIVEN the plugin's fixtures, WHEN a project and a bucket are created through the one endpoint
    rekognition, s3 = local_cloud.client("rekognition"), local_cloud.client("s3")
    arn = rekognition.create_project(ProjectName="plugin")["ProjectArn"]
    s3.create_bucket(Bucket="plugin-bucket")
    # THEN both exist, the endpoint is on loopback, and the clock moves only when told to
    assert local_cloud.endpoint_url.startswith("http://127.0.0.1:")
    assert [p["ProjectArn"] for p in rekognition.describe_projects()["ProjectDescriptions"]] == [arn]
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["plugin-bucket"]
    before = local_cloud_clock.now()
    local_cloud_clock.advance(5)
    assert local_cloud.service.clock.now() == before + 5


def test_in_another_project_the_cloud_has_the_emulators_own_durations_on_a_manual_clock(
    pytester: pytest.Pytester,
) -> None:
    # GIVEN a project of its own whose test only asks for the plugin's fixtures (no conftest of ours)
    pytester.makepyfile(
        """
        from localcloud.clock import ManualClock
        from localcloud.rekognition.service import Durations

        def test_defaults(local_cloud, local_cloud_clock):
            assert isinstance(local_cloud_clock, ManualClock)
            assert local_cloud.service.clock is local_cloud_clock
            assert local_cloud.service.durations == Durations()
        """
    )
    # WHEN pytest runs it THEN the plugin, loaded by its entry point, gives what it always gave
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize("local_cloud_preset", ["proportional", "deploy"])
def test_a_preset_chosen_by_name_sets_the_durations_and_the_clock(
    local_cloud: LocalCloud, local_cloud_preset: str
) -> None:
    # GIVEN a test (or a conftest.py) that overrides local_cloud_preset
    chosen = preset(local_cloud_preset)
    # THEN the cloud follows it: its phases' durations, and a hand-moved or a scaled clock
    assert local_cloud.service.durations == chosen.durations
    clock = local_cloud.service.clock
    if chosen.scale is None:
        assert isinstance(clock, ManualClock)
    else:
        assert isinstance(clock, ScaledClock) and clock.scale == chosen.scale


def test_every_preset_names_its_clock_and_an_unknown_one_is_refused() -> None:
    assert {name: type(p.clock()).__name__ for name, p in PRESETS.items()} == {
        "default": "ManualClock",
        "proportional": "ManualClock",
        "polls": "ManualClock",
        "minutes": "ManualClock",
        "deploy": "ScaledClock",
        "hours": "ScaledClock",
        "realistic": "ScaledClock",
    }
    assert preset("hours").training_for(13).durations.training == 13 * 3600
    with pytest.raises(ValueError, match="no preset 'fast': one of default, deploy"):
        preset("fast")


def test_the_factory_starts_a_cloud_from_a_preset_with_options(
    local_cloud_factory: Callable[..., LocalCloud],
) -> None:
    # GIVEN a cloud from the factory, with a preset and a quota of its own
    cloud = local_cloud_factory("minutes", quotas=Quotas(projects=1))
    rekognition = cloud.client("rekognition")
    # WHEN a second project is created
    rekognition.create_project(ProjectName="one")
    with pytest.raises(ClientError) as refused:
        rekognition.create_project(ProjectName="two")
    # THEN the quota holds, and the phases are the preset's
    assert error_code(refused) == "LimitExceededException"
    assert cloud.service.durations == preset("minutes").durations


def test_the_response_server_takes_a_handlers_answer_over_https(
    local_cloud_responses: ResponseServer, local_cloud_certificate: CertificatePair
) -> None:
    # GIVEN a ResponseURL for a request, and a client trusting the plugin's certificate
    url = urllib.parse.urlsplit(local_cloud_responses.url_for("request-1"))
    context = ssl.create_default_context(cafile=str(local_cloud_certificate.cert_file))
    connection = http.client.HTTPSConnection(url.hostname or "", url.port, context=context)
    # WHEN the handler answers there as CloudFormation expects (a PUT of JSON, no content type)
    body = json.dumps({"Status": "SUCCESS", "PhysicalResourceId": "p", "RequestId": "request-1"})
    connection.request("PUT", f"{url.path}?{url.query}", body=body, headers={"Content-Type": ""})
    status = connection.getresponse().status
    # THEN the answer is recorded for that request
    assert status == 200
    (received,) = local_cloud_responses.responses("request-1")
    assert received.body["Status"] == "SUCCESS" and not received.failed
