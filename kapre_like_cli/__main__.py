"""``python -m kapre_like_cli``: the command-line tool."""

import sys

from . import main

sys.exit(main())
