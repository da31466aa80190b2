/**
 * One row of `pnpm bench:latency`: what was measured, its samples, and the floor (the same
 * work without the launcher) measured in the same run. Other apps' bench modules (the web
 * app's `apps/web/bench/latency.ts`) return rows of this shape from `latencyRows()`.
 */
export interface LatencyRow {
  measure: string;
  unit: "ms" | "MiB" | "KB";
  samples: number[];
  floor?: { label: string; samples: number[] };
  goal?: string;
}

export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const figure = (value: number, unit: LatencyRow["unit"]) =>
  unit === "ms" ? `${Math.round(value).toLocaleString("en")} ms` : `${value.toFixed(1)} ${unit}`;

/** "median (min–max, n=7)" */
export function summary(samples: readonly number[], unit: LatencyRow["unit"]): string {
  if (!samples.length) return "—";
  const digits = unit === "ms" ? 0 : 1;
  const range = `${Math.min(...samples).toFixed(digits)}–${Math.max(...samples).toFixed(digits)}`;
  return `${figure(median(samples), unit)} (${range}, n=${samples.length})`;
}

/** The rows as a Markdown table, ready for the README. */
export function formatTable(rows: readonly LatencyRow[]): string {
  const lines = [
    "| measure | median (range, n) | the floor, same run | goal |",
    "| --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const floor = row.floor ? `${row.floor.label}: ${summary(row.floor.samples, row.unit)}` : "—";
    lines.push(
      `| ${row.measure} | ${summary(row.samples, row.unit)} | ${floor} | ${row.goal ?? "—"} |`,
    );
  }
  return lines.join("\n");
}
