// Against the real stack (Redis, Celery workers, the API), started by tests/sdk/test_typescript.py,
// which passes CODETTE_URL, CODETTE_TOKEN and CODETTE_STEMS (a directory of WAV files) in the environment.
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { Codette, CodetteError, type AnalyzeProgress, type EventMap } from "../../src/index.js";

const url = process.env.CODETTE_URL;
const token = process.env.CODETTE_TOKEN;
const stemsDir = process.env.CODETTE_STEMS;
const skip = !url || !token || !stemsDir ? "CODETTE_URL, CODETTE_TOKEN and CODETTE_STEMS are not set" : false;

async function stems(prefix: string): Promise<string[]> {
  const names = (await readdir(stemsDir as string)).filter((n) => n.startsWith(prefix)).sort();
  return names.map((n) => join(stemsDir as string, n));
}

test("two stems: typed progress and done events, typed results; a re-run uploads nothing", { skip }, async () => {
  const codette = new Codette({ url: url as string, token: token as string });
  try {
    const files = await stems("pair-");
    assert.equal(files.length, 2);
    const done: EventMap["job.done"][] = [];
    codette.on("job.done", (e) => done.push(e));
    const progress: AnalyzeProgress[] = [];
    const first = await codette.analyze(files, { trackTypes: ["kick", "bass"], onProgress: (p) => progress.push(p) });
    assert.equal(first.uploaded, 2);
    assert.equal(first.jobs.length, 2);
    for (const job of first.jobs) {
      assert.equal(job.status, "done");
      const lufs: number | null | undefined = job.result?.loudness.integrated_lufs;
      assert.equal(typeof lufs, "number");
    }
    assert.ok(progress.some((p) => p.phase === "hash"));
    assert.ok(progress.some((p) => p.phase === "upload"));
    assert.ok(progress.some((p) => p.phase === "analyze"), "live job.progress reached onProgress");
    // analyze() returns on the REST read that finds every job done; a job.done may trail it a moment
    const ids = new Set(first.jobs.map((j) => j.job_id));
    for (let i = 0; i < 50 && ![...ids].every((id) => done.some((e) => e.job_id === id)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(new Set(done.map((e) => e.job_id)), ids);

    const again = await codette.analyze(files, { trackTypes: ["kick", "bass"] });
    assert.equal(again.uploaded, 0, "an unchanged file is not sent again");
    assert.equal(again.reused, 2);
    assert.deepEqual(
      again.jobs.map((j) => j.result?.loudness.integrated_lufs),
      first.jobs.map((j) => j.result?.loudness.integrated_lufs),
    );
  } finally {
    codette.close();
  }
});

test("a connection dropped mid-batch still delivers every job.done and batch.done", { skip }, async () => {
  const codette = new Codette({ url: url as string, token: token as string });
  try {
    const files = await stems("batch-");
    assert.ok(files.length >= 4);
    const done = new Set<string>();
    const batches: string[] = [];
    let dropped = false;
    codette.on("job.done", (e) => done.add(e.job_id));
    codette.on("batch.done", (e) => batches.push(e.batch_id));
    codette.on("job.progress", () => {
      if (!dropped) {
        dropped = true;
        codette.live.dropConnection();
      }
    });
    const result = await codette.analyze(files);
    assert.ok(dropped, "the connection was dropped while the batch ran");
    // The final REST read happens once every job finished; events may trail it by a moment.
    for (let i = 0; i < 50 && !batches.includes(result.batch_id); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(done, new Set(result.jobs.map((j) => j.job_id)));
    assert.deepEqual(batches, [result.batch_id]);
  } finally {
    codette.close();
  }
});

test("learning data: export, import, export gives the same document; a bad import is a 422 naming it", { skip }, async () => {
  const codette = new Codette({ url: url as string, token: token as string });
  try {
    const exported = await codette.exportLearning();
    assert.equal(exported.format, "codette.learning");
    const imported = await codette.importLearning(exported);
    assert.deepEqual(imported, exported);
    assert.deepEqual(await codette.exportLearning(), exported);
    const { format: _format, ...broken } = exported;
    await assert.rejects(codette.importLearning(broken as typeof exported), (err: unknown) => {
      assert.ok(err instanceof CodetteError);
      assert.equal(err.status, 422);
      assert.match(err.message, /'format' is a required property/);
      return true;
    });
  } finally {
    codette.close();
  }
});

test("a path that is no file is a CodetteError naming it, before anything is sent", { skip }, async () => {
  const sent: string[] = [];
  const codette = new Codette({
    url: url as string,
    token: token as string,
    fetch: (input, init) => {
      sent.push(input);
      return globalThis.fetch(input, init);
    },
  });
  try {
    const [stem] = await stems("pair-");
    for (const [bad, why] of [[join(stemsDir as string, "no such take.wav"), "no such file"], [stemsDir as string, "not a file"]]) {
      await assert.rejects(codette.analyze([stem as string, bad as string]), (err: unknown) => {
        assert.ok(err instanceof CodetteError, `a ${(err as Error).constructor.name}, not a CodetteError`);
        assert.equal(err.code, "invalid_file");
        assert.ok(err.message.startsWith(`${bad}: ${why}`), err.message);
        return true;
      });
    }
    assert.deepEqual(sent, []);
  } finally {
    codette.close();
  }
});

test("a server that does not answer: network_error naming the URL tried and why", { skip }, async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free)); // nothing listens there now
    });
  });
  const codette = new Codette({ url: `http://127.0.0.1:${port}`, token: token as string });
  await assert.rejects(codette.job("j1"), (err: unknown) => {
    assert.ok(err instanceof CodetteError);
    assert.equal(err.status, 0);
    assert.equal(err.code, "network_error");
    assert.ok(err.message.startsWith(`GET http://127.0.0.1:${port}/api/v1/jobs/j1: `), err.message);
    assert.match(err.message, /ECONNREFUSED/);
    return true;
  });
});
