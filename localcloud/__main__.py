"""``python -m localcloud``: bring the local cloud up (or ``--down``)."""

import sys

from localcloud.tools.cli import main

if __name__ == "__main__":
    sys.exit(main())
