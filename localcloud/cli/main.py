"""``python -m localcloud``: ``cdk deploy`` and ``cdk destroy`` against the embedded local cloud.

The cloud lives in a state directory (--state, default .localcloud) between commands:

  python -m localcloud sample-data          # the example's dataset, into local S3
  python -m localcloud deploy               # cdk synth + deploy every stack of the app in this folder
  python -m localcloud deploy --assembly cdk.out   # an app you synthesized yourself
  python -m localcloud status [--json]      # stacks, outputs, and what the cloud holds
  python -m localcloud invoke FUNCTION [--payload JSON]   # run a deployed Lambda (aws lambda invoke)
  python -m localcloud destroy [--force]    # delete deployed stacks (asks first, as cdk destroy does)
  python -m localcloud serve --port 4566    # keep it running for the AWS CLI and boto3, until Ctrl-C

Options such as --state can come before or after the command.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..deploy import cdk_cli
from ..deploy.assembly import StackArtifact, read_assembly
from ..samples.example_dataset import EXAMPLE_BUCKET
from ..state.snapshots import SnapshotError
from ..state.workspace import DEFAULT_STATE_DIR, Workspace, WorkspaceBusy, WorkspaceMissing
from . import commands
from .show import show

_DEFAULTS = {
    "state": DEFAULT_STATE_DIR,
    "training_seconds": commands.LOCAL_DURATIONS.training,
    "time_scale": commands.DEFAULT_TIME_SCALE,
}


def _context(pairs: list[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise SystemExit(f"context must be KEY=VALUE, not {pair!r}")
        context[key] = value
    return context


def _select(stacks: list[StackArtifact], patterns: list[str]) -> list[StackArtifact]:
    """Stacks by artifact id or stack name, with ``*`` wildcards as cdk takes them; all by default."""
    if not patterns:
        return stacks
    chosen = [
        s for s in stacks if any(fnmatch.fnmatchcase(n, p) for p in patterns for n in (s.name, s.stack_name))
    ]
    if not chosen:
        names = ", ".join(s.stack_name for s in stacks)
        raise SystemExit(f"no stack matches {' '.join(patterns)} (the app has {names})")
    return chosen


def _payload(text: str) -> dict[str, Any]:
    """``--payload``: a JSON object, checked before the command takes the state."""
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error}): {text!r}") from error
    if not isinstance(payload, dict):
        raise argparse.ArgumentTypeError(f"the event must be a JSON object, not {text!r}")
    return payload


def _common_options() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name (defaults are filled in after parsing)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"state directory holding the saved local cloud (default {DEFAULT_STATE_DIR})",
    )
    common.add_argument(
        "--training-seconds",
        type=float,
        default=argparse.SUPPRESS,
        help="how long the emulator trains a model version, in local seconds "
        f"(default {_DEFAULTS['training_seconds']:g}: half an hour)",
    )
    common.add_argument(
        "--time-scale",
        type=float,
        default=argparse.SUPPRESS,
        help="how many times faster than real time the local cloud's clock runs: trainings, starts and "
        "stops, EventBridge schedules, ServiceTimeout and the handler's own time "
        f"(default {_DEFAULTS['time_scale']:g})",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="python -m localcloud",
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show_parser = sub.add_parser(
        "show", parents=[common], help="print what a synthesized cloud assembly declares"
    )
    show_parser.add_argument("assembly", nargs="?", default="cdk.out", type=Path)
    data = sub.add_parser(
        "sample-data", parents=[common], help="upload the example app's dataset to local S3"
    )
    data.add_argument(
        "--bucket", default=EXAMPLE_BUCKET, help=f"bucket to upload to (default {EXAMPLE_BUCKET})"
    )
    deploy = sub.add_parser(
        "deploy", parents=[common], help="synthesize and deploy (create or update) stacks"
    )
    deploy.add_argument("stacks", nargs="*", help="stack names or patterns (default: all)")
    deploy.add_argument(
        "-c", "--context", action="append", default=[], metavar="KEY=VALUE", help="context for cdk synth"
    )
    deploy.add_argument(
        "--app-dir", type=Path, default=Path("."), help="the app's folder, where its cdk.json is (default .)"
    )
    deploy.add_argument(
        "--assembly",
        type=Path,
        help="deploy this synthesized cloud assembly (cdk.out) instead of running cdk synth",
    )
    destroy = sub.add_parser("destroy", parents=[common], help="delete deployed stacks")
    destroy.add_argument("stacks", nargs="*", help="stack names or patterns (default: every deployed stack)")
    destroy.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    status = sub.add_parser(
        "status", parents=[common], help="deployed stacks, their outputs and what the local cloud holds"
    )
    status.add_argument(
        "--json", action="store_true", help="print it as JSON (the layout the README documents)"
    )
    invoke = sub.add_parser(
        "invoke",
        parents=[common],
        help="run a deployed Lambda function as aws lambda invoke does: its result on stdout, its logs "
        "on stderr",
    )
    invoke.add_argument(
        "function",
        metavar="FUNCTION",
        help="the function's name (its physical id), STACK/LOGICAL_ID, or the logical id alone when only "
        "one deployed stack holds it",
    )
    invoke.add_argument(
        "--payload",
        type=_payload,
        default="{}",
        metavar="JSON",
        help="the event, a JSON object (default {})",
    )
    serve = sub.add_parser(
        "serve", parents=[common], help="serve the saved local cloud until Ctrl-C, then save it"
    )
    serve.add_argument(
        "--port", type=int, default=4566, help="port to listen on; 0 picks a free one (default 4566)"
    )
    return parser


def _parse(argv: list[str] | None) -> argparse.Namespace:
    args = _parser().parse_args(argv)
    for name, default in _DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    return args


def _stack_source(args: argparse.Namespace) -> commands.StackSource:
    """The chosen stacks of ``--assembly``, or of a synthesis into a folder of the command's own.

    The arguments are checked here, before the command takes the state; the synthesis itself runs
    later, once the state is locked and loaded.
    """
    context = _context(args.context)
    if args.assembly is not None and context:
        raise SystemExit("-c applies to cdk synth; it cannot change an already synthesized --assembly")
    if args.assembly is not None and not (args.assembly / "manifest.json").is_file():
        raise SystemExit(f"{args.assembly} is not a cloud assembly (no manifest.json): run cdk synth first")

    @contextlib.contextmanager
    def stacks() -> Iterator[list[StackArtifact]]:
        if args.assembly is not None:
            yield _select(read_assembly(args.assembly), args.stacks)
            return
        with tempfile.TemporaryDirectory(prefix="localcloud-synth-") as outdir:
            yield _select(cdk_cli.synth(Path(outdir), context, app_dir=args.app_dir), args.stacks)

    return stacks


def _confirm(names: list[str]) -> bool:
    """``cdk destroy``'s question; no answer at all (no terminal, nothing piped) is a refusal."""
    print(f"Are you sure you want to delete: {', '.join(names)} (y/n)? ", end="", flush=True)
    answer = sys.stdin.readline()
    if not answer:
        print()
        raise commands.CommandError("no answer to the question above: pass --force to destroy without asking")
    return answer.strip().lower() in ("y", "yes")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.command == "show":
        print(show(args.assembly))
        return 0
    durations = replace(commands.LOCAL_DURATIONS, training=args.training_seconds)
    options = commands.Options(Workspace(args.state), durations=durations, time_scale=args.time_scale)
    try:
        if args.command == "deploy":
            return commands.deploy(options, _stack_source(args))
        if args.command == "destroy":
            return commands.destroy(options, args.stacks, (lambda _: True) if args.force else _confirm)
        if args.command == "status":
            return commands.status(options, as_json=args.json)
        if args.command == "invoke":
            return commands.invoke(options, args.function, args.payload)
        if args.command == "sample-data":
            return commands.sample_data(options, args.bucket)
        return commands.serve(options, args.port)
    except (
        WorkspaceBusy,
        WorkspaceMissing,
        SnapshotError,
        commands.CommandError,
        cdk_cli.SynthError,
    ) as problem:
        print(problem, file=sys.stderr)
        return problem.exit_status if isinstance(problem, commands.CommandError) else 1
