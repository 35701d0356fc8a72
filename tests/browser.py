"""A real headless browser for tests: Playwright driving Debian's `chromium` package.

Playwright's own browser download cannot work offline, so tests never run `playwright install`;
they launch the system browser through `executable_path`. A missing browser fails the test with
what to do (`make test` installs it first: .ci/chromium.sh).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright, expect

CANDIDATES = ("chromium", "chromium-browser")
# How long an expectation waits for the page to show what it expects (Playwright's default is 5 s).
# Drawing a chart with plotly.js took longer than 5 s on a 2-core machine running other suites; an
# expectation still passes as soon as the page shows it, so a longer bound only costs failing runs.
expect.set_options(timeout=30_000)


def chromium_path() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "no chromium browser on PATH: install Debian's package (`apt-get install -y chromium`, as root); "
        "`make test` does it when it can. Never `playwright install`: it downloads a browser.",
        pytrace=False,
    )


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    # As root, Chromium refuses to start with its sandbox on.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=args)
        try:
            yield browser
        finally:
            await browser.close()
