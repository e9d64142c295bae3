"""``python -m localcloud``: see ``localcloud.command_line`` (the extra is checked first)."""

import sys

from .entrypoints import python_m_localcloud

if __name__ == "__main__":
    sys.exit(python_m_localcloud())
