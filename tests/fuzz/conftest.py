"""Hypothesis profiles for the fuzz tests, and the temp-file helpers they share.

Two profiles: ``lantern-ci`` (the default: few examples, derandomised so CI never flakes on a
new random draw) and ``lantern-deep`` (``LANTERN_FUZZ_PROFILE=deep``, as ``make fuzz`` sets it:
many more examples from a fresh random seed, printed with any failure so it can be replayed).
Each test states its CI budget with :func:`fuzz`; the deep profile multiplies it.

The profile is chosen in ``pytest_configure``, not loaded globally, so the rest of the suite
keeps Hypothesis's own defaults.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

PROFILES = {"ci": ("lantern-ci", 1), "deep": ("lantern-deep", 25)}

settings.register_profile(
    "lantern-ci",
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "lantern-deep",
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_active = {"name": "lantern-ci", "scale": 1}


def pytest_configure(config: pytest.Config) -> None:
    choice = os.environ.get("LANTERN_FUZZ_PROFILE", "ci")
    if choice not in PROFILES:
        raise pytest.UsageError(
            f"LANTERN_FUZZ_PROFILE={choice!r}: the profiles are {', '.join(PROFILES)}"
        )
    _active["name"], _active["scale"] = PROFILES[choice]


def fuzz(examples: int, **overrides: Any) -> settings:
    """Settings for one property: ``examples`` in CI, many times that in the deep profile."""
    return settings(
        settings.get_profile(str(_active["name"])),
        max_examples=examples * int(_active["scale"]),
        **overrides,
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"lantern fuzz profile: {_active['name']} (x{_active['scale']} examples)"
