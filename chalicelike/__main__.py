"""`chalicelike` (the console script) and `python -m chalicelike`: the command line's entry.

A `package` repeat with nothing changed is answered from the last build's record before click
and the CLI are imported (`package._repeat`: ~50 ms of a ~65 ms repeat); anything else goes
to `cli.main`. Never imported on the Lambda path.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> int:
    from .package._repeat import answer_repeat

    try:
        status = answer_repeat(sys.argv[1:])
    except KeyboardInterrupt:
        return 130  # as the CLI answers a Ctrl-C: no traceback
    if status is not None:
        return status
    from .cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
