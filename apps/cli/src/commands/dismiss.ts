import { ExitCode } from "../exit.ts";
import { findLaunch } from "./common.ts";
import { defineIdCommand } from "./define-id-command.ts";

export const dismissCommand = defineIdCommand({
  name: "dismiss",
  description: "Forget a launch's ticket and credentials (the instance is not destroyed)",
  id: { required: true, description: "The launch id (or a prefix)" },
  run: async ({ id, output, store }) => {
    const launch = await findLaunch(store, id!);
    await store.remove(launch.id);
    output.data({ id: launch.id, dismissed: true });
    output.say(`Dismissed ${launch.id}`);
    return ExitCode.ready;
  },
});
