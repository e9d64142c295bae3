"""``python -m localcloud show [cdk.out]``: what the synthesized app declares."""

from __future__ import annotations

import argparse
from pathlib import Path

from .show import show


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localcloud")
    commands = parser.add_subparsers(dest="command", required=True)
    show_parser = commands.add_parser("show", help="print what a synthesized cloud assembly declares")
    show_parser.add_argument("assembly", nargs="?", default="cdk.out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "show":
        print(show(args.assembly))


if __name__ == "__main__":
    main()
