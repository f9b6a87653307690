"""``python -m sync.ledger``: the ``kiosk-ledger`` command."""

import sys

from sync.ledger.ops.cli import main

sys.exit(main())
