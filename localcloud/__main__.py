"""``python -m localcloud``: see ``localcloud.cli.main`` (the command line is parsed, then the extra checked
for the commands that need it)."""

import sys

from .cli.entrypoints import python_m_localcloud

if __name__ == "__main__":
    sys.exit(python_m_localcloud())
