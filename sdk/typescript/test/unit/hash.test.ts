import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { sha256Hex, toNamedBlob } from "../../src/hash.js";

test("sha256 of a known string (FIPS 180-2 'abc')", async () => {
  assert.equal(
    await sha256Hex(new Blob(["abc"])),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

test("a file larger than one slice hashes like node:crypto over the whole, from its path", async () => {
  const dir = await mkdtemp(join(tmpdir(), "codette-sdk-"));
  const path = join(dir, "stem.wav");
  const bytes = new Uint8Array(9 * 1024 * 1024 + 123).map((_, i) => (i * 7919) % 251);
  await writeFile(path, bytes);
  const named = await toNamedBlob(path);
  assert.equal(named.name, "stem.wav");
  const progress: number[] = [];
  const got = await sha256Hex(named.blob, (n) => progress.push(n));
  assert.equal(got, createHash("sha256").update(bytes).digest("hex"));
  assert.equal(progress.at(-1), bytes.length);
  assert.ok(progress.length >= 3);
});
