"""``python -m handout_builder.cli``: the same as ``make-handout``."""

import sys

from handout_builder.cli import main

sys.exit(main())
