"""Console entry points that check for the ``localcloud`` extra before importing anything that needs it.

The construct library installs without the local cloud's dependencies (moto, Pillow, ...); a user who
runs ``python -m localcloud`` or ``rekognition-local`` without them gets one line naming the extra to
install, not a ``ModuleNotFoundError`` traceback.
"""

from __future__ import annotations

import importlib.util

DISTRIBUTION = "cdk-rekognition-custom-labels"
EXTRA = "localcloud"
# Import name -> what provides it, for every third-party module the local cloud imports.
_NEEDED = {
    "boto3": "boto3",
    "cryptography": "cryptography",
    "flask": "moto[server]",
    "moto": "moto[server]",
    "PIL": "pillow",
    "werkzeug": "werkzeug",
}


def missing_requirements() -> list[str]:
    """The distributions of the ``localcloud`` extra that this interpreter cannot import."""
    return sorted({needed for module, needed in _NEEDED.items() if importlib.util.find_spec(module) is None})


def missing_extra(who: str) -> str | None:
    """The one line telling the user of ``who`` which extra to install, or None when it is installed."""
    missing = missing_requirements()
    if not missing:
        return None
    return (
        f"{who} needs the '{EXTRA}' extra ({', '.join(missing)} not installed): "
        f"pip install '{DISTRIBUTION}[{EXTRA}]'"
    )


def require_extra(command: str) -> None:
    """Exit with that line (status 1) when part of the extra is not installed."""
    message = missing_extra(command)
    if message:
        raise SystemExit(message)


def python_m_localcloud() -> int:
    """``python -m localcloud``."""
    require_extra("python -m localcloud")
    from .main import main

    return main()


def rekognition_local() -> None:
    """``rekognition-local``."""
    require_extra("rekognition-local")
    from .rekognition_local import main

    main()
