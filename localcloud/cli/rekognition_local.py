"""``rekognition-local``: the local cloud (Custom Labels emulator + moto) as a command-line server."""

from __future__ import annotations

import argparse

from ..gateway.background import wait_until_stopped
from ..gateway.server import LocalCloud, client_environment
from ..rekognition.service import Durations


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="rekognition-local",
        description="Serve Amazon Rekognition Custom Labels (emulated) and moto's AWS services on one port, "
        "until Ctrl-C or SIGTERM. Nothing is saved: python -m localcloud serve keeps a saved cloud.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4566, help="port to listen on; 0 picks a free one")
    parser.add_argument("--training-seconds", type=float, default=3.0, help="how long training takes")
    parser.add_argument("--starting-seconds", type=float, default=2.0, help="how long a start takes")
    parser.add_argument("--stopping-seconds", type=float, default=1.0, help="how long a stop takes")
    parser.add_argument("--deleting-seconds", type=float, default=1.0, help="how long a delete takes")
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    main()
