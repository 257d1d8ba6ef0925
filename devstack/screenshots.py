"""The portal's pages photographed from a running demo (the README's screenshots).

    python -m devstack.screenshots --base http://127.0.0.1:8000 --out docs/screenshots \\
        --household-link 'http://127.0.0.1:8000/household?token=...' \\
        --staff demo-operator:PASSWORD --staff demo-administrator:PASSWORD \\
        --staff demo-facility-manager:PASSWORD
    python -m devstack.screenshots --base ... --demo-log demo.out   # both from its output

Each page whole-length at a desktop's and a phone's width, its charts drawn, as
`<name>-desktop.png` and `<name>-phone.png`. The household link and the staff accounts
are the ones the demo prints once at start; pages they open are skipped without them,
as are a board post without a chart and a household page with no months to show.
Pages that need a staged scene (a meter gone stale, an agent stopped, a dominated dong,
a survey round) come from the browser tests that stage it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from playwright.sync_api import Browser, Page, sync_playwright

from devstack.browser import launch

SIZES = {"desktop": (1280, 900), "phone": (360, 740)}
MAX_HEIGHT = 6_000  # px of a page's top photographed
# Public pages: name -> path. The dong is Hanam, with the phase-1 industrial complex.
PUBLIC = {
    "city": "/",
    "map": "/map",
    "map-month": "/map?period=month",
    "building-types": "/building-types",
    "district": "/districts/29200",
    "dong": "/dongs/2920064000",
    "board-list": "/board",
    "staff-signin": "/staff/signin",
}
# Staff pages by role name of the demo's accounts: name -> path ({site}: the manager's).
STAFF = {
    "demo-operator": {"operations": "/operations"},
    "demo-administrator": {"staff-audit": "/staff/audit"},
    "demo-facility-manager": {"facility-site": "/facility/{site}"},
}
FACILITY_SITE = "hanam-ic"


@dataclass(frozen=True)
class Account:
    name: str
    password: str

    @classmethod
    def parse(cls, text: str) -> Account:
        name, sep, password = text.partition(":")
        if not sep or not name or not password:
            raise typer.BadParameter(f"--staff {text!r}: expected NAME:PASSWORD")
        return cls(name, password)


def shoot(page: Page, name: str, out: Path) -> list[Path]:
    """The current page at each width, whole length, its charts drawn."""
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        if page.locator(".chart").count():
            page.wait_for_selector(".chart[data-ready=true]", timeout=30_000)
            page.wait_for_timeout(1200)  # the chart's resize and entry animation
        target = out / f"{name}-{size}.png"
        tall = page.evaluate("document.documentElement.scrollHeight")
        # A page as long as the city's fleet (1,200 agents) is shown by its top.
        clip = {"x": 0, "y": 0, "width": width, "height": min(tall, MAX_HEIGHT)}
        page.screenshot(path=str(target), full_page=True, clip=clip)
        taken.append(target)
    return taken


def take(
    browser: Browser,
    base: str,
    out: Path,
    household_link: str | None = None,
    staff: list[Account] | None = None,
) -> list[Path]:
    """Every page this demo can show: the public ones, the household's, the staff's."""
    taken: list[Path] = []
    context = browser.new_context(base_url=base, locale="ko-KR")
    try:
        page = context.new_page()
        for name, path in PUBLIC.items():
            _open(page, path)
            taken += shoot(page, name, out)
        post = _post_with_chart(page)
        if post:
            _open(page, post)
            taken += shoot(page, "board-post", out)
        if household_link:
            _open(page, household_link)
            if page.locator(".chart").count():  # a household with months to show
                taken += shoot(page, "household", out)
    finally:
        context.close()
    for account in staff or []:
        taken += _staff_pages(browser, base, out, account)
    return taken


def _post_with_chart(page: Page) -> str | None:
    """The board's first post that shows its dong's figures beside it."""
    _open(page, "/board")
    links = page.locator("a[href*='/board/posts/']")
    hrefs = [str(links.nth(i).get_attribute("href")) for i in range(min(links.count(), 10))]
    for href in dict.fromkeys(hrefs):
        _open(page, href)
        if page.locator(".chart").count():
            return href
    return None


def _staff_pages(browser: Browser, base: str, out: Path, account: Account) -> list[Path]:
    """The pages of one staff account, in a browser of its own (one session each)."""
    pages = STAFF.get(account.name, {})
    if not pages:
        return []
    context = browser.new_context(base_url=base, locale="ko-KR")
    try:
        page = context.new_page()
        _open(page, "/staff/signin")
        page.fill("input[name=name]", account.name)
        page.fill("input[name=password]", account.password)
        with page.expect_navigation():
            page.click("form button[type=submit]")
        taken = []
        for name, path in pages.items():
            _open(page, path.format(site=FACILITY_SITE))
            taken += shoot(page, name, out)
        return taken
    finally:
        context.close()


def _open(page: Page, path: str) -> None:
    page.set_viewport_size({"width": SIZES["desktop"][0], "height": SIZES["desktop"][1]})
    response = page.goto(path)
    if response is None or response.status >= 400:
        status = response.status if response else "no response"
        raise RuntimeError(f"{_without_token(path)}: {status}")
    # Not "networkidle": the live pages hold a stream open.
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)  # the live pages' first figures from their stream


_LINK = re.compile(r"^\s*page:\s+(\S+/household\?token=\S+)$", re.M)
_ACCOUNT = re.compile(r"^\s*(demo-[a-z-]+)\s+\S.*?\s(\S{12,})\s*$", re.M)


def from_demo_log(text: str) -> tuple[str | None, list[Account]]:
    """The household link and the staff accounts the demo printed at its start."""
    link = _LINK.search(text)
    return (link[1] if link else None), [Account(n, p) for n, p in _ACCOUNT.findall(text)]


def _without_token(path: str) -> str:
    return re.sub(r"token=[^&]+", "token=…", path)


def main(
    base: Annotated[str, typer.Option(help="the running demo's base URL")],
    out: Annotated[Path, typer.Option(help="where the PNGs go")] = Path("docs/screenshots"),
    household_link: Annotated[
        str | None, typer.Option(help="the household page link the demo printed")
    ] = None,
    staff: Annotated[
        list[str] | None, typer.Option(help="NAME:PASSWORD of a demo staff account; repeat")
    ] = None,
    demo_log: Annotated[
        Path | None, typer.Option(help="the demo's console output: link and accounts from it")
    ] = None,
) -> None:
    accounts = [Account.parse(s) for s in staff or []]
    if demo_log is not None:
        link, printed = from_demo_log(demo_log.read_text(errors="replace"))
        household_link = household_link or link
        accounts += printed
    with sync_playwright() as p:
        browser = launch(p)
        try:
            taken = take(browser, base, out, household_link, accounts)
        finally:
            browser.close()
    for path in taken:
        typer.echo(path)


if __name__ == "__main__":
    typer.run(main)
