"""Where this checkout is: the tests that run its files (app.py, node_modules, the handler asset) find
them from here, wherever the test module sits in the tree."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
