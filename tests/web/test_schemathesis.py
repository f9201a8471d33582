"""Schemathesis against the workbench's own OpenAPI spec, in process (no network): no server
error, and every response matches its documented status code, content type and schema.

Each operation in the spec (GET and POST alike) runs twice, with a bearer token:
* generated values everywhere, so case names, entities and queries are mostly nonsense
  (unknown case: 404; bad parameter: 422) and the validators themselves are fuzzed;
* the case pinned to 'default' (which holds data and a network), so the values after it
  (entity ids, search text, dates...) reach the queries behind each page.

The workspace is this module's own SQLite `site` (module scope, tests/web/conftest.py): what a
POST changes there reaches no other test module. Hypothesis runs a bounded number of examples
per operation and prints the seed of a failure.

Schemathesis's own pytest loader (``schemathesis.pytest.from_fixture``) does not run under
pytest 9 (it sets ``Node._nodeid``), so each operation is a plain parametrised test drawing
its cases from ``APIOperation.as_strategy()``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lantern.web.app import ROUTERS, create_app
from tests.web.conftest import Site

# Examples per operation and run: the default keeps the module under a minute; set
# LANTERN_FUZZ_EXAMPLES higher for a deeper run by hand.
EXAMPLES = int(os.environ.get("LANTERN_FUZZ_EXAMPLES", "10"))
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance]
# Fuzzing hunts for bugs in the routes; the backends' parity is what the rest of tests/web checks.
pytestmark = pytest.mark.parametrize("site", ["sqlite"], indirect=True)


def documented_operations() -> list[str]:
    """Every operation in the spec, known at collection time: the routers alone make the spec
    (checked against the running app's by ``test_the_spec_lists_these_operations``)."""
    bare = FastAPI()
    for router in ROUTERS:
        bare.include_router(router)
    return sorted(f"{method.upper()} {path}" for path, item in bare.openapi()["paths"].items()
                  for method in item)


OPERATIONS = documented_operations()


@pytest.fixture(scope="module")
def auth(site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.tokens['ana']}"}


@pytest.fixture(scope="module")
def api(site: Site, auth: dict[str, str]) -> Any:
    """The spec as served (it needs a login), bound to the app so calls stay in process."""
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(site.settings), headers=auth)


def fuzz(api: Any, auth: dict[str, str], label: str, case_name: str | None) -> None:
    """Draw cases for one operation and check every response. Bounded, with no deadline (the
    machine is shared; speed is bench/'s business) and no shrinking: a failure already comes
    with its curl command and seed, and shrinking one that writes (a judgement) takes minutes."""
    operation = api.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served spec"

    # Derandomised: CI draws the same cases on every run (a failure is reproducible, never a
    # coin toss); LANTERN_FUZZ_EXAMPLES raises the count for a deeper run.
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              database=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
              derandomize=True)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        if case_name is not None and "case" in (case.path_parameters or {}):
            case.path_parameters["case"] = case_name
        case.call_and_validate(headers=auth, checks=CHECKS)

    run()


def test_the_spec_lists_these_operations(api: Any) -> None:
    served = sorted(f"{op.ok().method.upper()} {op.ok().path}" for op in api.get_all_operations())
    assert served == OPERATIONS


@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_values_find_no_server_error(api: Any, auth: dict[str, str], label: str) -> None:
    fuzz(api, auth, label, None)


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_real_case_finds_no_server_error(api: Any, auth: dict[str, str], label: str) -> None:
    fuzz(api, auth, label, "default")
