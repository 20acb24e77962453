"""``python -m localcloud``: bring the local cloud up (or ``--down``)."""

import sys

from localcloud.cli import main

if __name__ == "__main__":
    sys.exit(main())
