"""Unit tests of the project-version handler's modules, against the offline Rekognition emulator.

``lambda`` is a Python keyword, so the handler's folder is not a package: its modules are imported by
their own names (``resource_properties``, ``version_lifecycle``, ``cfn_response_sender``), as Lambda
does, from the folder put first on ``sys.path`` here. ``index`` is left to the end-to-end tests: it
builds crhelper's module-level helper at import.
"""

from __future__ import annotations

import sys
from pathlib import Path

HANDLER_DIR = Path(__file__).resolve().parents[2] / "lambda" / "project_version"
if str(HANDLER_DIR) in sys.path:
    sys.path.remove(str(HANDLER_DIR))
sys.path.insert(0, str(HANDLER_DIR))

# The local cloud fixtures, re-exported for the tests of this folder (test_version_lifecycle.py shadows
# the cloud ones with module-scoped equivalents, for speed).
from tests.localcloud.conftest import clock, cloud, dataset, project_arn, rekognition, s3  # noqa: E402, F401
