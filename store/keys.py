"""Every Redis key Codette writes, in one place (all under config.KEY_PREFIX).

Jobs and sessions expire after Settings.result_ttl_s, analyses after Settings.cache_ttl_s; the
feedback logs, profiles, the population and the worker heartbeats never expire. Session, context
and learning keys are scoped by owner: another user's session with the same id is another session.
"""

from __future__ import annotations

from config import KEY_PREFIX

#: Hit, miss and latency counters of the analysis cache (one hash).
CACHE_STATS = KEY_PREFIX + "cache:stats"
#: Live workers: a sorted set of hostname -> last heartbeat (unix seconds).
WORKERS = KEY_PREFIX + "workers"
#: Live worker processes: a sorted set of instance id (hostname/pid/random) -> last heartbeat. A worker
#: restarted under the same name is a new instance, so the dead one's messages are still found.
WORKER_INSTANCES = KEY_PREFIX + "worker-instances"
#: kombu's Redis transport: delivered, unacknowledged messages by delivery tag (its default key).
KOMBU_UNACKED = "unacked"
#: Users who have had queued or running jobs (a set; store/lost_messages.py reads their active jobs).
ACTIVE_USERS = KEY_PREFIX + "active-users"
#: Session, compare and preview jobs sent to the broker: a sorted set of job id -> when sent (unix
#: seconds); a job leaves it when it finishes (store/lost_messages.py; track jobs are found through
#: admission instead).
SENT_JOBS = KEY_PREFIX + "sent-jobs"
#: The worker instance that looks for lost messages (service.recovery): a lease of a few beats
#: it renews on each check (store/leases.py, ``HeldLease``).
RECOVERY_LEASE = KEY_PREFIX + "recovery-lease"
#: Users with track jobs waiting for admission to the broker (a set; store/admission.py).
WAITING_USERS = KEY_PREFIX + "waiting-users"
#: Blob retention: held by the worker that sweeps, for one sweep interval (store/leases.py).
RETENTION_LEASE = KEY_PREFIX + "retention:lease"
#: The users with a feedback log (a set).
LEARNING_USERS = KEY_PREFIX + "learning:users"
#: The population prior built from every stored profile (JSON).
POPULATION = KEY_PREFIX + "population"
#: Users whose feedback arrived since the population was last rebuilt (a set; the debounce).
POPULATION_DIRTY = KEY_PREFIX + "population:dirty"


def analysis(cache_key: str) -> str:
    """A cached analysis (core.analysis.cache_key is already namespaced by analyser version)."""
    return cache_key


def measuring(work_key: str) -> str:
    """Who is doing the work named ``work_key`` now (a move's measurement: service.moved.moved_key),
    with a short expiry its holder renews (store/claims.py)."""
    return f"{KEY_PREFIX}measuring:{work_key}"


def worker_claims(instance: str) -> str:
    """The delivery tags a worker instance received and has not acknowledged yet (a set)."""
    return f"{KEY_PREFIX}claims:{instance}"


def reap_lock(instance: str) -> str:
    """Held by the one live worker that gives a dead instance's messages back."""
    return f"{KEY_PREFIX}reap:{instance}"


def active_jobs(owner: str) -> str:
    """A user's queued and running jobs, counted against their limit (sorted set: job id -> time)."""
    return f"{KEY_PREFIX}active:{owner}"


def waiting_jobs(owner: str) -> str:
    """A user's track jobs not yet sent to the broker, in order (a list)."""
    return f"{KEY_PREFIX}waiting:{owner}"


def admitted_jobs(owner: str) -> str:
    """A user's track jobs sent to the broker and not finished (sorted set: job id -> time)."""
    return f"{KEY_PREFIX}admitted:{owner}"


def admission_lock(owner: str) -> str:
    return f"{KEY_PREFIX}admission-lock:{owner}"


def job(job_id: str) -> str:
    return f"{KEY_PREFIX}job:{job_id}"


def batch(batch_id: str) -> str:
    return f"{KEY_PREFIX}batch:{batch_id}"


def batch_finished(batch_id: str) -> str:
    return f"{KEY_PREFIX}batch:{batch_id}:finished"


def session(owner: str, session_id: str) -> str:
    return f"{KEY_PREFIX}session:{owner}:{session_id}"


def session_latest(owner: str, session_id: str) -> str:
    return f"{KEY_PREFIX}session:{owner}:{session_id}:latest"


def session_input(job_id: str) -> str:
    return f"{KEY_PREFIX}session-input:{job_id}"


def session_result(job_id: str) -> str:
    return f"{KEY_PREFIX}session-result:{job_id}"


def track_suggestions(job_id: str) -> str:
    return f"{KEY_PREFIX}track-suggestions:{job_id}"


def suggestion_sources(owner: str) -> str:
    """Where each of the owner's suggestions came from (track, blob, analysis): a hash by id."""
    return f"{KEY_PREFIX}suggestion-sources:{owner}"


def blobs(owner: str) -> str:
    return f"{KEY_PREFIX}blobs:{owner}"


def context(owner: str, session_id: str) -> str:
    return f"{KEY_PREFIX}context:{owner}:{session_id}"


def impressions(owner: str, session_id: str) -> str:
    return f"{KEY_PREFIX}impressions:{owner}:{session_id}"


def feedback(user: str) -> str:
    return f"{KEY_PREFIX}feedback:{user}"


def profile(user: str) -> str:
    return f"{KEY_PREFIX}profile:{user}"


def suggestions(user: str) -> str:
    return f"{KEY_PREFIX}suggestions:{user}"


def acted(user: str) -> str:
    return f"{KEY_PREFIX}acted:{user}"


def style(user: str) -> str:
    """The sessions a user analysed, for their production style (a hash: session id -> JSON)."""
    return f"{KEY_PREFIX}style:{user}"


def actions(owner: str, session_id: str) -> str:
    """A session's DAW action history for its workflow (a capped list of JSON records)."""
    return f"{KEY_PREFIX}actions:{owner}:{session_id}"


def workflow(owner: str, session_id: str) -> str:
    """The workflow picture last published for a session (pattern and tips, JSON)."""
    return f"{KEY_PREFIX}workflow:{owner}:{session_id}"
