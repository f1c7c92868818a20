// Waiting on a job (a preview, the session analysis, a comparison) with deadlines, so the page never
// shows "rendering…" forever. A job still `queued` after JOB_WAIT.startS has not been picked up by any
// worker: the page stops waiting and says so, with what GET /health tells about the workers (none
// running, or all busy). One still unfinished after JOB_WAIT.limitS is given up too. Either way the
// job stays on the server: the page's Retry waits for the same job again, with fresh deadlines.
//
// Both deadlines can be set on the page's address, in seconds (`/?job_start_s=120&job_limit_s=1800`):
// a pool that is busy for minutes needs more; the browser test makes them short.

import { api, POLL_MS } from "./api.js";

function seconds(name, fallback) {
  const value = Number(new URLSearchParams(location.search).get(name));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

// 60 s in the queue is far past a worker's pick-up time on an idle pool; 15 min is past the task's
// own hard time limit (CODETTE_TASK_TIME_LIMIT_S, 660 s by default), after which the job has failed.
export const JOB_WAIT = Object.freeze({ startS: seconds("job_start_s", 60), limitS: seconds("job_limit_s", 900) });

export class JobStalled extends Error {
  constructor(message, job) {
    super(message);
    this.name = "JobStalled";
    this.job = job;
  }
}

export const finished = (job) => job.status === "done" || job.status === "failed";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

// What GET /health (no token needed) says about the workers, as advice to the user.
async function workersNote() {
  let health;
  try {
    const response = await fetch("/health", { cache: "no-store" });
    health = await response.json();
  } catch {
    return "is a worker running?";
  }
  if (!health.workers) return "the server reports no worker running: start one (`make run` starts one).";
  if (health.blobs && health.blobs !== "ok") {
    return "the server cannot reach its audio store, so workers cannot read the audio: tell its operator.";
  }
  const waiting = Object.values(health.queues || {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
  return `the server reports ${plural(health.workers, "worker")} and ${plural(waiting, "job")} waiting in its queues: ` +
    "they may all be busy.";
}

// The message for a job past a deadline, or null. `deadline` is "start" (has a worker picked it up?)
// or "limit" (has it finished?).
export async function lateMessage(what, job, deadline, wait = JOB_WAIT) {
  if (finished(job)) return null;
  if (deadline === "start" && job.status === "queued") {
    return `no worker picked up the ${what} in ${wait.startS} s — ${await workersNote()}`;
  }
  if (deadline === "limit") {
    const progress = Math.round((job.progress || 0) * 100);
    return `the ${what} did not finish in ${wait.limitS} s (last: ${job.stage || job.status}, ${progress} %).`;
  }
  return null;
}

// Poll GET /api/v1/jobs/<id> until it is done or failed; rejects with JobStalled past a deadline.
export async function waitForJob(jobId, { what, onUpdate, wait = JOB_WAIT, pollMs = POLL_MS } = {}) {
  const started = Date.now();
  for (;;) {
    const job = await api.job(jobId);
    if (finished(job)) return job;
    if (onUpdate) onUpdate(job);
    const waitedS = (Date.now() - started) / 1000;
    const deadline = waitedS >= wait.limitS ? "limit" : waitedS >= wait.startS ? "start" : null;
    const late = deadline && (await lateMessage(what, job, deadline, wait));
    if (late) throw new JobStalled(late, job);
    await sleep(pollMs);
  }
}

// For a job followed over Socket.IO: read it by REST at each deadline (two reads in all). A finished
// job goes to onFinished (an event may have been missed); a late one to onLate(message, job), once.
// Returns stop(), to call when the job's own events finish it.
export function watchJob(jobId, { what, onFinished, onLate, wait = JOB_WAIT }) {
  let stopped = false;
  const timers = [];
  const stop = () => {
    stopped = true;
    timers.forEach(clearTimeout);
  };
  const check = async (deadline) => {
    if (stopped) return;
    let job;
    try {
      job = await api.job(jobId);
    } catch {
      return; // the server is unreachable: the page's own error paths say so
    }
    if (stopped) return;
    if (finished(job)) { stop(); onFinished(job); return; }
    const late = await lateMessage(what, job, deadline, wait);
    if (late && !stopped) { stop(); onLate(late, job); }
  };
  timers.push(setTimeout(() => check("start"), wait.startS * 1000), setTimeout(() => check("limit"), wait.limitS * 1000));
  return stop;
}
