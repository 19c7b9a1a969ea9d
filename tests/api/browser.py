"""Helpers of the browser tests: Debian's Chromium driven by Playwright, with every script error
and every native dialog (alert, confirm) the page raises collected for the test to assert on."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import CHROMIUM, CHROMIUM_ARGS

needs_chromium = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)
# Screenshots of the browser tests: pytest's tmp folder, and a copy here for people to look at.
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


@dataclass
class Browsing:
    page: Any  # playwright.async_api.Page
    expect: Any  # playwright.async_api.expect
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # native dialogs: alert() from an XSS

    async def shot(self, folder: Path, name: str) -> Path:
        """A full-page screenshot ``folder/name.png``, copied to ``out/screenshots/``."""
        path = folder / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)  # makes the folder
        await asyncio.to_thread(_copy, path, SHOTS / path.name)
        return path


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())


@asynccontextmanager
async def chromium_page(
    url: str, *, width: int = 1100, height: int = 1400
) -> AsyncIterator[Browsing]:
    """The page at ``url`` in headless Chromium."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": width, "height": height})
            seen = Browsing(page, playwright_api.expect)
            page.on("pageerror", lambda error: seen.errors.append(str(error)))
            page.on(
                "console",
                lambda msg: (
                    seen.errors.append(f"{msg.text} {msg.location}")
                    if msg.type == "error"
                    else None
                ),
            )

            async def on_dialog(dialog: Any) -> None:
                seen.dialogs.append(f"{dialog.type}: {dialog.message}")
                await dialog.dismiss()

            page.on("dialog", on_dialog)
            await page.goto(url)
            yield seen
        finally:
            await browser.close()


async def fonts_drawing(page: Any, selector: str) -> dict[str, int]:
    """The web fonts (``@font-face``, not the system's) Chromium really drew ``selector``'s text
    with, family -> glyphs, from the DevTools protocol: what the page shows, not what its CSS
    asks for."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("DOM.enable")
    await cdp.send("CSS.enable")
    root = await cdp.send("DOM.getDocument")
    node = await cdp.send(
        "DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector}
    )
    fonts = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return {f["familyName"]: f["glyphCount"] for f in fonts["fonts"] if f["isCustomFont"]}
