"""``python -m kapre_like``: the command-line tool (see :mod:`kapre_like.cli`)."""

import sys

from .cli import main

sys.exit(main())
