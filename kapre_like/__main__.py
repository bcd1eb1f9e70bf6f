"""``python -m kapre_like``: the command-line tool, whose front door is the package :mod:`kapre_like_cli`
(kapre_like/__init__.py imports the package light in this process: ``--help`` needs no TensorFlow)."""

import sys

from kapre_like_cli import main

sys.exit(main())
