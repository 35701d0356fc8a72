"""Imported only by the pack workers' fork server: lowers its CPU priority and ignores Ctrl-C, which
every worker inherits.

A pack worker starts by forking the fork server and then, as multiprocessing does for every child,
re-importing the API's main module (about a second of CPU for `convoflow up`). Lowering the priority
in the worker's initializer comes too late for that: after an attack killed both workers, their two
replacements took both cores from the event loop for that second and GETs waited 200 ms. Set here,
the fork server and everything forked from it start niced.
"""

from __future__ import annotations

import os
import signal

NICENESS = 10
"""Checking a pack is background work next to serving requests: the API process always comes first."""

os.nice(NICENESS)
# A terminal's Ctrl-C reaches the whole process group: each worker printed "Process
# ForkServerProcess-N:" and a KeyboardInterrupt traceback over `convoflow up`'s orderly stop. The
# API process ends its pool itself (and a worker whose API process is gone exits, pack_parsing.py).
signal.signal(signal.SIGINT, signal.SIG_IGN)
