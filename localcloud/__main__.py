"""``python -m localcloud``: see ``localcloud.cli.main`` (the extra is checked first)."""

import sys

from .cli.entrypoints import python_m_localcloud

if __name__ == "__main__":
    sys.exit(python_m_localcloud())
