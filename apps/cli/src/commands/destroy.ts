import { defineCommand } from "citty";
import { connect, serverUrl, ticketStore, toCliExit } from "../connect.ts";
import { ExitCode } from "../exit.ts";
import { run } from "../run.ts";
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
      const client = await connect(args, output);
      try {
        const result = await client.launch.destroy
          .mutate({ ticket: launch.ticket })
          .catch((error) => {
            throw toCliExit(error, { id: launch.id, server: serverUrl(args) });
          });
        await store.remove(launch.id);
        output.data(result);
        output.say(`Destroyed ${launch.id}`);
        return ExitCode.ready;
      } finally {
        await client.close();
      }
    }),
});
