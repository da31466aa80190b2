#!/usr/bin/env node
// Prints the gzipped size of the built app's JavaScript and fails past the budget.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

// Issue 14's goal: 16 KB, with sign-in, the CLI token link, "My instances", quotas and expiry.
const BUDGET = 16 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.m?js$/.test(entry.name)) yield path;
  }
}

let total = 0;
let paths;
try {
  paths = [...files(dist)];
} catch {
  console.error("size: no dist/ — run the build first");
  process.exit(1);
}
for (const path of paths) {
  const size = gzipSync(readFileSync(path), { level: 9 }).length;
  total += size;
  console.log(`${(size / 1024).toFixed(2).padStart(8)} KB  ${relative(dist, path)}`);
}
const kb = (total / 1024).toFixed(2);
const budget = BUDGET / 1024;
console.log(`${kb.padStart(8)} KB  total JavaScript, gzipped (budget ${budget} KB)`);
if (total > BUDGET) {
  console.error(`size: over budget by ${((total - BUDGET) / 1024).toFixed(2)} KB`);
  process.exit(1);
}
