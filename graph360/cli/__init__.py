"""The ``graph360`` command: tables for people, ``--format json|csv`` for machines.

Exit codes: 0 done; 1 graph360 refused (bad bundle, unknown customer, store locked…), with a
one-line message on stderr; 2 the command line was wrong; 3 a load finished but rejected rows
(see the reject file); 4 an audit found what ``--fail-on-…`` asked it to fail on.

Every module in this package registers its commands on the one ``app`` of
``graph360.cli.base``; importing the package imports them all.
"""

import importlib
import pkgutil

from graph360.cli.base import EXIT_REFUSED, EXIT_REJECTS, app

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "__main__"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["EXIT_REFUSED", "EXIT_REJECTS", "app"]
