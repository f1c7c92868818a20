"""The page's waits on jobs and the words of a preview's verdict, in headless Chromium against the real
stack (tests/conftest.py: real Redis, real Celery workers, the real API).

The page is opened with short deadlines (`/?job_start_s=1&job_limit_s=4`, the page's own options,
api/static/jobs.js) and over REST polling (Socket.IO refused), so that the test can stand between the
page and the server: it can hold a real job back ("queued" or "running", as a server without a free
worker would answer) and release it, and add one suggestion to a real session's result.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import requests

from tests.conftest import TOKENS, auth
from tests.e2e.test_page import (  # noqa: F401 (browser: the fixture)
    ARTIFACTS,
    SR,
    USER,
    WAIT_MS,
    _wav,
    browser,
    stems,
    sync_api,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

START_S, LIMIT_S = 1, 4
#: The review's case: a mud cut that the carrier's share resolves while the mix stays 6.09 dB over a
#: ±4 dB tolerance (core/session/mud.py writes this evidence; core/verify/in_session.py judges it).
MUD_ID = "sug_e2e_mud_cut"
MUD_EVIDENCE = {
    "carrier_share": 0.41, "carrier_share_above": 0.25,
    "mix_deviation_db": 7.9, "mix_deviation_db_above": 4.0, "genre": "pop",
}  # fmt: skip
#: A suggestion of the real session that the page can preview (not the one the test adds).
REAL_PREVIEWABLE = f"#suggestions .suggestion:not([data-id={MUD_ID}]):has(button.preview-btn)"
MUD_RESULT = {
    "suggestion_id": MUD_ID, "track_id": "", "type": "eq_cut", "scope": "session",
    "resolved": True, "improved": False,
    "before": {"mix_lufs": -14.2, "carrier_share": 0.41, "mix_deviation_db": 7.9},
    "after": {"mix_lufs": -14.9, "carrier_share": 0.19, "mix_deviation_db": 6.09},
    "side_effects": [],
    "audio": {"before": "/api/v1/previews/canned-mud/before.wav",
              "after": "/api/v1/previews/canned-mud/after.wav",
              "format": "wav", "sample_rate": SR, "channels": 2, "start_s": 0.0, "duration_s": 1.0,
              "loudness_matched": True, "match_gain_db": 0.7, "before_lufs": -20.0, "after_lufs": -20.7,
              "before_sha256": "0" * 64, "after_sha256": "1" * 64},
}  # fmt: skip


@dataclass
class Between:
    """What the test does to the page's traffic: jobs held back (fake id -> real id) and how."""

    hold_session: bool = False
    hold_preview: bool = False
    hold_set: bool = False
    held: dict[str, str] = field(default_factory=dict)
    #: "queued" (no worker took it), "running" (a worker never finishes it) or "" (released).
    state: str = "queued"
    health: dict[str, Any] | None = None


def snapshot(job_id: str, state: str) -> dict[str, Any]:
    running = state == "running"
    return {"job_id": job_id, "kind": "preview", "status": state, "progress": 0.4 if running else 0.0,
            "stage": "rendering" if running else "queued", "name": job_id, "sha256": None,
            "cached": False, "batch_id": None}  # fmt: skip


def with_mud_cut(job: dict[str, Any]) -> dict[str, Any]:
    """A session result with the mud cut first on its first track (the page lists P1 first)."""
    sa = (job.get("result") or {}).get("session_analysis")
    if sa and sa["tracks"]:
        track = sa["tracks"][0]
        cut = {"id": MUD_ID, "type": "eq_cut", "track_type": "kick",
               "target": {"track_id": track["track_id"], "band": "low_mid"},
               "parameters": {"freq_hz": 315.0, "gain_db": -5.0, "q": 1.0}, "priority": 1, "confidence": 0.7,
               "reason": "The mix's low mids sit +7.9 dB against the pop balance (±4 dB): mud.",
               "evidence": MUD_EVIDENCE}  # fmt: skip
        track["suggestions"] = [cut, *[s for s in track["suggestions"] if s["id"] != MUD_ID]]
    return job


@pytest.fixture(scope="module")
def between() -> Between:
    return Between()


@pytest.fixture(scope="module")
def page(
    browser: Any,  # noqa: F811
    api_url: str,
    workers: list[str],
    between: Between,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """A signed-in page, polling (Socket.IO refused), with short deadlines and the test in between,
    that has uploaded the two stems and seen their session analysed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.route_web_socket(re.compile(r"/socket\.io/"), lambda ws: ws.close())

    def hold(route: Any, holding: bool) -> None:
        response = route.fetch()
        body = response.json()
        if not holding or response.status != 202:
            route.fulfill(response=response)
            return
        fake = f"held-{body['job_id']}"
        between.held[fake] = body["job_id"]
        route.fulfill(status=202, json={**body, "job_id": fake, "status": "queued", "cached": False})

    def jobs(route: Any) -> None:
        job_id = route.request.url.rsplit("/", 1)[1]
        if job_id == "canned-mud":
            route.fulfill(
                json={**snapshot(job_id, "done"), "progress": 1.0, "stage": "done", "result": MUD_RESULT}
            )
            return
        if job_id in between.held and between.state:
            route.fulfill(json=snapshot(job_id, between.state))
            return
        real = between.held.get(job_id, job_id)
        response = route.fetch(url=f"{api_url}/api/v1/jobs/{real}")
        route.fulfill(status=response.status, json=with_mud_cut(response.json()))

    def preview(route: Any) -> None:
        if f"/suggestions/{MUD_ID}/" in route.request.url:
            route.fulfill(status=202, json={"job_id": "canned-mud", "status": "queued", "cached": False})
        else:
            hold(route, between.hold_preview)

    def preview_set(route: Any) -> None:
        """The set preview, without the suggestion the test added (the server never listed it)."""
        body = route.request.post_data_json
        body["suggestion_ids"] = [i for i in body["suggestion_ids"] if i != MUD_ID]
        response = route.fetch(post_data=json.dumps(body))
        payload = response.json()
        if not between.hold_set or response.status != 202:
            route.fulfill(response=response)
            return
        fake = f"held-{payload['job_id']}"
        between.held[fake] = payload["job_id"]
        route.fulfill(status=202, json={**payload, "job_id": fake, "status": "queued", "cached": False})

    def health(route: Any) -> None:
        if between.health is None:
            route.fallback()
        else:
            route.fulfill(json=between.health)

    clip = _wav(0.1 * np.sin(2 * np.pi * 220.0 * np.arange(SR) / SR))
    pg.route("**/api/v1/sessions/*/analyze", lambda route: hold(route, between.hold_session))
    pg.route("**/api/v1/suggestions/*/preview", preview)
    pg.route("**/api/v1/sessions/*/preview", preview_set)
    pg.route("**/api/v1/jobs/*", jobs)
    pg.route(
        "**/api/v1/previews/canned-mud/*", lambda route: route.fulfill(body=clip, content_type="audio/wav")
    )
    pg.route("**/health", health)
    pg.goto(f"{api_url}/?job_start_s={START_S}&job_limit_s={LIMIT_S}")
    pg.locator("body[data-ready='1']").wait_for()
    pg.fill("#token", TOKENS[USER])
    pg.click("#signin-form button[type=submit]")
    sync_api.expect(pg.locator("#live")).to_have_text("polling")
    folder = tmp_path_factory.mktemp("stems")
    for name, data in stems().items():
        (folder / name).write_bytes(data)
    pg.set_input_files("#file-input", sorted(str(p) for p in folder.iterdir()))
    sync_api.expect(pg.locator("#session-status")).to_have_text(
        "Session of 2 track(s) analysed.", timeout=WAIT_MS
    )
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def wait_done(api_url: str, fake: str, between: Between) -> None:
    """Wait (on the server, not the page) until the real job behind ``fake`` has finished."""
    real = between.held[fake]
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        job = requests.get(f"{api_url}/api/v1/jobs/{real}", headers=auth(USER), timeout=10).json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            return
        time.sleep(0.2)
    raise AssertionError(f"{real} did not finish")


def test_a_session_analysis_no_worker_takes_says_so_and_retry_waits_again(
    page: Any, api_url: str, between: Between
) -> None:
    """No worker picks the session job up: past the start deadline the page stops waiting, says so
    with what /health says (no worker running), and Retry waits for the same job again."""
    between.hold_session, between.state = True, "queued"
    between.health = {"status": "degraded", "redis": "ok", "workers": 0, "stale_jobs": 0,
                      "queues": {"analysis": 1, "learning": 0}}  # fmt: skip
    page.locator("#tracks tbody tr").nth(1).locator("select").select_option("synth")  # analyses again
    status = page.locator("#session-status")
    sync_api.expect(status).to_contain_text(
        f"no worker picked up the session analysis in {START_S} s", timeout=WAIT_MS
    )
    sync_api.expect(status).to_contain_text("the server reports no worker running")
    retry = status.locator("button.retry")
    sync_api.expect(retry).to_have_text("Retry")
    status.screenshot(path=str(ARTIFACTS / "e2e-session-late.png"))
    (fake,) = list(between.held)
    wait_done(api_url, fake, between)  # a worker took it after all (the stack has two)
    between.hold_session, between.state, between.health = False, "", None  # the page may see it now
    retry.click()
    sync_api.expect(status).to_have_text("Session of 2 track(s) analysed.", timeout=WAIT_MS)
    sync_api.expect(page.locator(f"#suggestions .suggestion[data-id={MUD_ID}]")).to_have_count(1)


def test_a_preview_no_worker_takes_says_so_and_retry_shows_it(
    page: Any, api_url: str, between: Between
) -> None:
    """The same for a preview: it used to say "rendering…" for ever."""
    between.hold_preview, between.state = True, "queued"
    between.held.clear()
    item = page.locator(REAL_PREVIEWABLE).first
    item.wait_for(timeout=WAIT_MS)
    button = item.locator("button.preview-btn")
    button.click()
    status = item.locator(".preview-status")
    sync_api.expect(status).to_contain_text(
        f"no worker picked up the preview in {START_S} s", timeout=WAIT_MS
    )
    sync_api.expect(status).to_contain_text("worker")  # what the real /health says: two workers, busy?
    sync_api.expect(button).to_have_text("Retry")
    sync_api.expect(item.locator(".preview-panel")).to_have_count(0)
    (fake,) = [k for k in between.held]
    wait_done(api_url, fake, between)
    between.state = ""
    button.click()
    sync_api.expect(item.locator(".preview-panel")).to_have_count(1, timeout=WAIT_MS)
    sync_api.expect(status).to_have_text("ready")
    sync_api.expect(button).to_have_text("Preview")
    assert len(between.held) == 1  # Retry waited for the same job; it did not queue another


def test_a_preview_that_never_finishes_is_given_up(page: Any, between: Between) -> None:
    """A worker took the preview but it never finishes: given up at the overall limit, saying where it was."""
    between.hold_preview, between.state = True, "running"
    between.held.clear()
    item = page.locator(REAL_PREVIEWABLE).first
    item.wait_for(timeout=WAIT_MS)
    item.locator("button.preview-btn").click()
    status = item.locator(".preview-status")
    sync_api.expect(status).to_contain_text(
        f"the preview did not finish in {LIMIT_S} s (last: rendering, 40 %)", timeout=WAIT_MS
    )
    sync_api.expect(item.locator("button.preview-btn")).to_have_text("Retry")
    between.hold_preview, between.state = False, ""


def test_a_set_preview_no_worker_takes_says_so_and_retry_shows_it(
    page: Any, api_url: str, between: Between
) -> None:
    """The top moves previewed together, held back as no free worker would: Retry waits for the same
    job with the same moves, and shows it."""
    between.hold_set, between.state = True, "queued"
    between.held.clear()
    box = page.locator("#preview-set")
    button = box.locator("button.preview-set-btn")
    button.click()
    status = box.locator(".preview-status")
    sync_api.expect(status).to_contain_text(
        f"no worker picked up the preview in {START_S} s", timeout=WAIT_MS
    )
    sync_api.expect(button).to_have_text("Retry")
    (fake,) = list(between.held)
    wait_done(api_url, fake, between)
    between.hold_set, between.state = False, ""
    button.click()
    sync_api.expect(box.locator(".preview-panel")).to_have_count(1, timeout=WAIT_MS)
    sync_api.expect(status).to_have_text("ready")
    sync_api.expect(button).to_have_text("Preview the top moves together")
    assert len(between.held) == 1  # Retry waited for the same job; it did not queue another


def test_the_verdict_says_which_cited_lines_are_cleared_and_which_are_not(page: Any) -> None:
    """A mud cut resolved by the carrier's share while the mix stays 6.09 dB over its ±4 dB: the page
    no longer says the measures it cites are all back in range."""
    item = page.locator(f"#suggestions .suggestion[data-id={MUD_ID}]")
    item.locator("button.preview-btn").click()
    panel = item.locator(".preview-panel")
    panel.wait_for(timeout=WAIT_MS)
    sync_api.expect(panel.locator(".verdict")).not_to_contain_text("back in range")
    verdict = panel.locator(".verdict-block")
    sync_api.expect(verdict.locator(".verdict")).to_have_class(re.compile(r"\bresolved\b"))
    sync_api.expect(verdict.locator(".verdict")).to_contain_text("not every measure it cites is back")
    sync_api.expect(verdict.locator("li.back")).to_have_text("carrier share: 0.41 → 0.19, back under 0.25")
    sync_api.expect(verdict.locator("li.past")).to_have_text("mix deviation (dB): 7.90 → 6.09, still above 4")
    rows = panel.locator("table.before-after tbody")
    sync_api.expect(rows.locator("tr[data-measure=carrier_share] td.line")).to_have_text("back under 0.25")
    sync_api.expect(rows.locator("tr[data-measure=mix_deviation_db] td.line")).to_have_text("still above 4")
    sync_api.expect(rows.locator("tr[data-measure=mix_lufs] td.line")).to_have_text("")
    item.screenshot(path=str(ARTIFACTS / "e2e-preview-verdict.png"))
