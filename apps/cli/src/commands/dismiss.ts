import { defineCommand } from "citty";
import { ticketStore } from "../connect.ts";
import { ExitCode } from "../exit.ts";
import { run } from "../run.ts";
import { commonArgs, findLaunch } from "./common.ts";

export const dismissCommand = defineCommand({
  meta: {
    name: "dismiss",
    description: "Forget a launch's ticket and credentials (the instance is not destroyed)",
  },
  args: {
    id: { type: "positional", required: true, description: "The launch id (or a prefix)" },
    ...commonArgs,
  },
  run: ({ args }) =>
    run(args, async (output) => {
      const { store } = ticketStore();
      const launch = await findLaunch(store, args.id);
      await store.remove(launch.id);
      output.data({ id: launch.id, dismissed: true });
      output.say(`Dismissed ${launch.id}`);
      return ExitCode.ready;
    }),
});
