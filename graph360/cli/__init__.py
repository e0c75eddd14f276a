"""The ``graph360`` command: tables for people, ``--format json|csv`` for machines.

Exit codes: 0 done; 1 graph360 refused (bad bundle, unknown customer, store locked…), with a
one-line message on stderr; 2 the command line was wrong; 3 a load finished but rejected rows
(see the reject file).

Each module here registers its commands on the one ``app`` of ``graph360.cli.base``.
"""

from graph360.cli import loading, reading  # noqa: F401  (importing registers the commands)
from graph360.cli.base import EXIT_REFUSED, EXIT_REJECTS, app

__all__ = ["EXIT_REFUSED", "EXIT_REJECTS", "app"]
