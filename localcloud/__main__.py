"""``python -m localcloud``: ``cdk deploy`` and ``cdk destroy`` against the embedded local cloud.

The cloud lives in a state directory (``--state``, default ``.localcloud``) between commands::

    python -m localcloud sample-data          # the example's dataset, into local S3
    python -m localcloud deploy               # cdk synth (pinned CLI) + deploy every stack
    python -m localcloud deploy -c team=ml    # re-deploy: updates in place or replaces
    python -m localcloud status               # stacks, outputs, and what the cloud holds
    python -m localcloud destroy              # delete every deployed stack
    python -m localcloud serve --port 4566    # keep it running for the AWS CLI, until Ctrl-C
"""

from __future__ import annotations

import argparse
import fnmatch
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from . import cdk_cli, commands
from .assembly import StackArtifact, read_assembly
from .example_dataset import EXAMPLE_BUCKET
from .show import show
from .snapshots import SnapshotError
from .workspace import DEFAULT_STATE_DIR, Workspace, WorkspaceBusy


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE_DIR, help="state directory (.localcloud)")
    parser.add_argument("--training-seconds", type=float, default=commands.LOCAL_DURATIONS.training)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=60.0,
        help="how much faster than real time the handler's EventBridge polls fire (default 60)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    show_parser = sub.add_parser("show", help="print what a synthesized cloud assembly declares")
    show_parser.add_argument("assembly", nargs="?", default="cdk.out", type=Path)
    data = sub.add_parser("sample-data", help="upload the example app's dataset to local S3")
    data.add_argument("--bucket", default=EXAMPLE_BUCKET)
    deploy = sub.add_parser("deploy", help="synthesize and deploy (create or update) stacks")
    deploy.add_argument("stacks", nargs="*", help="stack names or patterns (default: all)")
    deploy.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    deploy.add_argument("--app-dir", type=Path, default=Path("."), help="where cdk.json is (default .)")
    deploy.add_argument(
        "--assembly", type=Path, help="deploy this synthesized cloud assembly instead of running cdk synth"
    )
    destroy = sub.add_parser("destroy", help="delete deployed stacks")
    destroy.add_argument("stacks", nargs="*", help="stack names (default: every deployed stack)")
    sub.add_parser("status", help="deployed stacks, their outputs and what the local cloud holds")
    serve = sub.add_parser("serve", help="serve the saved local cloud until Ctrl-C, then save it")
    serve.add_argument("--port", type=int, default=4566)
    return parser


def _stacks_to_deploy(args: argparse.Namespace) -> list[StackArtifact]:
    if args.assembly is not None:
        if args.context:
            raise SystemExit("-c applies to cdk synth; it cannot change an already synthesized --assembly")
        stacks = read_assembly(args.assembly)
    else:
        try:
            stacks = cdk_cli.synth(args.app_dir / "cdk.out", _context(args.context), app_dir=args.app_dir)
        except subprocess.CalledProcessError as error:
            raise SystemExit(f"cdk synth failed (exit {error.returncode})") from error
    return _select(stacks, args.stacks)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "show":
        print(show(args.assembly))
        return 0
    durations = replace(commands.LOCAL_DURATIONS, training=args.training_seconds)
    options = commands.Options(Workspace(args.state), durations=durations, time_scale=args.time_scale)
    try:
        if args.command == "deploy":
            return commands.deploy(options, _stacks_to_deploy(args))
        if args.command == "destroy":
            return commands.destroy(options, args.stacks)
        if args.command == "status":
            return commands.status(options)
        if args.command == "sample-data":
            return commands.sample_data(options, args.bucket)
        return commands.serve(options, args.port)
    except (WorkspaceBusy, SnapshotError) as problem:
        print(problem, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
