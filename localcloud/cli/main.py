"""``python -m localcloud``: ``cdk deploy`` and ``cdk destroy`` against the embedded local cloud.

The cloud lives in a state directory (--state, default .localcloud) between commands:

  python -m localcloud show [cdk.out]       # what a synthesized app declares (no local cloud needed)
  python -m localcloud sample-data          # the example's dataset, into local S3
  python -m localcloud deploy               # cdk synth + deploy every stack of the app in this folder
  python -m localcloud deploy --assembly cdk.out   # an app you synthesized yourself
  python -m localcloud status [--json]      # stacks, outputs, and what the cloud holds
  python -m localcloud invoke FUNCTION [--payload JSON]   # run a deployed Lambda (aws lambda invoke)
  python -m localcloud destroy [--force]    # delete deployed stacks (asks first, as cdk destroy does)
  python -m localcloud serve --port 4566    # keep it running for the AWS CLI and boto3, until Ctrl-C

Options such as --state, and deploy's -c, can come before or after the command. Errors are one line on
standard error: status 2 for a wrong command line, status 1 for a command that failed.
"""

# Only the standard library is imported here, so that --help and a wrong command line are answered
# without the ``localcloud`` extra (see entrypoints); what runs a command is imported when it runs.

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from ..deploy.assembly import StackArtifact
    from . import commands

PROG = "python -m localcloud"
# Copies of the defaults of the modules that need the extra (tests/localcloud/cli/test_entrypoints.py
# keeps them equal): the state directory (localcloud.state.workspace), the training's local seconds and
# the clock's scale (localcloud.cli.commands), the example's dataset bucket (localcloud.samples).
DEFAULT_STATE_DIR = Path(".localcloud")
DEFAULT_TRAINING_SECONDS = 1800.0
DEFAULT_TIME_SCALE = 120.0
EXAMPLE_BUCKET = "rekcl-example-dataset"
USAGE_ERROR = 2  # a wrong command line, as argparse has it; a command that fails exits with 1

_DEFAULTS = {
    "state": DEFAULT_STATE_DIR,
    "training_seconds": DEFAULT_TRAINING_SECONDS,
    "time_scale": DEFAULT_TIME_SCALE,
    "enforce_iam": True,
}


class Parser(argparse.ArgumentParser):
    """argparse's parser, its usage errors one line on standard error (status 2): the problem and where
    to read more, instead of the usage block and the problem."""

    def error(self, message: str) -> NoReturn:
        one_line = message.replace("\n", " ")
        self.exit(USAGE_ERROR, f"{self.prog}: {one_line} (see {self.prog} --help)\n")


def _context_pair(text: str) -> tuple[str, str]:
    """``-c KEY=VALUE``, as cdk takes it."""
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"context must be KEY=VALUE, not {text!r}")
    return key, value


def _payload(text: str) -> dict[str, Any]:
    """``--payload``: a JSON object, checked before the command takes the state."""
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error}): {text!r}") from error
    if not isinstance(payload, dict):
        raise argparse.ArgumentTypeError(f"the event must be a JSON object, not {text!r}")
    return payload


def _common_options() -> Parser:
    """Options every command takes, before or after its name (defaults are filled in after parsing)."""
    common = Parser(add_help=False)
    common.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=f"state directory holding the saved local cloud (default {DEFAULT_STATE_DIR})",
    )
    common.add_argument(
        "--training-seconds",
        type=float,
        metavar="SECONDS",
        default=argparse.SUPPRESS,
        help="how long the emulator trains a model version, in local seconds "
        f"(default {DEFAULT_TRAINING_SECONDS:g}: half an hour)",
    )
    common.add_argument(
        "--time-scale",
        type=float,
        metavar="K",
        default=argparse.SUPPRESS,
        help="how many times faster than real time the local cloud's clock runs: trainings, starts and "
        "stops, EventBridge schedules, ServiceTimeout and the handler's own time "
        f"(default {DEFAULT_TIME_SCALE:g})",
    )
    common.add_argument(
        "--no-enforce-iam",
        dest="enforce_iam",
        action="store_false",
        default=argparse.SUPPRESS,
        help="let deployed functions do anything (by default their requests are authorized against their "
        "execution role's policies and the resources' policies, as AWS does)",
    )
    return common


def parser() -> Parser:
    """The whole command line: every command and option (nothing is run, nothing outside the standard
    library is imported)."""
    common = _common_options()
    top = Parser(
        prog=PROG,
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    # deploy's -c also before the command name (`python -m localcloud -c team=x deploy`), kept apart from
    # the one after it (the command's own parser would overwrite it) and joined with it by parse().
    top.add_argument(
        "-c", "--context", dest="leading_context", action="append", type=_context_pair, help=argparse.SUPPRESS
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = sub.add_parser(
        "show",
        parents=[common],
        help="print what a synthesized cloud assembly declares: stacks, resources, model versions",
    )
    show.add_argument(
        "assembly",
        nargs="?",
        default=Path("cdk.out"),
        type=Path,
        metavar="DIR",
        help="the cloud assembly, the folder cdk synth writes (default cdk.out)",
    )
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
        "-c",
        "--context",
        action="append",
        type=_context_pair,
        default=[],
        metavar="KEY=VALUE",
        help="context for cdk synth (may be repeated; also before the command name)",
    )
    deploy.add_argument(
        "--app-dir",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the app's folder, where its cdk.json is (default .)",
    )
    deploy.add_argument(
        "--assembly",
        type=Path,
        metavar="DIR",
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
        help="the function's name (its physical id) or ARN, STACK/LOGICAL_ID, its construct path as cdk "
        "shows it (STACK/CONSTRUCT_ID, from the template's aws:cdk:path metadata), or the logical id alone "
        "when only one deployed stack holds it",
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
    return top


def command_parsers(top: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each command's own parser, by name."""
    (sub,) = [a for a in top._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _refuse_misplaced_options(top: Parser, argv: Sequence[str]) -> None:
    """A command's option written before the command's name (other than deploy's -c) is refused in one
    line saying where it goes, rather than as argparse would see it (its value taken for a command)."""
    commands = command_parsers(top)
    index = 0
    while index < len(argv):
        token = argv[index]
        if token in commands or token == "--":
            return
        name = token.split("=", 1)[0]
        own = top._option_string_actions.get(name) if token.startswith("-") else None
        if own is not None:
            index += 2 if own.nargs != 0 and "=" not in token else 1
            continue
        owners = [command for command, p in commands.items() if name in p._option_string_actions]
        if token.startswith("-") and owners:
            action = commands[owners[0]]._option_string_actions[name]
            value = "" if action.nargs == 0 else f" {action.metavar or action.dest.upper()}"
            top.exit(
                USAGE_ERROR,
                f"{PROG}: {name} is an option of {' and '.join(owners)}: write it after the command's "
                f"name, as in {PROG} {owners[0]} {name}{value}\n",
            )
        index += 1


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, checked: a wrong one exits with status 2 and one line, ``--help`` with 0."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    top = parser()
    _refuse_misplaced_options(top, arguments)
    args, unrecognized = top.parse_known_args(arguments)
    if unrecognized:  # named by the command they were given to, whose --help lists what it takes
        command_parsers(top)[args.command].error(f"unrecognized arguments: {' '.join(unrecognized)}")
    for name, default in _DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    leading = getattr(args, "leading_context", None) or []
    if leading and args.command != "deploy":
        top.error(f"-c/--context is an option of deploy, not of {args.command}")
    if args.command == "deploy":
        args.context = [*leading, *args.context]
        if args.assembly is not None and args.context:
            command_parsers(top)["deploy"].error(
                "-c applies to cdk synth; it cannot change an already synthesized --assembly"
            )
    return args


def _select(stacks: list[StackArtifact], patterns: list[str]) -> list[StackArtifact]:
    """Stacks by artifact id or stack name, with ``*`` wildcards as cdk takes them; all by default."""
    from . import commands

    if not patterns:
        return stacks
    chosen = [
        s for s in stacks if any(fnmatch.fnmatchcase(n, p) for p in patterns for n in (s.name, s.stack_name))
    ]
    if not chosen:
        names = ", ".join(s.stack_name for s in stacks)
        raise commands.CommandError(f"no stack matches {' '.join(patterns)} (the app has {names})")
    return chosen


def _stack_source(args: argparse.Namespace) -> commands.StackSource:
    """The chosen stacks of ``--assembly``, or of a synthesis into a folder of the command's own.

    The assembly is checked here, before the command takes the state; the synthesis itself runs later,
    once the state is locked and loaded.
    """
    from ..deploy import cdk_cli
    from ..deploy.assembly import read_assembly
    from . import commands
    from .show import assembly_problem

    context = dict(args.context)
    problem = None if args.assembly is None else assembly_problem(args.assembly)
    if problem:
        raise commands.CommandError(problem)

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
    from . import commands

    print(f"Are you sure you want to delete: {', '.join(names)} (y/n)? ", end="", flush=True)
    answer = sys.stdin.readline()
    if not answer:
        print()
        raise commands.CommandError("no answer to the question above: pass --force to destroy without asking")
    return answer.strip().lower() in ("y", "yes")


def _show(assembly: Path) -> int:
    from .show import NotAnAssembly, show

    try:
        print(show(assembly))
    except NotAnAssembly as problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the parsed command (this needs the ``localcloud`` extra, except ``show``)."""
    if args.command == "show":
        return _show(args.assembly)

    from ..deploy import cdk_cli
    from ..state.snapshots import SnapshotError
    from ..state.workspace import Workspace, WorkspaceBusy, WorkspaceMissing
    from . import commands

    durations = replace(commands.LOCAL_DURATIONS, training=args.training_seconds)
    options = commands.Options(
        Workspace(args.state), durations=durations, time_scale=args.time_scale, enforce_iam=args.enforce_iam
    )
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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m localcloud`` with the extra installed (the entry points check for it first)."""
    return run(parse(argv))
