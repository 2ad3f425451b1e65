"""``python -m corral.core.cli``: the same as the ``corral`` console script."""

import sys

from corral.core.cli.main import main

sys.exit(main())
