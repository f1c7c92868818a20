"""Fair sharing (issue 14): one user's 64-file batch does not starve another user's single track, and a
user past their limit of active jobs gets 429 with Retry-After while others are still served."""

from __future__ import annotations

import pytest

from tests.conftest import wav_bytes
from tests.resilience.calls import get, upload, wait_batch
from tests.resilience.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILES, SECONDS, LIMIT = 64, 3.0, 70


def test_a_single_track_overtakes_a_64_file_batch_and_the_limit_answers_429(make_stack) -> None:
    stack: Stack = make_stack(max_active_jobs_per_user=LIMIT)
    url = stack.start_api()  # the worker starts once everything is submitted: no job finishes before

    files = [(f"a{i:02d}.wav", wav_bytes(seconds=SECONDS, seed=5000 + i, channels=1)) for i in range(FILES)]
    r = upload(url, files, user="alice")
    assert r.status_code == 202, r.text
    alice_batch = r.json()["batch_id"]

    r = upload(url, [("b.wav", wav_bytes(seconds=SECONDS, seed=5100, channels=1))], user="bob")
    assert r.status_code == 202, r.text
    bob_batch = r.json()["batch_id"]

    # Alice is at 64 active jobs of 70: ten more are refused whole, with a time to come back.
    more = [(f"m{i}.wav", wav_bytes(seconds=0.5, seed=5200 + i)) for i in range(10)]
    refused = upload(url, more, user="alice")
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_jobs"
    assert int(refused.headers["Retry-After"]) > 0

    stack.start_worker("w1", concurrency=2)
    bob = wait_batch(url, bob_batch, user="bob", timeout_s=120)
    alice = get(url, f"/api/v1/batches/{alice_batch}", user="alice")
    assert bob["jobs"][0]["status"] == "done"
    assert alice["finished"] < FILES // 2, (
        f"bob's track waited for {alice['finished']} of alice's {FILES} jobs"
    )
    print(f"fair sharing: bob's track finished after {alice['finished']} of alice's {FILES} jobs")
