"""The API reference (``make docs``): pdoc renders the docstrings of ``rekognition_custom_labels`` to HTML
in ``docs/api/`` (generated, not committed).

The reference is what the package exports (its ``__all__``: pdoc leaves out the submodules it does not
name) without the ``_handler`` data package, the provider's Lambda code. The docstrings are
reStructuredText: ``:param name: text`` fields, ````code````.

One correction to pdoc 16: its reader of those fields takes everything up to the *last* colon of the
field's first line as the parameter's name, so ``:param output_bucket: where ... Default: a new bucket``
came out as a parameter named "output_bucket: where ... Default". :func:`field_colons_kept` hides the
colons after the name from that reader and puts them back in its Markdown.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pdoc
import pdoc.docstrings
import pdoc.render

import rekognition_custom_labels

PACKAGE = rekognition_custom_labels.__name__
# pdoc's module specification: the package, without its Lambda code ("!": a pattern of modules to leave out).
SPECS = (PACKAGE, f"!{PACKAGE}._handler")
DOCFORMAT: Final = "restructuredtext"
OUTPUT = Path(__file__).resolve().parent / "api"

# A field's first line: ``:param name:`` (or ``:type``, ``:raises``) and the text after it.
_FIELD = re.compile(r"^([ \t]*:(?:param|type|raises)[ \t]+[^:\n]+:)(.*)$", re.MULTILINE)
_HIDDEN_COLON = "\ue000"  # a private-use character, in no docstring


def field_colons_kept(rst_fields: Callable[[str], str]) -> Callable[[str], str]:
    """``rst_fields`` (pdoc's reader of reStructuredText fields), reading a field's name up to its first
    colon: the colons in the text after the name are hidden from it, and restored in its output."""

    def read(contents: str) -> str:
        hidden = _FIELD.sub(lambda m: m[1] + m[2].replace(":", _HIDDEN_COLON), contents)
        return rst_fields(hidden).replace(_HIDDEN_COLON, ":")

    read.__wrapped__ = rst_fields  # type: ignore[attr-defined]
    return read


def configure() -> None:
    """Set pdoc up as the reference is rendered: reStructuredText docstrings, the field reader corrected,
    a module importing ``aws_cdk`` allowed to start jsii's ``node`` (pdoc stops subprocesses otherwise;
    this module has imported the package, and with it aws_cdk, before pdoc's import)."""
    if not hasattr(pdoc.docstrings._rst_fields, "__wrapped__"):
        pdoc.docstrings._rst_fields = field_colons_kept(pdoc.docstrings._rst_fields)  # type: ignore[assignment]
    os.environ.setdefault("PDOC_ALLOW_EXEC", "1")
    pdoc.render.configure(
        docformat=DOCFORMAT, footer_text=f"{PACKAGE} {rekognition_custom_labels.__version__}"
    )


def build(output: Path = OUTPUT) -> Path:
    """Render the reference into ``output`` (one HTML page per module, ``index.html``, ``search.js``);
    returns the package's page."""
    configure()
    pdoc.pdoc(*SPECS, output_directory=output)
    return output / f"{PACKAGE}.html"


if __name__ == "__main__":
    page = build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
    print(f"API reference: {page}")
