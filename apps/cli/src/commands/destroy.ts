import { destroyLaunch, type LauncherClient, toLauncherError } from "@launcher/client";
import { defineCommand } from "citty";
import { type CommonArgs, connect, ticketStore, toCliExit } from "../connect.ts";
import { CliExit, ExitCode, usageError } from "../exit.ts";
import type { Output } from "../output.ts";
import { run } from "../run.ts";
import { serverUrl } from "../server-url.ts";
import { commonArgs, matchLaunch } from "./common.ts";

export const destroyCommand = defineCommand({
  meta: {
    name: "destroy",
    description:
      "Destroy an instance: with its kept ticket, or by its full id as its owner (see: launcher instances)",
  },
  args: {
    id: {
      type: "positional",
      required: true,
      description: "The launch id (a prefix for a kept launch)",
    },
    ...commonArgs,
  },
  run: ({ args }) =>
    run(args, async (output) => {
      const { store } = ticketStore();
      const launch = await matchLaunch(store, args.id);
      if (!launch) return destroyById(args.id, args, output);
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

/**
 * No ticket kept here: the signed-in owner (or an admin) destroys it by its id, or by a
 * prefix of the id of one of their instances (as `launcher instances` shows it).
 */
async function destroyById(given: string, args: CommonArgs, output: Output): Promise<ExitCode> {
  const client = await connect(args, output);
  const server = serverUrl(args);
  try {
    const destroy = (id: string) =>
      client.instances.destroy.mutate({ id }).catch((error) => {
        const failure = toLauncherError(error);
        if (failure.code === "not_found") {
          throw new CliExit(
            ExitCode.usage,
            `No instance ${id} on ${server.origin} (see: launcher instances)`,
            { cause: failure },
          );
        }
        throw toCliExit(failure, { id, server });
      });
    const destroyed = await destroy(given).catch(async (error: unknown) => {
      // Not a whole id: a prefix of one of the caller's instances will do.
      if (!(error instanceof CliExit) || toLauncherError(error.cause).code !== "bad_request") {
        throw error;
      }
      return destroy(await idByPrefix(client, given, server));
    });
    output.data(destroyed);
    output.say(`Destroyed ${destroyed.id}`);
    return ExitCode.ready;
  } finally {
    await client.close();
  }
}

async function idByPrefix(client: LauncherClient, prefix: string, server: URL): Promise<string> {
  const { instances } =
    prefix.length >= 4
      ? await client.instances.list.query({}).catch((error) => {
          throw toCliExit(error, { server });
        })
      : { instances: [] };
  const matches = instances.filter((instance) => instance.id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!.id;
  throw usageError(
    matches.length > 1
      ? `"${prefix}" matches several of your instances; give more of the id`
      : `No launch ${prefix} is kept here, and none of your instances on ${server.origin} has that id (see: launcher instances)`,
  );
}
