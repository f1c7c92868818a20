import assert from "node:assert/strict";
import { test } from "node:test";
import { Dedup, Emitter, type EventMap } from "../../src/events.js";

const done = (job_id: string) => ({ job_id, result: {} }) as unknown as EventMap["job.done"];
const progress = (job_id: string, value: number) => ({ job_id, progress: value, stage: "x" }) as EventMap["job.progress"];

test("a replayed job.done is delivered once", () => {
  const dedup = new Dedup();
  assert.equal(dedup.admit("job.done", done("a")), true);
  assert.equal(dedup.admit("job.done", done("a")), false);
  assert.equal(dedup.admit("job.done", done("b")), true);
});

test("progress after a job finished is dropped, before it is kept", () => {
  const dedup = new Dedup();
  assert.equal(dedup.admit("job.progress", progress("a", 0.5)), true);
  assert.equal(dedup.admit("job.progress", progress("a", 0.5)), true);
  dedup.admit("job.done", done("a"));
  assert.equal(dedup.admit("job.progress", progress("a", 1)), false);
});

test("batch.done and session.done once per id", () => {
  const dedup = new Dedup();
  const batch = { batch_id: "b" } as EventMap["batch.done"];
  assert.equal(dedup.admit("batch.done", batch), true);
  assert.equal(dedup.admit("batch.done", batch), false);
  const s1 = { session_id: "s", job_id: "1" } as EventMap["session.done"];
  const s2 = { session_id: "s", job_id: "2" } as EventMap["session.done"];
  assert.equal(dedup.admit("session.done", s1), true);
  assert.equal(dedup.admit("session.done", s2), true);
  assert.equal(dedup.admit("session.done", s1), false);
});

test("the emitter calls handlers by event and unsubscribes", () => {
  const emitter = new Emitter();
  const seen: string[] = [];
  const off = emitter.on("job.done", (e) => seen.push(e.job_id));
  emitter.on("batch.done", (e) => seen.push(`batch ${e.batch_id}`));
  emitter.emit("job.done", done("a"));
  off();
  emitter.emit("job.done", done("b"));
  emitter.emit("batch.done", { batch_id: "z" } as EventMap["batch.done"]);
  assert.deepEqual(seen, ["a", "batch z"]);
});
