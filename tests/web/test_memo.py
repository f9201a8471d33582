"""The workbench keeps whole-case results per version of the case, never a stale one."""

from __future__ import annotations

from lantern.store import Workspace
from lantern.web.memo import CaseMemo
from tests.web.conftest import Site


def test_a_result_is_kept_until_the_case_changes(site: Site):
    memo, made = CaseMemo(), []

    def derive() -> int:
        made.append(1)
        return len(made)

    ws = Workspace(site.db)
    try:
        with ws.reader() as conn:
            case_id = ws.case_id(conn, "default")
            first = memo.get("thing", ws.url, conn, case_id, derive)
            assert memo.get("thing", ws.url, conn, case_id, derive) == first  # kept
            assert memo.get("other", ws.url, conn, case_id, derive) != first  # another kind
        site.run("network")  # a new network run: a new version of the case
        with ws.reader() as conn:
            assert memo.get("thing", ws.url, conn, case_id, derive) == len(made) != first
    finally:
        ws.dispose()
