"""SCIM 2.0 conformance: runs scim2-tester (the python-scim project's checker) against one
tenant's SCIM base URL with a directory token, prints every check, and fails on any check that
breaks a MUST of RFC 7643/7644 (ERROR, CRITICAL) or a SHOULD (DEVIATION).

    scim_conformance.py BASE_URL TOKEN     # e.g. http://127.0.0.1:3000/scim/v2/acme tdt_...

infra/scripts/scim-conformance.sh starts a dev server, a tenant and a token, then runs this.
"""

import collections
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

FAILED = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    results = check_server(SyncSCIMClient(http), raise_exceptions=False)
    counts = collections.Counter(result.status for result in results)
    for result in results:
        line = f"{result.status.name:<10} {result.resource_type or '-':<6} {result.title}"
        if result.status not in {Status.SUCCESS, Status.COMPLIANT}:
            line += f": {result.reason}"
        print(line)
    failed = sum(counts[status] for status in FAILED)
    passed = len(results) - failed - counts[Status.SKIPPED]
    print(
        f"scim2-tester: {len(results)} checks, {passed} passed, {failed} failed, "
        f"{counts[Status.SKIPPED]} skipped"
    )
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
