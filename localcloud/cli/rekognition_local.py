"""``rekognition-local``: the local cloud (Custom Labels emulator + moto) as a command-line server."""

# Only the standard library is imported here, so that --help and a wrong command line are answered
# without the ``localcloud`` extra (see entrypoints); the server is imported when it starts.

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .main import Parser

PROG = "rekognition-local"
# Each phase's duration in real seconds (this server runs on the wall clock), by option.
PHASE_DEFAULTS = {"training": 3.0, "starting": 2.0, "stopping": 1.0, "deleting": 1.0}


def parser() -> Parser:
    """Its command line (nothing outside the standard library is imported)."""
    parser = Parser(
        prog=PROG,
        description="Serve Amazon Rekognition Custom Labels (emulated) and moto's AWS services on one port, "
        "until Ctrl-C or SIGTERM. Time is real time: the phases take the seconds given here. Nothing is "
        "saved: python -m localcloud serve keeps a saved cloud.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=4566, help="port to listen on; 0 picks a free one (default 4566)"
    )
    what = {
        "training": "seconds from CreateProjectVersion to TRAINING_COMPLETED",
        "starting": "seconds from StartProjectVersion to RUNNING",
        "stopping": "seconds from StopProjectVersion to STOPPED",
        "deleting": "seconds a delete takes (a model version, a dataset or a project)",
    }
    for phase, default in PHASE_DEFAULTS.items():
        parser.add_argument(
            f"--{phase}-seconds",
            type=float,
            default=default,
            metavar="SECONDS",
            help=f"{what[phase]} (default {default:g})",
        )
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, checked: a wrong one exits with status 2 and one line, ``--help`` with 0."""
    return parser().parse_args(argv)


def serve(args: argparse.Namespace) -> None:
    """Serve until Ctrl-C or SIGTERM (this needs the ``localcloud`` extra)."""
    from ..gateway.background import wait_until_stopped
    from ..gateway.server import LocalCloud, client_environment
    from ..rekognition.service import Durations

    durations = Durations(
        training=args.training_seconds,
        starting=args.starting_seconds,
        stopping=args.stopping_seconds,
        deleting=args.deleting_seconds,
        dataset=args.deleting_seconds,
        project_deleting=args.deleting_seconds,
    )
    with LocalCloud(host=args.host, port=args.port, durations=durations) as cloud:
        print(f"rekognition-local listening on {cloud.endpoint_url}", flush=True)
        print(f"  {client_environment(cloud.endpoint_url)}", flush=True)
        print("  Ctrl-C or SIGTERM stops it.", flush=True)
        wait_until_stopped()


def main(argv: Sequence[str] | None = None) -> None:
    """``rekognition-local`` with the extra installed (the entry point checks for it first)."""
    serve(parse(argv))


if __name__ == "__main__":
    main()
