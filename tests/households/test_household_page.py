"""The household's portal page in-process: figures, sentences, headers, no token in links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from tests.households.household_city import KEY, HouseholdCity, month_start
from tests.support.links import household_link


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[tuple[str, str]] = []  # (tag, url)
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("href", "src", "action"):
            if a.get(name):
                self.hrefs.append((tag, a[name] or ""))
        if (
            (tag == "script" and not a.get("src"))
            or "style" in a
            or any(k.startswith("on") for k in a)
        ):
            self.inline.append(tag)


def _page(client: TestClient, token: str, lang: str | None = None):  # type: ignore[no-untyped-def]
    params = {"token": token} | ({"lang": lang} if lang else {})
    return client.get("/household", params=params)


def test_the_page_shows_months_savings_co2e_and_peers(
    homes: tuple[TestClient, HouseholdCity],
) -> None:
    client, c = homes
    token = household_link("kim-0001", KEY)
    r = _page(client, token, "en")
    assert r.status_code == 200, r.text
    html = r.text
    for utility in ("electricity", "gas", "water"):
        assert f'id="hh-{utility}-table"' in html
    # Every month of every utility is a row with its source.
    rows = re.findall(
        r'<tr data-label="(\d{4}-\d\d)" data-value="([\d.]+)" data-source="(\w+)"', html
    )
    assert len(rows) == len(c.expected)
    assert "10.0%) less than" in html and "20.0%) less than" in html and "5.0%) less than" in html
    baseline = f"({month_start(c.today, -18):%Y-%m} – {month_start(c.today, -7):%Y-%m})"
    assert f"Baseline: a model fitted to the 12 months before joining {baseline}" in html
    assert "adjusted for heating degree-days (base 18 °C)" in html  # gas
    assert "Fewer than 3 similar households (Detached house)" in html  # gas
    assert "3 households with figures" in html  # electricity
    assert "Includes a bill spanning two months" in html
    assert "Green remodelling" in html and "roof insulation" in html


def test_the_token_stays_on_this_page(homes: tuple[TestClient, HouseholdCity]) -> None:
    client, _ = homes
    token = household_link("kim-0001", KEY)
    r = _page(client, token)
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in r.headers["x-robots-tag"]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    links = Links()
    links.feed(r.text)
    with_token = [u for _, u in links.hrefs if token in u]
    # Only the language switch of this very page carries it.
    assert with_token == [f"/household?token={token}&lang=en"], with_token
    assert links.inline == []
    assert 'lang="ko"' in r.text and "우리 집 에너지" in r.text


def test_a_wrong_or_missing_link_says_so(homes: tuple[TestClient, HouseholdCity]) -> None:
    client, _ = homes
    for params in ({"token": household_link("kim-0001", "other-key")}, {}):
        r = client.get("/household", params=params | {"lang": "en"})
        assert r.status_code == 401
        assert "This link cannot be verified" in r.text and "hh-summary" not in r.text
        assert r.headers["cache-control"] == "private, no-store"


def test_a_household_without_enrolment_or_peers(homes: tuple[TestClient, HouseholdCity]) -> None:
    client, _ = homes
    html = _page(client, household_link("park-0002", KEY), "en").text
    assert "There is no programme enrolment on record" in html
    assert 'id="hh-gas-table"' not in html and 'id="hh-electricity-table"' in html
    assert "Fewer than 3 similar households (Apartment)" in html
