"""One clock for the whole local cloud, ``scale`` times faster than real time.

The emulator's phases, the handler's ``time.time()`` (through the Lambda harness), CloudFormation's
ServiceTimeout in the deploy driver, and the saved state between commands all read it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from localcloud.clock import ManualClock, ScaledClock, SystemClock, scale_of
from localcloud.deploy.custom_resources.runner import (
    CustomResourceFailed,
    CustomResourceRunner,
    ProviderFunction,
)
from localcloud.deploy.lambda_runtime import FunctionConfig, invoke
from localcloud.gateway.server import LocalCloud
from localcloud.rekognition.service import Durations

from .conftest import OUTPUT_BUCKET, upload_shapes


def test_a_scaled_clock_runs_that_many_times_faster() -> None:
    # GIVEN a clock 1000 times faster than real time
    clock = ScaledClock(1000)
    before_local, before_real = clock.now(), time.time()
    # WHEN 50 real milliseconds pass
    time.sleep(0.05)
    # THEN about 50 local seconds passed
    local, real = clock.now() - before_local, time.time() - before_real
    assert local == pytest.approx(real * 1000, rel=0.05)
    assert scale_of(clock) == 1000 and scale_of(SystemClock()) == 1 and scale_of(ManualClock()) == 1


def test_local_time_goes_on_between_commands_at_the_scale() -> None:
    # GIVEN a command's clock, saved as an anchor when the command ended
    anchor = ScaledClock(100).anchor()
    # WHEN the next command starts some real time later (measured, not slept)
    time.sleep(0.05)
    before = time.time() - anchor["real"]
    later = ScaledClock.continuing(100, anchor)
    local = later.now() - anchor["local"]
    after = time.time() - anchor["real"]
    # THEN its local time continued from the anchor at the same scale (never back)
    assert before * 100 <= local <= after * 100
    assert (
        ScaledClock.continuing(100, {"local": anchor["local"], "real": time.time() + 99}).now()
        >= anchor["local"]
    )


def test_the_handler_reads_the_local_clock(tmp_path: Path) -> None:
    # GIVEN a handler that reports its time.time()
    (tmp_path / "index.py").write_text(
        "import time\n\ndef handler(event, context):\n    return time.time()\n"
    )
    config = FunctionConfig(code_dir=tmp_path, function_name="clock", timeout_seconds=10)
    # WHEN invoked with a local clock at 2000000000.0, 100 times faster than real time
    invocation = invoke(config, {}, clock=(2_000_000_000.0, 100.0))
    # THEN the handler saw local time (a fraction of a real second later, scaled)
    assert invocation.error is None, invocation.error
    assert 2_000_000_000.0 <= invocation.result < 2_000_000_000.0 + 100.0
    # AND without a clock it sees real time
    assert invoke(config, {}).result == pytest.approx(time.time(), abs=30)


def test_service_timeout_is_counted_on_the_local_clock(tmp_path: Path) -> None:
    # GIVEN a provider that never answers, and a local clock 3600 times faster than real time
    (tmp_path / "index.py").write_text("def handler(event, context):\n    return None\n")
    config = FunctionConfig(code_dir=tmp_path, function_name="silent", timeout_seconds=10)
    runner = CustomResourceRunner(
        responses=_NoResponses(),  # type: ignore[arg-type]
        events_client=_NoRules(),
        base_env={"PATH": "/usr/bin:/bin"},
        stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/S/1",
        clock=ScaledClock(3600),
    )
    started = time.monotonic()
    # WHEN CloudFormation sends a Create with a ServiceTimeout of one (local) hour
    with pytest.raises(CustomResourceFailed, match="within the ServiceTimeout of 3600 seconds"):
        runner.request(
            ProviderFunction(config, "arn:fn"), "Create", "R", "Custom::X", {"ServiceTimeout": 3600}
        )
    # THEN it gave up after about one real second
    assert time.monotonic() - started < 10


def test_the_emulator_trains_in_local_time() -> None:
    # GIVEN a local cloud whose clock runs 36000 times faster, and a three-hour training
    with LocalCloud(clock=ScaledClock(36000), durations=Durations(training=3 * 3600)) as cloud:
        dataset = upload_shapes(cloud.client("s3"), images_per_label=4)
        rekognition = cloud.client("rekognition")
        project = rekognition.create_project(ProjectName="scaled")["ProjectArn"]
        arn = rekognition.create_project_version(
            ProjectArn=project,
            VersionName="v1",
            OutputConfig={"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "out/"},
            TrainingData=dataset.training,
            TestingData=dataset.testing,
        )["ProjectVersionArn"]
        # WHEN 0.5 real seconds pass (five local hours)
        time.sleep(0.5)
        # THEN training has completed, and billed three (local) hours
        (version,) = rekognition.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"]
        assert version["ProjectVersionArn"] == arn and version["Status"] == "TRAINING_COMPLETED"
        assert version["BillableTrainingTimeInSeconds"] == 3 * 3600


class _NoResponses:
    def url_for(self, request_id: str) -> str:
        return f"https://127.0.0.1:9/{request_id}"

    def responses(self, request_id: str) -> list[object]:
        return []


class _NoRules:
    class exceptions:
        ResourceNotFoundException = KeyError

    def list_rules(self, **_: object) -> dict[str, object]:
        return {"Rules": []}
