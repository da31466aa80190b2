// Seal + unseal throughput and token length, every contender side by side in one run.
// `pnpm --filter @launcher/crypto-token bench [-- --time=MS]`: MS per cell, default 1500.
//
// The machine is shared, so each cell is measured in several short rounds, interleaved with
// the other contenders, and the best round counts: load from elsewhere only ever slows a round.

import { deepStrictEqual } from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import type { Sealer } from "./contender.ts";
import { contenders } from "./contenders.ts";

const timeArg = process.argv.find((arg) => arg.startsWith("--time="));
const CELL_MS = timeArg ? Number(timeArg.slice("--time=".length)) : 1500;
const ROUNDS = 3;
const WARMUP_MS = Math.min(300, CELL_MS / 3);

const SIZES = [
  ["64 B", 64],
  ["1 KB", 1024],
  ["16 KB", 16 * 1024],
] as const;

/** A ticket-like object whose JSON is exactly `bytes` long. */
function payload(bytes: number): unknown {
  const base = { id: "3f2a9c1e7b5d4a60", password: "" };
  const room = bytes - JSON.stringify(base).length;
  const value = { ...base, password: randomBytes(room).toString("base64url").slice(0, room) };
  if (JSON.stringify(value).length !== bytes) throw new Error("payload size is off");
  return value;
}

async function pairsPerSecond(sealer: Sealer, value: unknown, ms: number): Promise<number> {
  let pairs = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    // Batches keep the clock out of the measurement.
    for (let i = 0; i < 16; i++) await sealer.unseal(await sealer.seal(value));
    pairs += 16;
    now = performance.now();
  }
  return (pairs * 1000) / (now - start);
}

interface Cell {
  ops: number;
  length: number;
}

const sealers = await Promise.all(contenders.map((contender) => contender.make()));
const values = SIZES.map(([, bytes]) => payload(bytes));
const cells: Cell[][] = [];
for (const [c, sealer] of sealers.entries()) {
  cells[c] = [];
  for (const [s, value] of values.entries()) {
    const token = await sealer.seal(value);
    deepStrictEqual(await sealer.unseal(token), value, `${contenders[c]!.name} did not round-trip`);
    await pairsPerSecond(sealer, value, WARMUP_MS);
    cells[c]![s] = { ops: 0, length: token.length };
  }
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [s, value] of values.entries()) {
    for (const [c, sealer] of sealers.entries()) {
      const cell = cells[c]![s]!;
      cell.ops = Math.max(cell.ops, await pairsPerSecond(sealer, value, CELL_MS / ROUNDS));
    }
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const nameWidth = Math.max(...contenders.map((c) => c.name.length));
const header = ["contender".padEnd(nameWidth)];
for (const [label] of SIZES) header.push(`${label} ops/s`, `${label} length`);
console.log(
  `seal+unseal pairs per second (best of ${ROUNDS} rounds, ${CELL_MS} ms per cell) and token length (characters)`,
);
console.log(
  `node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model ?? "unknown CPU"}\n`,
);
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map((h, i) => (i === 0 ? "-".repeat(h.length + 2) : "---:")).join("|")}|`);
for (const [c, contender] of contenders.entries()) {
  const row = cells[c]!.flatMap((cell) => [fmt(cell.ops), String(cell.length)]);
  console.log(`| ${contender.name.padEnd(nameWidth)} | ${row.join(" | ")} |`);
}

// The targets, at 1 KB.
const at1k = (name: string) => cells[contenders.findIndex((c) => c.name === name)]?.[1];
const ours = at1k("crypto-token (node:crypto)");
const iron = at1k("@hapi/iron");
const raw = at1k("raw node:crypto AES-256-GCM");
if (ours && iron && raw) {
  const vsIron = ours.ops / iron.ops;
  const vsRaw = raw.ops / ours.ops;
  const extra = ours.length - raw.length;
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  console.log("\ntargets at 1 KB (crypto-token, node:crypto path):");
  console.log(
    `  ${vsIron.toFixed(1)}x the pairs/s of @hapi/iron (target >= 5x): ${verdict(vsIron >= 5)}`,
  );
  console.log(
    `  raw node:crypto is ${vsRaw.toFixed(2)}x as fast (target <= 2x): ${verdict(vsRaw <= 2)}`,
  );
  console.log(
    `  +${extra} characters over raw AES-GCM + base64url (target <= 40): ${verdict(extra <= 40)}`,
  );
}
