import { CodetteError } from "./errors.js";

/** A file to analyse: a browser File, any Blob with a name, or (in Node) a path on disk. */
export type FileInput = File | { name: string; data: Blob } | string;

export interface NamedBlob {
  name: string;
  blob: Blob;
}

const CHUNK = 4 * 1024 * 1024;

/** The file as a named Blob; a Node path is opened lazily (fs.openAsBlob), never read whole. */
export async function toNamedBlob(input: FileInput): Promise<NamedBlob> {
  if (typeof input === "string") {
    const fs = await import("node:fs");
    const path = await import("node:path");
    // Checked here, so a bad path is a CodetteError naming it (openAsBlob says only "Unable to open file as blob").
    const stat = await fs.promises.stat(input).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === "ENOENT" ? "no such file" : err.message;
      throw new CodetteError(0, "invalid_file", `${input}: ${why}`);
    });
    if (!stat.isFile()) throw new CodetteError(0, "invalid_file", `${input}: not a file (pass each file of a folder)`);
    return { name: path.basename(input), blob: await fs.openAsBlob(input) };
  }
  if ("data" in input) return { name: input.name, blob: input.data };
  return { name: input.name, blob: input };
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether this runtime can hash locally (Node, or WebCrypto: browsers offer it on https and localhost only). */
export function canHash(): boolean {
  const isNode = typeof process !== "undefined" && process.versions?.node !== undefined;
  return isNode || globalThis.crypto?.subtle !== undefined;
}

/**
 * The blob's sha256 (lowercase hex), the key the server stores it under.
 * Node streams it through node:crypto in 4 MiB slices (bounded memory); browsers use WebCrypto,
 * which has no incremental digest, so the file is read once into memory there.
 */
export async function sha256Hex(blob: Blob, onBytes?: (done: number) => void): Promise<string> {
  const isNode = typeof process !== "undefined" && process.versions?.node !== undefined;
  if (isNode) {
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256");
    for (let start = 0; start < blob.size; start += CHUNK) {
      const slice = await blob.slice(start, start + CHUNK).arrayBuffer();
      hash.update(new Uint8Array(slice));
      onBytes?.(Math.min(start + CHUNK, blob.size));
    }
    return hash.digest("hex");
  }
  const digest = await globalThis.crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  onBytes?.(blob.size);
  return hex(digest);
}
