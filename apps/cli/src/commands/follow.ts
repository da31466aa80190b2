import type { StoredLaunch, TicketStore } from "@launcher/client";
import { withClient } from "../connect.ts";
import { CliExit, ExitCode, usageError } from "../exit.ts";
import { followAndReport } from "../follow-flow.ts";
import type { Output } from "../output.ts";
import { describeLaunch, findLaunch } from "./common.ts";
import { defineIdCommand } from "./define-id-command.ts";

/** With no id given: the one launch kept, or exit 2 listing them. */
async function onlyLaunch(store: TicketStore, dir: string, output: Output): Promise<StoredLaunch> {
  const launches = await store.list();
  if (launches.length === 0) throw usageError(`No launches to follow in ${dir}`);
  if (launches.length > 1) {
    for (const other of launches) output.note(describeLaunch(other));
    throw new CliExit(
      ExitCode.usage,
      `${launches.length} launches are kept; say which: launcher follow ID`,
    );
  }
  return launches[0]!;
}

export const followCommand = defineIdCommand({
  name: "follow",
  description: "Follow a launch again (the only one kept, when no ID is given)",
  id: { required: false, description: "The launch id (or a prefix)" },
  run: async ({ id, args, output, store, dir }) => {
    const launch = id ? await findLaunch(store, id) : await onlyLaunch(store, dir, output);
    return withClient({ args, output, launch }, (client) =>
      followAndReport({ client, store, launch, args, output }),
    );
  },
});
