import { toLauncherError } from "@launcher/client";
import { defineCommand } from "citty";
import { withClient } from "../connect.ts";
import { CliExit, ExitCode } from "../exit.ts";
import { run } from "../run.ts";
import { commonArgs } from "./common.ts";
import { instanceTable } from "./instance-table.ts";

export const instancesCommand = defineCommand({
  meta: {
    name: "instances",
    description: "List your instances on the server, wherever they were launched from",
  },
  args: {
    all: { type: "boolean", description: "Everyone's instances (admins only)" },
    ...commonArgs,
  },
  run: ({ args }) =>
    run(args, (output) =>
      withClient({ args, output }, async (client) => {
        const all = args.all === true;
        const { instances } = await client.instances.list.query({ all }).catch((error) => {
          const failure = toLauncherError(error);
          if (failure.code === "forbidden" && all) {
            throw new CliExit(
              ExitCode.refused,
              "Only an admin may list everyone's instances (--all); without it you see yours",
              { cause: failure },
            );
          }
          throw failure;
        });
        // Like `launcher list`: one JSON line per instance.
        for (const instance of instances) output.data(instance);
        if (instances.length === 0) {
          output.note(all ? "No instances on this server" : "You have no instances");
          return ExitCode.ready;
        }
        for (const line of instanceTable(instances, { owners: all })) output.say(line);
        return ExitCode.ready;
      }),
    ),
});
