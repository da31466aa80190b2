import { defineCommand } from "citty";
import { ticketStore } from "../connect.ts";
import { ExitCode } from "../exit.ts";
import { run } from "../run.ts";
import { commonArgs, describeLaunch } from "./common.ts";

export const listCommand = defineCommand({
  meta: { name: "list", description: "List the launches whose tickets are kept here" },
  args: { ...commonArgs },
  run: ({ args }) =>
    run(args, async (output) => {
      const { store, dir } = ticketStore();
      const launches = await store.list();
      for (const launch of launches) {
        // Never the ticket itself: it is the key to the instance.
        output.data({
          id: launch.id,
          template: launch.template,
          driver: launch.driver ?? launch.snapshot?.driver,
          server: launch.server,
          phase: launch.snapshot?.phase,
          version: launch.snapshot?.version,
          storedAt: launch.storedAt,
        });
        output.say(describeLaunch(launch));
      }
      if (launches.length === 0) output.note(`No launches kept in ${dir}`);
      return ExitCode.ready;
    }),
});
