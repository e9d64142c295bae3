"""The fixtures the package ships for other projects' tests."""

from __future__ import annotations

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud


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
