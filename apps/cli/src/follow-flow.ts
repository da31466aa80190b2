import {
  followLaunch,
  type LauncherClient,
  type Snapshot,
  type StoredLaunch,
  type TicketStore,
} from "@launcher/client";
import { type CommonArgs, FOLLOW_GIVE_UP_MS } from "./connect.ts";
import { CliExit, ExitCode } from "./exit.ts";
import type { Output } from "./output.ts";
import { createProgressView, summaryLines } from "./render.ts";
import { toCliExit } from "./to-cli-exit.ts";

/**
 * Follows a stored launch to its end with live progress, and reports it: the summary
 * (exit 0), the failure (exit 1), or where to pick it up again after Ctrl-C.
 */
export async function followAndReport(options: {
  client: LauncherClient;
  store: TicketStore;
  launch: StoredLaunch;
  args: CommonArgs;
  output: Output;
}): Promise<ExitCode> {
  const { client, store, launch, output } = options;
  const view = createProgressView(output);
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  // Until the first snapshot arrives, show where the launch had got to.
  if (launch.snapshot && output.tty) view.show({ ...launch.snapshot });
  let last: Snapshot | undefined;
  try {
    last = await followLaunch(client, {
      launch,
      store,
      signal: interrupt.signal,
      giveUpAfterMs: FOLLOW_GIVE_UP_MS,
      allowOtherServer: options.args["force-server"] === true,
      onSnapshot: (snapshot) => view.show(snapshot),
      onConnection: (state, error) => {
        output.trace(`connection ${state}${error ? `: ${error.message}` : ""}`);
        view.notice(state === "reconnecting" ? "Connection lost, reconnecting…" : "Reconnected.");
      },
    }).done();
  } catch (error) {
    view.end();
    const { args } = options;
    throw toCliExit(error, { id: launch.id, server: new URL(client.url), args });
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
  view.end();
  if (!last) {
    output.note(`Stopped following. The ticket is kept; resume with: launcher follow ${launch.id}`);
    return ExitCode.interrupted;
  }
  if (last.phase === "ready") {
    for (const line of summaryLines(last)) output.say(line);
    output.say(
      `When done: launcher destroy ${launch.id}  (or forget it: launcher dismiss ${launch.id})`,
    );
    return ExitCode.ready;
  }
  const why = last.error ?? last.message ?? last.phase;
  throw new CliExit(
    ExitCode.failed,
    last.phase === "destroyed"
      ? `Launch ${launch.id} was destroyed${last.message ? ` (${last.message})` : ""}; its ticket is removed.`
      : `Launch ${launch.id} failed: ${why}`,
  );
}
