import assert from "node:assert/strict";
import { test } from "node:test";
import { Codette } from "../../src/client.js";

const SHA = "a".repeat(64);

/** A fake server: direct uploads with 4-byte parts, the first PUT of part 2 lost. */
function objectStore(direct: boolean) {
  const calls: string[] = [];
  const parts = new Map<number, string>();
  let lost = false;
  const fetchImpl = async (url: string, init?: RequestInit): Promise<Response> => {
    const path = new URL(url).pathname;
    calls.push(`${init?.method ?? "GET"} ${path}`);
    const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
    if (path === "/api/v1/blobs/uploads") {
      if (!direct) return json({ error: { code: "direct_uploads_unavailable", message: "no object store" } }, 409);
      return json({ sha256: SHA, size: 10, key: "k", upload_id: "u", part_bytes: 4, part_urls: ["http://s3/1", "http://s3/2", "http://s3/3"] }, 201);
    }
    if (path.startsWith("/") && url.startsWith("http://s3/")) {
      const part = Number(path.slice(1));
      if (part === 2 && !lost) {
        lost = true;
        return new Response("", { status: 500 });
      }
      parts.set(part, await new Blob([init?.body as Blob]).text());
      return new Response("", { status: 200 });
    }
    if (path === "/api/v1/blobs/uploads/parts") {
      const missing = [1, 2, 3].filter((n) => !parts.has(n));
      return json({ received_parts: [...parts.keys()], received_bytes: 0, part_urls: Object.fromEntries(missing.map((n) => [n, `http://s3/${n}`])) });
    }
    if (path === "/api/v1/blobs/uploads/complete") return json({ sha256: SHA, size: 10 }, 201);
    if (path === "/api/v1/blobs") return json({ sha256: SHA }, 201);
    return json({ error: { code: "not_found", message: path } }, 404);
  };
  return { calls, parts, fetchImpl };
}

test("a large file goes to object storage by parts, a lost part is sent again", async () => {
  const server = objectStore(true);
  const codette = new Codette({ url: "http://codette.test", token: "t", fetch: server.fetchImpl, directUploadBytes: 8 });
  const sha = await codette.upload({ name: "take.wav", blob: new Blob(["0123456789"]) }, SHA);
  assert.equal(sha, SHA);
  assert.deepEqual([...server.parts.entries()].sort(), [[1, "0123"], [2, "4567"], [3, "89"]]);
  assert.equal(server.calls.filter((c) => c === "PUT /2").length, 2);
  assert.ok(server.calls.includes("POST /api/v1/blobs/uploads/complete"));
  assert.ok(!server.calls.includes("POST /api/v1/blobs"));
});

test("without an object store the file goes through the API, and the SDK stops asking", async () => {
  const server = objectStore(false);
  const codette = new Codette({ url: "http://codette.test", token: "t", fetch: server.fetchImpl, directUploadBytes: 8 });
  await codette.upload({ name: "a.wav", blob: new Blob(["0123456789"]) }, SHA);
  await codette.upload({ name: "b.wav", blob: new Blob(["0123456789"]) }, SHA);
  assert.equal(server.calls.filter((c) => c === "POST /api/v1/blobs/uploads").length, 1);
  assert.equal(server.calls.filter((c) => c === "POST /api/v1/blobs").length, 2);
});
