import { destroyLaunch } from "@launcher/client";
import { defineCommand } from "citty";
import { connect, ticketStore, toCliExit } from "../connect.ts";
import { ExitCode } from "../exit.ts";
import { run } from "../run.ts";
import { serverUrl } from "../server-url.ts";
import { commonArgs, findLaunch } from "./common.ts";

export const destroyCommand = defineCommand({
  meta: { name: "destroy", description: "Destroy a launched instance and forget its ticket" },
  args: {
    id: { type: "positional", required: true, description: "The launch id (or a prefix)" },
    ...commonArgs,
  },
  run: ({ args }) =>
    run(args, async (output) => {
      const { store } = ticketStore();
      const launch = await findLaunch(store, args.id);
      const client = await connect(args, output, launch);
      try {
        // The ticket goes only when it is refused for good (expired, malformed).
        const destroyed = await destroyLaunch(client, {
          launch,
          store,
          allowOtherServer: args["force-server"] === true,
        }).catch((error) => {
          throw toCliExit(error, { id: launch.id, server: serverUrl(args, launch) });
        });
        output.data(destroyed);
        output.say(`Destroyed ${launch.id}`);
        return ExitCode.ready;
      } finally {
        await client.close();
      }
    }),
});
