import assert from "node:assert/strict";
import { test } from "node:test";
import { CodetteError } from "../../src/errors.js";
import { Http } from "../../src/http.js";

function respond(status: number, body: string): typeof fetch {
  return async () => new Response(body, { status, headers: { "Content-Type": "application/json" } });
}

test("an API error becomes a CodetteError with its status and code", async () => {
  const http = new Http("http://codette.test", "t", respond(422, '{"error": {"code": "validation_failed", "message": "$.genre: bad"}}'));
  await assert.rejects(http.request("PUT", "/api/v1/sessions/x", { json: {} }), (err: unknown) => {
    assert.ok(err instanceof CodetteError);
    assert.equal(err.status, 422);
    assert.equal(err.code, "validation_failed");
    assert.equal(err.message, "$.genre: bad");
    return true;
  });
});

test("a non-JSON error body still gives a code", async () => {
  const http = new Http("http://codette.test", "t", respond(502, "<html>bad gateway</html>"));
  await assert.rejects(http.request("GET", "/health"), { name: "CodetteError", status: 502, code: "http_502" });
});

test("a network failure is a CodetteError with status 0", async () => {
  const http = new Http("http://codette.test", "t", async () => {
    throw new TypeError("fetch failed");
  });
  await assert.rejects(http.request("GET", "/health"), { status: 0, code: "network_error" });
});

test("requests carry the bearer token, JSON and the query", async () => {
  let seen: { url: string; init: RequestInit | undefined } | null = null;
  const http = new Http("http://codette.test/base", "secret", async (url, init) => {
    seen = { url, init };
    return new Response('{"ok": true}', { status: 200 });
  });
  assert.deepEqual(await http.request("POST", "api/v1/x", { json: { a: 1 }, query: { limit: 3, skip: undefined } }), { ok: true });
  assert.ok(seen);
  const { url, init } = seen as { url: string; init: RequestInit };
  assert.equal(url, "http://codette.test/base/api/v1/x?limit=3");
  assert.equal((init.headers as Record<string, string>).Authorization, "Bearer secret");
  assert.equal(init.body, '{"a":1}');
});

test("a binary download carries the token and maps errors like JSON calls", async () => {
  let auth: string | undefined;
  const ok = new Http("http://codette.test", "secret", async (_url, init) => {
    auth = (init?.headers as Record<string, string>).Authorization;
    return new Response(new Uint8Array([82, 73, 70, 70]), { status: 200, headers: { "Content-Type": "audio/wav" } });
  });
  const blob = await ok.blob("/api/v1/previews/j/before.wav");
  assert.equal(auth, "Bearer secret");
  assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), new Uint8Array([82, 73, 70, 70]));
  const missing = new Http("http://codette.test", "t", respond(404, '{"error": {"code": "not_found", "message": "no preview"}}'));
  await assert.rejects(missing.blob("/api/v1/previews/x/after.wav"), { status: 404, code: "not_found" });
});
