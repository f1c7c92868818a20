"""The page at / in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against the
real stack: a real Redis, two real Celery workers and the real API process, all from tests/conftest.

Skipped, with the reason, only when chromium or playwright is missing (scripts/dev.sh test installs
chromium when it can; playwright is in the dev extra). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import soundfile as sf

from tests.conftest import ROOT, TOKENS, auth

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = ROOT / "tests" / "artifacts"
USER = "bob"  # the integration tests give no feedback as bob, so his learning report is ours to watch
WAIT_MS = 150_000
SR = 44_100
BPM = 120.0

if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)


def _wav(y: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.stack([y, y], axis=1).astype(np.float32), SR, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def stems(seconds: float = 8.0) -> dict[str, bytes]:
    """A kick on every beat and a bass line under it at 120 BPM: they mask each other in the low end."""
    t = np.arange(int(seconds * SR)) / SR
    beat = 60.0 / BPM
    kick = np.zeros_like(t)
    n = int(0.25 * SR)
    tt = np.arange(n) / SR
    hit = np.sin(2 * np.pi * (50 + 80 * np.exp(-tt * 30)) * tt) * np.exp(-tt * 12)
    for start in np.arange(0.0, seconds, beat):
        i = int(start * SR)
        kick[i : i + n] += hit[: len(kick) - i]
    bass = np.zeros_like(t)
    m = int(2 * beat * SR)
    tb = np.arange(m) / SR
    for k, start in enumerate(np.arange(0.0, seconds, 2 * beat)):
        f = (55.0, 55.0, 65.41, 49.0)[k % 4]
        note = (np.sin(2 * np.pi * f * tb) + 0.4 * np.sin(4 * np.pi * f * tb)) * np.minimum(1, tb * 50)
        i = int(start * SR)
        bass[i : i + m] += (note * np.exp(-tb * 1.5))[: len(bass) - i]
    return {"01 Kick.wav": _wav(0.8 * kick), "02 Bass.wav": _wav(0.5 * bass)}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(
    browser: Any, api_url: str, workers: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A signed-in page that has uploaded the two stems and seen both finish."""
    ARTIFACTS.mkdir(exist_ok=True)
    folder = tmp_path_factory.mktemp("stems")
    paths = []
    for name, data in stems().items():
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(api_url + "/")
    pg.locator("body[data-ready='1']").wait_for()
    pg.screenshot(path=str(ARTIFACTS / "e2e-signin.png"))
    pg.fill("#token", "wrong-token")
    pg.click("#signin-form button[type=submit]")
    sync_api.expect(pg.locator("#signin-error")).to_contain_text("not valid")
    pg.fill("#token", TOKENS[USER])
    pg.click("#signin-form button[type=submit]")
    pg.locator("#app").wait_for()
    sync_api.expect(pg.locator("#live")).to_have_text("live", timeout=10_000)
    pg.set_input_files("#file-input", paths)
    pg.locator("#tracks tbody tr").nth(1).wait_for()
    pg.screenshot(path=str(ARTIFACTS / "e2e-progress.png"), full_page=True)
    pg.locator("#tracks button.open:not([disabled])").nth(1).wait_for(timeout=WAIT_MS)
    yield pg
    pg.screenshot(path=str(ARTIFACTS / "e2e-final.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_two_uploads_finish_and_a_result_opens(page: Any) -> None:
    rows = page.locator("#tracks tbody tr")
    sync_api.expect(rows).to_have_count(2)
    for i, name in enumerate(("01 Kick.wav", "02 Bass.wav")):
        sync_api.expect(rows.nth(i).locator("th")).to_have_text(name)
        sync_api.expect(rows.nth(i).locator(".stage")).to_have_text("done")
        sync_api.expect(rows.nth(i).locator(".lufs")).not_to_have_text("—")
    sync_api.expect(rows.nth(0).locator("select")).to_have_value("kick")
    sync_api.expect(rows.nth(1).locator("select")).to_have_value("bass")
    page.locator("#tracks tbody tr").nth(0).locator("button.open").click()
    view = page.locator("#track-view")
    view.wait_for()
    sync_api.expect(page.locator("#track-title")).to_have_text("01 Kick.wav")
    sync_api.expect(page.locator("#track-title")).to_be_focused()
    metrics = page.locator("#track-metrics")
    for label in ("Integrated loudness", "True peak", "Loudness range", "Tempo", "Key", "Quality score"):
        sync_api.expect(metrics).to_contain_text(label)
    sync_api.expect(metrics).to_contain_text("Spotify")
    sync_api.expect(page.locator("#band-chart svg rect.bar")).to_have_count(7)
    sync_api.expect(page.locator("#curve-chart svg path.line")).to_have_count(1)
    page.select_option("#platform", "ebu_r128")  # a quieter target: the comparison follows
    sync_api.expect(metrics).to_contain_text("EBU R128")
    view.screenshot(path=str(ARTIFACTS / "e2e-track.png"))
    page.select_option("#platform", "spotify")


def test_session_view_and_feedback_changes_the_learning_report(page: Any, api_url: str) -> None:
    page.locator("#suggestions .suggestion").first.wait_for(timeout=WAIT_MS)
    sync_api.expect(page.locator("#session-metrics")).to_contain_text("Genre")
    assert page.locator("#mask-chart svg rect.cell").count() == 2  # two tracks: two off-diagonal cells
    page.locator("#session-view").screenshot(path=str(ARTIFACTS / "e2e-session.png"))
    before = report(api_url)
    first = page.locator("#suggestions .suggestion").first
    first.locator("select.rating").select_option("5")
    first.locator("button[data-kind=applied]").click()
    sync_api.expect(first.locator(".fb-status")).to_have_text("sent: applied, 5 ★", timeout=15_000)
    after = report(api_url)
    assert after["events"] == before["events"] + 1
    assert after["application_rate"] is not None and after != before
    sync_api.expect(page.locator("#learning")).to_contain_text(str(after["events"]), timeout=10_000)
    sync_api.expect(page.locator("#learning")).not_to_contain_text("null")  # no absent part printed
    page.locator("#learning-view").screenshot(path=str(ARTIFACTS / "e2e-learning.png"))


def test_preview_shows_before_after_and_toggles_a_b(page: Any) -> None:
    """Preview on a suggestion: the worker renders it, the page shows the measures before and after
    and plays the loudness-matched excerpts, one A/B button switching between them."""
    item = page.locator("#suggestions .suggestion:has(button.preview-btn)").first
    item.wait_for(timeout=WAIT_MS)
    item.locator("button.preview-btn").click()
    panel = item.locator(".preview-panel")
    panel.wait_for(timeout=60_000)
    sync_api.expect(item.locator(".preview-status")).to_contain_text("ready")
    sync_api.expect(panel.locator(".verdict")).to_contain_text("esolved")
    rows = panel.locator("table.before-after tbody tr")
    assert rows.count() >= 2  # at least loudness and true peak, always reported
    # Always reported: the track's loudness, or for session advice (masking, level) the mix's.
    loudness = panel.locator("tr[data-measure=integrated_lufs], tr[data-measure=mix_lufs]").first
    sync_api.expect(loudness.locator("td.before")).to_have_text(re.compile(r"^-?\d+\.\d\d$"))
    sync_api.expect(loudness.locator("td.after")).to_have_text(re.compile(r"^-?\d+\.\d\d$"))
    audio = panel.locator("audio")
    before_src = audio.get_attribute("src")
    assert before_src and before_src.startswith("blob:")
    toggle = panel.locator("button.ab")
    toggle.click()
    sync_api.expect(toggle).to_have_attribute("aria-pressed", "true")
    sync_api.expect(panel.locator(".ab-label")).to_have_text("B: after")
    after_src = audio.get_attribute("src")
    assert after_src and after_src.startswith("blob:") and after_src != before_src
    # The player loads the excerpt (the page's CSP lets media come from blob: URLs): a short clip.
    page.wait_for_function("(el) => el.readyState >= 1", arg=audio.element_handle(), timeout=30_000)
    duration = audio.evaluate("(el) => el.duration")
    assert 0 < duration <= 20.5
    toggle.click()
    sync_api.expect(panel.locator(".ab-label")).to_have_text("A: before")
    item.screenshot(path=str(ARTIFACTS / "e2e-preview.png"))


def test_the_top_moves_preview_together_in_the_mix(page: Any) -> None:
    """ "Preview together": the first renderable moves rendered on their tracks at once, the session
    step run again, the mix's figures before and after, and an A/B of the mixdown."""
    page.locator("#suggestions .suggestion").first.wait_for(timeout=WAIT_MS)
    box = page.locator("#preview-set")
    box.locator("button.preview-set-btn").click()
    panel = box.locator(".preview-panel")
    panel.wait_for(timeout=60_000)
    sync_api.expect(box.locator(".preview-status")).to_have_text("ready")
    moves = box.locator("ul.set-moves li")
    assert 1 <= moves.count() <= 3
    sync_api.expect(moves.first).to_contain_text(re.compile(r": (resolved|not resolved)$"))
    sync_api.expect(panel.locator(".verdict")).to_contain_text(re.compile(r"^Resolved"))
    cells = panel.locator("tbody tr").evaluate_all(
        "(rows) => rows.map((r) => ['td.before', 'td.after'].map((c) => r.querySelector(c).textContent))"
    )
    assert cells and ["—", "—"] not in cells  # a figure unknown before and after is not listed
    loudness = panel.locator("tr[data-measure=mix_lufs]")
    sync_api.expect(loudness.locator("td.before")).to_have_text(re.compile(r"^-?\d+\.\d\d$"))
    sync_api.expect(loudness.locator("td.after")).to_have_text(re.compile(r"^-?\d+\.\d\d$"))
    toggle = panel.locator("button.ab")
    before_src = panel.locator("audio").get_attribute("src")
    toggle.click()
    sync_api.expect(panel.locator(".ab-label")).to_have_text("B: after")
    after_src = panel.locator("audio").get_attribute("src")
    assert before_src and after_src and before_src != after_src and after_src.startswith("blob:")
    box.screenshot(path=str(ARTIFACTS / "e2e-preview-set.png"))


def report(api_url: str) -> dict[str, Any]:
    r = requests.get(f"{api_url}/api/v1/users/me/learning-report", headers=auth(USER), timeout=10)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_feedback_buttons_post_the_documented_contract(page: Any) -> None:
    """The body the buttons send, {suggestion_id, kind, rating?}, whatever the server makes of it."""
    sent: list[dict[str, Any]] = []
    canned = {
        "user_id": USER, "events": 7, "application_rate": 0.5, "satisfaction": 0.75,
        "most_effective": [{"suggestion_type": "eq_cut", "track_type": "kick", "effectiveness": 0.8,
                            "uncertainty": 0.1, "events": 4}],
        "least_effective": [], "trend": None, "trend_delta": None,
        "tips": [{"code": "rate_more", "message": "Rating a suggestion 1-5 teaches Codette faster."}],
    }  # fmt: skip

    def feedback(route: Any) -> None:
        sent.append(route.request.post_data_json)
        route.fulfill(status=201, json={"ok": True})

    page.route("**/api/v1/feedback", feedback)
    page.route("**/api/v1/users/me/learning-report", lambda route: route.fulfill(json=canned))
    try:
        item = page.locator("#suggestions .suggestion").last
        item.wait_for(timeout=WAIT_MS)
        suggestion_id = item.get_attribute("data-id")
        item.locator("button[data-kind=ignored]").click()
        sync_api.expect(item.locator(".fb-status")).to_have_text("sent: ignored")
        item.locator("select.rating").select_option("2")
        item.locator("button[data-kind=negative]").click()
        sync_api.expect(item.locator(".fb-status")).to_have_text("sent: negative, 2 ★")
        assert sent == [
            {"suggestion_id": suggestion_id, "kind": "ignored"},
            {"suggestion_id": suggestion_id, "kind": "negative", "rating": 2},
        ]
        learning = page.locator("#learning")
        sync_api.expect(learning).to_contain_text("Feedback events")
        sync_api.expect(learning).to_contain_text("eq cut on kick: 80%")
        sync_api.expect(learning).to_contain_text("Rating a suggestion 1-5")
        page.locator("#learning-view").screenshot(path=str(ARTIFACTS / "e2e-learning-canned.png"))
    finally:
        page.unroute("**/api/v1/feedback")
        page.unroute("**/api/v1/users/me/learning-report")


def test_without_socketio_the_page_polls(
    browser: Any, api_url: str, workers: list[str], tmp_path: Path
) -> None:
    """Socket.IO cannot connect (a proxy that drops it): the badge says polling and uploads still
    finish over REST."""
    path = tmp_path / "03 Tone.wav"
    t = np.arange(int(2.0 * SR)) / SR
    path.write_bytes(_wav(0.3 * np.sin(2 * np.pi * 330.0 * t)))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        pg = context.new_page()
        pg.route_web_socket(re.compile(r"/socket\.io/"), lambda ws: ws.close())
        pg.goto(api_url + "/")
        pg.locator("body[data-ready='1']").wait_for()
        pg.fill("#token", TOKENS[USER])
        pg.click("#signin-form button[type=submit]")
        sync_api.expect(pg.locator("#live")).to_have_text("polling")
        pg.set_input_files("#file-input", [str(path)])
        sync_api.expect(pg.locator("#tracks tbody tr .stage")).to_have_text("done", timeout=WAIT_MS)
        sync_api.expect(pg.locator("#tracks tbody tr .lufs")).not_to_have_text("—")
    finally:
        context.close()


def test_a_dropped_reference_overlays_the_band_chart_and_the_panels_show(page: Any, tmp_path: Path) -> None:
    """Drop a reference: the open track's band chart shows it beside each band, the session is
    analysed again against it, and the workflow and style panels are there."""
    rng = np.random.default_rng(17)
    path = tmp_path / "Reference Master.wav"
    path.write_bytes(_wav(0.2 * rng.standard_normal(int(3.0 * SR))))  # white noise: a bright reference
    page.set_input_files("#reference-input", [str(path)])
    sync_api.expect(page.locator("#reference-name")).to_have_text("Reference Master.wav", timeout=WAIT_MS)
    page.locator("#tracks tbody tr").nth(0).locator("button.open").click()
    chart = page.locator("#band-chart")
    sync_api.expect(chart.locator("svg rect.ref-bar")).to_have_count(7, timeout=WAIT_MS)
    sync_api.expect(chart.locator("svg rect.bar")).to_have_count(7)
    sync_api.expect(chart).to_contain_text("reference: Reference Master.wav")
    sync_api.expect(page.locator("#reference-status")).to_contain_text("similarity")
    sync_api.expect(page.locator("#mix-issues")).to_contain_text("reference", timeout=WAIT_MS)
    sync_api.expect(page.locator("#workflow-view")).to_contain_text("No DAW actions yet")
    sync_api.expect(page.locator("#style-view")).to_contain_text("How you usually mix")
    page.locator("#track-view").screenshot(path=str(ARTIFACTS / "e2e-reference.png"))


def test_a_changed_track_type_analyses_the_session_again(page: Any, api_url: str) -> None:
    """The session's advice depends on each track's type: changing one after the session was
    analysed stores the new type and analyses the session again (it used to change nothing)."""
    status = page.locator("#session-status")
    sync_api.expect(status).to_have_text("Session of 2 track(s) analysed.", timeout=WAIT_MS)
    before = page.locator("#tracks tbody tr").nth(1)
    with page.expect_request(lambda r: r.method == "PUT" and "/api/v1/sessions/" in r.url) as put:
        before.locator("select").select_option("synth")
    sent = put.value.post_data_json
    assert [t["type"] for t in sent["tracks"]] == ["kick", "synth"]
    session_id = put.value.url.rsplit("/", 1)[1]
    sync_api.expect(status).to_have_text("Session of 2 track(s) analysed.", timeout=WAIT_MS)
    r = requests.get(f"{api_url}/api/v1/sessions/{session_id}/analysis", headers=auth(USER), timeout=10)
    assert r.status_code == 200, r.text
    latest = r.json()
    assert latest["status"] == "done"
    types = {t["track_id"]: t["track_type"] for t in latest["result"]["session_analysis"]["tracks"]}
    assert types[sent["tracks"][1]["track_id"]] == "synth"


def test_the_suggestions_are_listed_as_the_api_ranks_them_for_this_user(page: Any, api_url: str) -> None:
    """The page shows the order GET /sessions/<id>/suggestions ranks (feedback and context move it),
    not the analysis's own priority order, and ranks again after feedback."""
    listed = page.locator("#suggestions")
    sync_api.expect(listed).to_have_attribute("data-ranked", "server", timeout=15_000)

    def api_order() -> list[str]:
        session_id = page.evaluate("() => document.querySelector('#suggestions').dataset.session")
        r = requests.get(
            f"{api_url}/api/v1/sessions/{session_id}/suggestions", params={"limit": 50},
            headers={"Authorization": f"Bearer {TOKENS[USER]}"}, timeout=10,
        )  # fmt: skip
        r.raise_for_status()
        return [s["id"] for s in r.json()["suggestions"]]

    def page_order() -> list[str]:
        return [li.get_attribute("data-id") for li in listed.locator(":scope > li.suggestion").all()]

    assert page_order() == api_order()
    last = listed.locator(":scope > li.suggestion").last
    last.locator("button[data-kind=applied]").click()
    sync_api.expect(last.locator(".fb-status")).to_contain_text("sent: applied", timeout=15_000)
    listed_ids = "[...document.querySelectorAll('#suggestions > li.suggestion')].map(li => li.dataset.id)"
    page.wait_for_function(f"ids => {listed_ids}.join() === ids.join()", arg=api_order(), timeout=15_000)
