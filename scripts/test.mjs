#!/usr/bin/env node
// Runs every Vitest project once and ends with one line that totals them all,
// `N passed, N failed, N skipped`, which CI reads. Exits with Vitest's code.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const out = "test-results/vitest.json";
mkdirSync("test-results", { recursive: true });
rmSync(out, { force: true });
const run = spawnSync(
  "npx",
  [
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${out}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(out, "utf8"));
  passed = report.numPassedTests;
  // A failed file with no failed test broke before its tests ran (an import, a hook).
  const brokenFiles = report.testResults.filter(
    (file) => file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed"),
  ).length;
  failed = report.numFailedTests + brokenFiles;
  skipped = report.numPendingTests + report.numTodoTests;
} catch {
  failed += 1; // no report means the run itself broke
}
const code = run.status ?? 1;
if (code !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(code);
