import { prepareLaunch } from "@launcher/client";
import { defineCommand } from "citty";
import { ticketStore, withClient } from "../connect.ts";
import { followAndReport } from "../follow-flow.ts";
import { run } from "../run.ts";
import { commonArgs } from "./common.ts";

export const launchCommand = defineCommand({
  meta: { name: "launch", description: "Launch an instance of a template and follow it" },
  args: {
    template: {
      type: "positional",
      required: true,
      description: "The template (see: launcher templates)",
    },
    driver: {
      type: "string",
      description: "The driver (default: the server's)",
      valueHint: "NAME",
    },
    ...commonArgs,
  },
  run: ({ args }) =>
    run(args, (output) => {
      const { store, dir } = ticketStore();
      return withClient({ args, output }, async (client) => {
        // The ticket is on disk before anything can start the instance.
        const launch = await prepareLaunch(client, {
          template: args.template,
          store,
          ...(args.driver ? { driver: args.driver } : {}),
        });
        output.trace(`ticket stored in ${dir}/${launch.id}.json`);
        if (!output.json) output.note(`Launching ${launch.template} (${launch.id})`);
        return followAndReport({ client, store, launch, args, output });
      });
    }),
});
