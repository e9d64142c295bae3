"""One clock for the whole local cloud: faster than real time while the cloud waits, never racing its work.

The emulator's phases, the handler's ``time.time()`` (through the Lambda runtime), CloudFormation's
ServiceTimeout and wait conditions, EventBridge's schedules and the saved state between commands all
read it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from localcloud.clock import ManualClock, ScaledClock, SystemClock, handler_time
from localcloud.deploy.custom_resources.runner import (
    CustomResourceFailed,
    CustomResourceRunner,
    ProviderFunction,
)
from localcloud.deploy.lambda_runtime import FunctionConfig, invoke
from localcloud.testing.clouds import preset, started_cloud
from localcloud.testing.data import OUTPUT_BUCKET, upload_shapes


def test_a_scaled_clock_runs_that_many_times_faster_while_nothing_works() -> None:
    # GIVEN a clock 1000 times faster than real time
    clock = ScaledClock(1000)
    before_local, before_real = clock.now(), time.monotonic()
    # WHEN 50 real milliseconds pass with nothing in flight
    time.sleep(0.05)
    # THEN about 50 local seconds passed
    local, real = clock.now() - before_local, time.monotonic() - before_real
    assert local == pytest.approx(real * 1000, rel=0.05)
    assert clock.scale == 1000 and SystemClock.scale == 1 and ManualClock.scale == 1


def test_while_work_is_in_flight_local_time_runs_at_real_time() -> None:
    # GIVEN a clock a million times faster than real time
    clock = ScaledClock(1_000_000)
    # WHEN 50 real milliseconds pass while a request is answered
    with clock.working():
        before_local, before_real = clock.now(), time.monotonic()
        time.sleep(0.05)
        local, real = clock.now() - before_local, time.monotonic() - before_real
    # THEN local time moved as much as real time did, not a million times more
    assert local == pytest.approx(real, rel=0.2)
    # AND once the work is done it runs fast again
    after = clock.now()
    time.sleep(0.01)
    assert clock.now() - after > 1000


def test_time_never_passes_a_moment_before_its_waiter_has_woken() -> None:
    # GIVEN a clock a million times faster, and a waiter for 50,000 local seconds from now (50 real ms)
    # that is slow to take its turn (its thread is busy for 0.3 real seconds, 300,000 local seconds)
    clock = ScaledClock(1_000_000)
    moment = clock.now() + 50_000
    busy = threading.Event()
    seen_while_busy: list[float] = []

    def slow() -> bool:
        if not busy.is_set():
            busy.set()
            time.sleep(0.3)
        return False

    woke: list[float] = []

    def wait() -> None:
        clock.sleep_until(moment, until=slow)
        woke.append(clock.now())

    waiter = threading.Thread(target=wait)
    waiter.start()
    busy.wait(5)
    # WHEN the rest of the cloud reads the time meanwhile
    while waiter.is_alive():
        seen_while_busy.append(clock.now())
        time.sleep(0.01)
    waiter.join()
    # THEN it stood at the moment until the waiter took its turn, and went on only afterwards
    assert max(seen_while_busy) <= moment
    assert woke[0] == pytest.approx(moment, abs=1000)
    assert clock.now() > moment


def test_a_working_thread_that_waits_does_not_hold_the_clock_back() -> None:
    # GIVEN a step of work (real time) that then waits for a moment an hour away, on a clock 36000x faster
    clock = ScaledClock(36_000)
    started = time.monotonic()
    with clock.working():
        reached = clock.sleep_until(clock.now() + 3600)
    # THEN the hour passed at the scale while it waited (a tenth of a real second), not at real time
    assert reached and time.monotonic() - started < 5


def test_a_waiter_returns_early_when_its_condition_holds() -> None:
    clock = ManualClock()
    flag = threading.Event()
    threading.Timer(0.05, flag.set).start()
    # WHEN nobody moves the manual clock but the condition comes true THEN the wait ends, unreached
    assert clock.sleep_until(clock.now() + 60, until=flag.is_set) is False
    # AND a moment already past is reached at once
    assert clock.sleep_until(clock.now() - 1) is True


def test_a_manual_clock_wakes_its_waiters_when_advanced() -> None:
    clock = ManualClock()
    reached: list[bool] = []
    waiter = threading.Thread(target=lambda: reached.append(clock.sleep_until(clock.now() + 300)))
    waiter.start()
    clock.advance(299)
    time.sleep(0.05)
    assert reached == []
    clock.advance(1)
    waiter.join(5)
    assert reached == [True]


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


def test_a_handler_starts_at_the_local_time_and_runs_at_real_time_as_the_cloud_does() -> None:
    clock = ManualClock(2_000_000_000.0)
    assert handler_time(clock) == (2_000_000_000.0, 1.0)
    assert handler_time(SystemClock()) is None


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
    with started_cloud(preset("hours").training_for(3).at(36000)) as cloud:
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
