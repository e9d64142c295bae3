"""The ``rekognition-local`` command (``localcloud.cli.rekognition_local``), run as the installed console
script: its help, and a whole lifecycle served in real time until SIGTERM."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

import boto3
import pytest

from localcloud.cli import rekognition_local
from localcloud.samples.shapes import shapes_dataset

CLI = Path(sys.executable).parent / "rekognition-local"
CLI_DURATION = 0.2  # seconds each phase takes in the CLI test's server


def test_the_cli_help_names_its_options_with_their_defaults_and_units() -> None:
    # GIVEN the installed console script WHEN asked for help
    result = subprocess.run([str(CLI), "--help"], capture_output=True, text=True, timeout=60, check=False)
    # THEN it exits 0 and documents every option with its default, the durations in seconds
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for option, explained in (
        ("--host HOST", "address to listen on (default 127.0.0.1)"),
        ("--port PORT", "port to listen on; 0 picks a free one (default 4566)"),
        ("--training-seconds SECONDS", "seconds from CreateProjectVersion to TRAINING_COMPLETED (default 3)"),
        ("--starting-seconds SECONDS", "seconds from StartProjectVersion to RUNNING (default 2)"),
        ("--stopping-seconds SECONDS", "seconds from StopProjectVersion to STOPPED (default 1)"),
        (
            "--deleting-seconds SECONDS",
            "seconds a delete takes (a model version, a dataset or a project) (default 1)",
        ),
    ):
        assert f"{option} {explained}" in text, option


def test_the_help_states_the_defaults_the_server_uses() -> None:
    # GIVEN the command line without options
    args = rekognition_local.parse([])
    # THEN the server gets the defaults the help states
    assert (args.host, args.port) == ("127.0.0.1", 4566)
    phases = ("training", "starting", "stopping", "deleting")
    assert [getattr(args, f"{phase}_seconds") for phase in phases] == [3, 2, 1, 1]


def test_a_wrong_command_line_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN an option is unknown
    with pytest.raises(SystemExit) as exited:
        rekognition_local.parse(["--training-seconds", "5", "--verbose"])
    # THEN one line names it and where to look (status 2)
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "rekognition-local: unrecognized arguments: --verbose (see rekognition-local --help)\n"
    )


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _poll_status(rekognition: Any, project_arn: str, wanted: str, deadline: float) -> dict[str, Any]:
    """Describe every 0.1 s until the only version has the wanted status (the server runs in real time)."""
    while True:
        (version,) = rekognition.describe_project_versions(ProjectArn=project_arn)[
            "ProjectVersionDescriptions"
        ]
        if version["Status"] == wanted or time.monotonic() > deadline:
            return dict(version)
        time.sleep(0.1)


@pytest.mark.slow
def test_the_cli_serves_a_real_time_lifecycle_and_stops_on_sigterm() -> None:
    # GIVEN rekognition-local started on a free port with short phases
    durations = [f"--{phase}-seconds" for phase in ("training", "starting", "stopping", "deleting")]
    command = [
        str(CLI),
        "--port",
        "0",
        *(part for option in durations for part in (option, str(CLI_DURATION))),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: queue.Queue[str] = queue.Queue()
        errors: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None and process.stderr is not None
        for stream, into in ((process.stdout, lines), (process.stderr, errors)):
            threading.Thread(target=_lines, args=(stream, into), daemon=True).start()
        # WHEN its first line is read
        try:
            first = lines.get(timeout=30)
        except queue.Empty:
            pytest.fail(f"no URL within 30 s; stderr: {''.join(list(errors.queue))}")
        # THEN it names the URL it listens on
        match = re.fullmatch(r"rekognition-local listening on (http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        endpoint_url = match.group(1)
        session = boto3.session.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
        )
        s3, rekognition = (session.client(name, endpoint_url=endpoint_url) for name in ("s3", "rekognition"))

        # WHEN a whole lifecycle runs against it in real time
        s3.create_bucket(Bucket="cli-data")
        for key, body in shapes_dataset(bucket="cli-data", images_per_label=4).items():
            s3.put_object(Bucket="cli-data", Key=key, Body=body)
        project_arn = rekognition.create_project(ProjectName="cli")["ProjectArn"]
        assets = {
            member: {"Assets": [{"GroundTruthManifest": {"S3Object": {"Bucket": "cli-data", "Name": key}}}]}
            for member, key in (
                ("TrainingData", "manifests/train.manifest"),
                ("TestingData", "manifests/test.manifest"),
            )
        }
        arn = rekognition.create_project_version(
            ProjectArn=project_arn, VersionName="v1", OutputConfig={"S3Bucket": "cli-data"}, **assets
        )["ProjectVersionArn"]
        trained = _poll_status(rekognition, project_arn, "TRAINING_COMPLETED", time.monotonic() + 20)
        # THEN training completes on the wall clock, billed at least its duration
        assert trained["Status"] == "TRAINING_COMPLETED", trained["StatusMessage"]
        elapsed = trained["TrainingEndTimestamp"].timestamp() - trained["CreationTimestamp"].timestamp()
        assert elapsed >= CLI_DURATION - 0.01
        rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)
        running = _poll_status(rekognition, project_arn, "RUNNING", time.monotonic() + 20)
        assert running["Status"] == "RUNNING"
        image = next(
            body for key, body in shapes_dataset(bucket="cli-data", seed=5).items() if "/circle/" in key
        )
        labels = rekognition.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": image})[
            "CustomLabels"
        ]
        assert [label["Name"] for label in labels] == ["circle"]
        # AND its clock is the real one: the time control refuses to move it
        request = urllib.request.Request(
            f"{endpoint_url}/_localcloud/clock/advance", data=b'{"seconds": 1}', method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 409

        # WHEN it receives SIGTERM
        process.send_signal(signal.SIGTERM)
        # THEN it exits cleanly within 10 s
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
