import { defineCommand } from "citty";
import { connect, ticketStore } from "../connect.ts";
import { CliExit, ExitCode, usageError } from "../exit.ts";
import { followAndReport } from "../follow-flow.ts";
import { run } from "../run.ts";
import { commonArgs, describeLaunch, findLaunch } from "./common.ts";

export const followCommand = defineCommand({
  meta: {
    name: "follow",
    description: "Follow a launch again (the only one kept, when no ID is given)",
  },
  args: {
    id: { type: "positional", required: false, description: "The launch id (or a prefix)" },
    ...commonArgs,
  },
  run: ({ args }) =>
    run(args, async (output) => {
      const { store, dir } = ticketStore();
      let launch: Awaited<ReturnType<typeof findLaunch>>;
      if (args.id) {
        launch = await findLaunch(store, args.id);
      } else {
        const launches = await store.list();
        if (launches.length === 0) throw usageError(`No launches to follow in ${dir}`);
        if (launches.length > 1) {
          for (const other of launches) output.note(describeLaunch(other));
          throw new CliExit(
            ExitCode.usage,
            `${launches.length} launches are kept; say which: launcher follow ID`,
          );
        }
        launch = launches[0]!;
      }
      const client = await connect(args, output, launch);
      try {
        return await followAndReport({ client, store, launch, args, output });
      } finally {
        await client.close();
      }
    }),
});
