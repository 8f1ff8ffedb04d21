"""Walking the page forms like a browser would (without JavaScript)."""

from __future__ import annotations

import re

from tests.web.support import TestClient


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def flag_fields(html: str) -> list[str]:
    return re.findall(r'name="(flag_[a-z_]+)" value="no"', html)


def post_step(client: TestClient, html: str, **fields: str) -> str | None:
    """Submit the session form shown in ``html`` with its hidden fields plus ``fields``.

    Returns the next page's HTML, or None when the answer is a redirect.
    """
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))
    hidden.update(fields)
    response = client.post("/session", data=hidden)
    if response.status_code == 303:
        return None
    assert response.status_code in (200, 422), response.text
    return response.text


def complete_session(
    client: TestClient,
    *,
    pain: tuple[int, int, int] = (3, 2, 2),
    where: tuple[str, str] = ("thigh", "buttock"),
    effort: str = "easy",
) -> None:
    page = client.get("/session")
    assert page.status_code == 200, page.headers.get("location")
    html = page.text
    step = post_step(client, html, action="next", **{f: "no" for f in flag_fields(html)})
    assert step is not None and "Before you start" in step
    step = post_step(
        client, step, action="next", pain_before=str(pain[0]), location_before=where[0]
    )
    assert step is not None and 'id="rep-trainer"' in step
    step = post_step(client, step, action="next", reps="10")
    assert step is not None and "How was it?" in step
    done = post_step(
        client,
        step,
        action="next",
        pain_during=str(pain[1]),
        pain_after=str(pain[2]),
        location_after=where[1],
        effort=effort,
    )
    assert done is None
