"""One browser, two households (a community centre PC, a family laptop): the survey edit handle
opens a response only under the session that answered. B, after A, can neither read A's answers
(A's free text is on no page and in no JSON B fetches) nor change them; B's own submission is
B's own response, and after the close both are counted with A's text intact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api import session
from tests.trust.conftest import World, put_cookie, set_cookies

A_TEXT = "A-household-private-reason-7f3e"
A_ANSWERS = {
    "data_useful": 2,
    "policy_support": "no",
    "policy_why_not": A_TEXT,
    "monthly_bill": 61,
}
B_ANSWERS = {"data_useful": 5, "policy_support": "yes", "monthly_bill": 40}


def _open_round(world: World) -> int:
    s = world.app.state.surveys
    now = world.clock()
    draft = s.rounds.create(
        "energy_policy",
        now - timedelta(hours=1),
        now + timedelta(days=14),
        now + timedelta(days=21),
    )
    return s.rounds.open(draft.id).id


def _everything_b_fetches(browser: TestClient, rid: int) -> str:
    pages = [
        f"/surveys/{rid}",
        f"/surveys/{rid}?lang=en",
        "/surveys",
        f"/v1/surveys/rounds/{rid}/response",
        f"/v1/surveys/rounds/{rid}",
        f"/v1/surveys/rounds/{rid}/results",
        "/v1/board/me",
        "/board",
    ]
    return "\n".join(browser.get(p).text for p in pages)


@pytest.mark.parametrize("a_logs_out", [True, False])
def test_b_after_a_on_one_browser(world: World, a_logs_out: bool) -> None:
    rid = _open_round(world)
    [code_a, code_b] = world.codes(["101-1", "101-2"])
    browser = world.client()  # one cookie jar for both households
    csrf_a = world.sign_in(browser, code_a)
    r = browser.post(
        f"/v1/surveys/rounds/{rid}/response",
        json={"answers": A_ANSWERS},
        headers={"X-CSRF-Token": csrf_a},
    )
    assert r.status_code == 201, r.text
    a_handle_cookie = browser.cookies[session.edit_cookie(rid)]
    own = browser.get(f"/v1/surveys/rounds/{rid}/response")
    assert own.status_code == 200 and own.json()["answers"]["policy_why_not"] == A_TEXT
    assert A_TEXT in browser.get(f"/surveys/{rid}").text  # A's own form, filled in
    if a_logs_out:
        out = browser.post("/v1/board/logout", headers={"X-CSRF-Token": csrf_a})
        assert out.status_code == 204
        assert session.edit_cookie(rid) in set_cookies(out)  # the handle is cleared too
        assert session.edit_cookie(rid) not in browser.cookies

    csrf_b = world.sign_in(browser, code_b)
    # Whatever the browser still holds, and A's handle cookie put back on purpose: neither
    # opens A's response under B's session.
    for _ in range(2):
        seen = _everything_b_fetches(browser, rid)
        assert A_TEXT not in seen
        assert browser.get(f"/v1/surveys/rounds/{rid}/response").status_code == 404
        overwrite = browser.put(
            f"/v1/surveys/rounds/{rid}/response",
            json={"answers": B_ANSWERS},
            headers={"X-CSRF-Token": csrf_b},
        )
        assert overwrite.status_code == 404
        put_cookie(browser, session.edit_cookie(rid), a_handle_cookie)

    # B's submission (through the portal's form) is B's own, counted response.
    assert 'id="survey-form"' in browser.get(f"/surveys/{rid}").text  # a blank form
    form = {k: str(v) for k, v in B_ANSWERS.items()} | {"csrf_token": csrf_b}
    r = browser.post(f"/surveys/{rid}", data=form)
    assert r.status_code == 303 and r.headers["location"].endswith("note=recorded"), r.text
    assert browser.cookies[session.edit_cookie(rid)] != a_handle_cookie
    mine = browser.get(f"/v1/surveys/rounds/{rid}/response").json()["answers"]
    assert mine["policy_support"] == "yes" and "policy_why_not" not in mine
    again = browser.post(
        f"/v1/surveys/rounds/{rid}/response",
        json={"answers": B_ANSWERS},
        headers={"X-CSRF-Token": csrf_b},
    )
    assert again.status_code == 409  # one response per household, B's included

    # After the close: two responses, A's answers and text as A left them.
    s = world.app.state.surveys
    s.rounds.close(rid)
    results = s.results(rid, staff=True)
    support = next(q for q in results["questions"] if q["question"] == "policy_support")
    assert support["all"]["respondents"] == 2
    assert support["all"]["counts"]["yes"] == 1 and support["all"]["counts"]["no"] == 1
    texts = [t["text"] for t in s.responses.pending_texts(rid)]
    assert texts == [A_TEXT]
    assert browser.get(f"/v1/surveys/rounds/{rid}/response").status_code in (404, 409)


def test_a_handle_is_refused_in_another_browser_of_the_same_session(world: World) -> None:
    """The handle is bound to the session, not to the browser's cookie jar alone: copied with
    the session cookie it works (same session), and after a sign-in of the same household
    elsewhere it does not."""
    rid = _open_round(world)
    browser, csrf = world.resident("101-1")
    r = browser.post(
        f"/v1/surveys/rounds/{rid}/response",
        json={"answers": A_ANSWERS},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201
    handle = browser.cookies[session.edit_cookie(rid)]
    [code] = world.codes(["101-1"])  # a new code: the old session ends
    other = world.client()
    world.sign_in(other, code)
    put_cookie(other, session.edit_cookie(rid), handle)
    assert other.get(f"/v1/surveys/rounds/{rid}/response").status_code == 404
    page = other.get(f"/surveys/{rid}?lang=en").text
    assert A_TEXT not in page
    # The household is told it has answered, and is offered no second answer.
    assert "Your household has answered this round" in page and 'id="survey-form"' not in page
