// Bundle the client for the page at / (api/static/vendor/codette-client.js): ESM, browser, no CDN.
// scripts/dev.sh runs this at install time; the bundle is built, never committed.
import { build } from "esbuild";

const out = new URL("../../../api/static/vendor/codette-client.js", import.meta.url).pathname;
await build({
  entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
  outfile: out,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  minify: true,
  sourcemap: false,
  // Node-only branches (reading a path, node:crypto) are never taken in a browser.
  external: ["node:*"],
  legalComments: "eof",
});
console.log(`wrote ${out}`);
