"""The frozen application's entry point: the same `aliquot` command as the console script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
