import { launchProgress, type Snapshot } from "@launcher/client";
import type { Output } from "./output.ts";

type Step = Snapshot["steps"][number];

/** `[██████░░░░░░]  50%` */
export function progressBar(fraction: number, width = 24): string {
  const filled = Math.round(fraction * width);
  const percent = `${Math.round(fraction * 100)}%`.padStart(4);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${percent}`;
}

const MARK: Record<Step["state"], string> = {
  pending: "·",
  running: "›",
  done: "✓",
  failed: "✗",
  skipped: "-",
};

function stepLine(step: Step): string {
  const progress =
    step.state === "running" && step.progress !== undefined
      ? ` ${Math.round(step.progress * 100)}%`
      : "";
  return `  ${MARK[step.state]} ${step.label}${progress}`;
}

/** The lines of the live display for one snapshot. */
export function progressLines(snapshot: Snapshot): string[] {
  const head = `${snapshot.template} ${progressBar(launchProgress(snapshot))}  ${snapshot.phase}`;
  const lines = [head, ...snapshot.steps.map(stepLine)];
  if (snapshot.message) lines.push(`  ${snapshot.message}`);
  return lines;
}

/** What changed between two snapshots, as plain lines (for logs and pipes). */
export function changeLines(previous: Snapshot | undefined, next: Snapshot): string[] {
  const lines: string[] = [];
  if (previous?.phase !== next.phase) lines.push(`phase: ${next.phase}`);
  const before = new Map(previous?.steps.map((s) => [s.key, s.state]));
  for (const step of next.steps) {
    if (step.state === "pending" || before.get(step.key) === step.state) continue;
    lines.push(`step: ${step.label} (${step.state})`);
  }
  if (next.message && next.message !== previous?.message) lines.push(`message: ${next.message}`);
  return lines;
}

/** Shows snapshots as they come: in place on a terminal, as lines otherwise, or as JSON. */
export interface ProgressView {
  show(snapshot: Snapshot): void;
  /** A line above the live display (reconnecting…). */
  notice(line: string): void;
  /** Leaves the last display on screen and moves below it. */
  end(): void;
}

export function createProgressView(output: Output): ProgressView {
  if (output.json) {
    return {
      show: (snapshot) => output.data(snapshot),
      notice: (line) => output.note(line),
      end: () => {},
    };
  }
  if (!output.tty) {
    let previous: Snapshot | undefined;
    return {
      show(snapshot) {
        for (const line of changeLines(previous, snapshot)) output.say(line);
        previous = snapshot;
      },
      notice: (line) => output.note(line),
      end: () => {},
    };
  }
  let drawn = 0;
  let last: Snapshot | undefined;
  const erase = () => {
    // Up to the first line of the block, then clear to the end of the screen.
    if (drawn > 0) output.raw(`\x1b[${drawn}A\r\x1b[0J`);
    drawn = 0;
  };
  const draw = (snapshot: Snapshot) => {
    const lines = progressLines(snapshot);
    output.raw(`${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  return {
    show(snapshot) {
      erase();
      draw(snapshot);
      last = snapshot;
    },
    notice(line) {
      erase();
      output.raw(`${line}\n`);
      if (last) draw(last);
    },
    end() {
      drawn = 0;
    },
  };
}

/** The summary of a ready launch: the URL and each credential. */
export function summaryLines(snapshot: Snapshot): string[] {
  const access = snapshot.access;
  if (!access) return [`Ready: ${snapshot.template} (${snapshot.id})`];
  const names = Object.keys(access.credentials);
  const width = Math.max(3, ...names.map((n) => n.length)) + 1;
  return [
    `Ready: ${snapshot.template} (${snapshot.id})`,
    `  ${"URL:".padEnd(width + 1)} ${access.url}`,
    ...names.map((name) => `  ${`${name}:`.padEnd(width + 1)} ${access.credentials[name]}`),
  ];
}
