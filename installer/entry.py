"""The frozen application's entry point: the same `aliquot` command as the console script."""

import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":
    # `aliquot audit verify` checks a large trail in a second process: in a frozen program
    # that process starts this executable again, which must run the worker, not the app.
    multiprocessing.freeze_support()
    sys.exit(main())
