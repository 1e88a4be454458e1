#!/usr/bin/env python3
"""Entry point: ``python make_handout.py --help``. The code lives in handout_builder/."""

import sys

from handout_builder.cli import main

if __name__ == "__main__":
    sys.exit(main())
