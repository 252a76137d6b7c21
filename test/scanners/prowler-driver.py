"""
Runs the real Prowler CLI several times in one Python process, for
test/scanners/prowler-real.test.ts.

Each line on stdin is a JSON list of Prowler arguments (as after `prowler`);
for each, Prowler's own entry point (`prowler.__main__.prowler`, what the
`prowler` command runs) is called with them, and a JSON line
{"code": <exit code>, "seconds": <run time>} is written to file descriptor 3
(Prowler itself prints to stdout and stderr).

Why not one `prowler` process per scan: a Prowler run spends ~25 s of CPU
loading and cross-referencing its ~40 compliance frameworks before it scans
anything, and the test scans 11 states. Here that loading is done once (it
only decorates the findings' metadata and is the same for every run), and
before each run Prowler's AWS service and check modules are dropped from
sys.modules and Prowler's global provider is cleared, so each run creates its
session, Regions and service clients and reads the account again, as a new
process would. The checks themselves are Prowler's, unchanged.
"""
import json
import os
import sys
import time

import prowler.__main__ as cli
from prowler.providers.common.provider import Provider


def first_result(fn):
    """The function, computing its result on the first call only (per first argument)."""
    results = {}

    def wrapper(*args):
        key = args[0] if args and isinstance(args[0], str) else None
        if key not in results:
            results[key] = fn(*args)
        return results[key]

    return wrapper


cli.Compliance.get_bulk = first_result(cli.Compliance.get_bulk)
cli.get_bulk_compliance_frameworks_universal = first_result(cli.get_bulk_compliance_frameworks_universal)
# Adds the frameworks to the checks' metadata; the metadata is the same on every run.
cli.update_checks_metadata_with_compliance = first_result(cli.update_checks_metadata_with_compliance)

results = os.fdopen(3, "w")
for line in sys.stdin:
    if not line.strip():
        continue
    for name in [m for m in sys.modules if m.startswith("prowler.providers.aws.services.")]:
        del sys.modules[name]
    # Prowler keeps its provider (the audited account, Regions, role and
    # session) in a class attribute and reuses it when set: each run builds its own.
    Provider.set_global_provider(None)
    sys.argv = ["prowler"] + json.loads(line)
    started = time.time()
    code, error = 0, None
    try:
        cli.prowler()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Exception as e:  # reported to the test, which fails with it
        code, error = None, f"{type(e).__name__}: {e}"
    results.write(json.dumps({"code": code, "seconds": round(time.time() - started, 1), "error": error}) + "\n")
    results.flush()
