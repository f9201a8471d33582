"""Telling live processes, and a process's children and descendants, from /proc."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lantern import processes

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads Linux's /proc")


def test_a_process_tree_is_found_whole_and_a_dead_process_is_not_alive():
    # A child that starts a grandchild and prints its pid.
    script = ("import subprocess, sys, time\n"
              "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
              "print(g.pid, flush=True)\n"
              "time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        grandchild = int(child.stdout.readline())
        me = os.getpid()
        assert child.pid in processes.children(me)
        assert grandchild not in processes.children(me)
        assert processes.children(child.pid) == [grandchild]
        assert {child.pid, grandchild} <= set(processes.descendants(me))
        assert processes.descendants(grandchild) == []
        assert processes.alive(grandchild)
    finally:
        os.kill(grandchild, 9)
        child.kill()
        child.wait()
    assert not processes.alive(child.pid)  # killed and reaped
