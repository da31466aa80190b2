/** An instance as `instances.list` returns it. */
export interface InstanceRow {
  id: string;
  owner: string;
  template: string;
  driver: string;
  phase: string;
  createdAt: number;
  expiresAt: number;
}

/** How much of an id the table shows; `launcher destroy` wants the whole of it. */
export const SHORT_ID_LENGTH = 12;

/** `2026-12-05 04:40` in UTC. */
export function when(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 16);
}

/** A readable table of instances: a header line, then one line each (owners with `--all`). */
export function instanceTable(
  instances: readonly InstanceRow[],
  options: { owners: boolean },
): string[] {
  const header = ["ID", ...(options.owners ? ["OWNER"] : []), "TEMPLATE", "DRIVER", "PHASE"];
  const rows = instances.map((i) => [
    i.id.slice(0, SHORT_ID_LENGTH),
    ...(options.owners ? [i.owner] : []),
    i.template,
    i.driver,
    i.phase,
    when(i.createdAt),
    when(i.expiresAt),
  ]);
  const all = [[...header, "CREATED (UTC)", "EXPIRES (UTC)"], ...rows];
  const widths = all[0]!.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  return all.map((row) =>
    row
      .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd(),
  );
}
