"""`localsearch check` and `localsearch repair`: exit 0 healthy, 1 needs repair / repaired, 2 failed."""

import argparse
import json
import sqlite3
import sys
from typing import TYPE_CHECKING, Any

from localsearch.core import paths
from localsearch.core.errors import CatalogDamaged, KnownError, catalog_error

if TYPE_CHECKING:
    from localsearch.core.check import CheckResult
    from localsearch.core.paths import Paths
    from localsearch.core.repair import RepairResult, Salvage

HEALTHY, NEEDS_REPAIR, FAILED = 0, 1, 2


def add_parsers(sub: Any) -> None:
    ck = sub.add_parser("check", help="verify the catalog and indexes (exit 0 healthy, 1 needs repair, 2 failed)")
    ck.add_argument("--quick", action="store_true", help="skip embedding a sample of passages again (no model load)")
    ck.add_argument("--json", action="store_true")
    rp = sub.add_parser("repair", help="rebuild what check finds damaged; a damaged catalog is set aside and the "
                        "folders indexed again (exit 0 nothing to do, 1 repaired, 2 failed)")
    rp.add_argument("--quick", action="store_true", help="skip embedding a sample of passages again (no model load)")


def _print(result: "CheckResult") -> None:
    for line in result.passed:
        print(f"ok       {line}")
    for line in result.skipped:
        print(f"skipped  {line}")
    for p in result.problems:
        where = f"{p.collection}: " if p.collection else ""
        print(f"PROBLEM  {where}{p.area}: {p.detail}")


def _checked(where: "Paths", sample: bool) -> "CheckResult":
    """check.run's result; a catalog SQLite calls damaged (at open or while checking) is one problem."""
    from localsearch.core.check import CheckResult, Problem
    from localsearch.core.service import Service

    try:
        service = Service(where)
    except CatalogDamaged as e:
        return CheckResult(problems=[Problem("catalog", None, str(e))])
    try:
        return service.check(sample=sample)
    except sqlite3.DatabaseError as e:
        if not isinstance(catalog_error(where.catalog, e), CatalogDamaged):
            raise
        return CheckResult(problems=[Problem("catalog", None, f"damaged ({e})")])
    finally:
        service.close()


def cmd_check(args: argparse.Namespace) -> int:
    where = paths.resolve(args.home)
    try:
        result = _checked(where, sample=not args.quick)
    except (KnownError, sqlite3.DatabaseError) as e:
        print(f"localsearch: cannot check: {e}", file=sys.stderr)
        return FAILED
    if args.json:
        print(json.dumps({"healthy": result.healthy, "passed": result.passed, "skipped": result.skipped,
                          "problems": [p.__dict__ for p in result.problems]}, indent=2))
    else:
        _print(result)
        print("healthy" if result.healthy else "needs repair: run 'localsearch repair'")
    return HEALTHY if result.healthy else NEEDS_REPAIR


def _repaired(where: "Paths", salvage: "Salvage | None", args: argparse.Namespace) -> "RepairResult":
    """Service.repair; SQLite's own failures on the catalog become the one-line errors (CatalogDamaged first)."""
    from localsearch.cli import ProgressBar, _say_waiting
    from localsearch.core.service import Service

    service = Service(where)
    try:
        return service.repair(salvage, on_progress=ProgressBar(enabled=sys.stderr.isatty()), on_wait=_say_waiting,
                              sample=not args.quick)
    except sqlite3.DatabaseError as e:
        raise catalog_error(where.catalog, e) from e
    finally:
        service.close()


def cmd_repair(args: argparse.Namespace) -> int:
    from localsearch.cli import _say_waiting
    from localsearch.core import repair

    where = paths.resolve(args.home).ensure()
    try:
        try:
            result = _repaired(where, None, args)
        except CatalogDamaged:
            salvage = repair.set_aside_alone(where, _say_waiting)
            print(f"the catalog was damaged: kept as {salvage.moved_to}; indexing "
                  f"{', '.join(salvage.collections) or 'nothing'} again")
            if not salvage.collections:
                print("no collection could be read from it: add your folders again (localsearch index FOLDER)")
            result = _repaired(where, salvage, args)
    except KnownError as e:  # a newer LocalSearch's catalog, no permission: not ours to fix
        print(f"localsearch: cannot repair: {e}", file=sys.stderr)
        return FAILED
    if not result.done:
        print("healthy: nothing to repair")
        return HEALTHY
    for line in result.done:
        print(f"repaired {line}")
    if not result.after.healthy:
        _print(result.after)
        print("localsearch: some problems remain after repair", file=sys.stderr)
        return FAILED
    print("healthy now")
    return NEEDS_REPAIR
