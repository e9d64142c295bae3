"""CDK apps synthesized in-process for the local cloud's tests: ``app.py``'s example stack, or a stack a
test builds, each into a cloud assembly of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk

import app as example
from localcloud.deploy.assembly import StackArtifact, read_assembly

Synth = Callable[..., StackArtifact]


def synthesizer(folder: Path) -> Synth:
    """``synth(stack_builder=None, **context)``: the example app's stack (or what ``stack_builder`` adds to
    the app) synthesized with ``context``, bundling included, into a new folder under ``folder``."""
    counter = iter(range(1000))

    def run(stack_builder: Callable[[cdk.App], Any] | None = None, **context: str) -> StackArtifact:
        outdir = folder / f"cdk.out.{next(counter)}"
        app = cdk.App(outdir=str(outdir), context=context)
        if stack_builder is None:
            example.ExampleStack(app, "Example")
        else:
            stack_builder(app)
        app.synth()
        (stack,) = read_assembly(outdir)
        return stack

    return run
