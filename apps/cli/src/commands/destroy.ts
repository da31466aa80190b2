import {
  destroyLaunch,
  isInstanceId,
  type LauncherClient,
  toLauncherError,
} from "@launcher/client";
import { type CommonArgs, withClient } from "../connect.ts";
import { CliExit, ExitCode, usageError } from "../exit.ts";
import { toCliExit } from "../to-cli-exit.ts";
import { matchLaunch } from "./common.ts";
import { defineIdCommand } from "./define-id-command.ts";

export const destroyCommand = defineIdCommand({
  name: "destroy",
  description:
    "Destroy an instance: with its kept ticket, or by its full id as its owner (see: launcher instances)",
  id: { required: true, description: "The launch id (a prefix for a kept launch)" },
  run: async ({ id, args, output, store }) => {
    const launch = await matchLaunch(store, id!);
    return withClient({ args, output, ...(launch ? { launch } : {}) }, async (client) => {
      // A kept ticket goes only when it is refused for good (expired, malformed).
      const destroyed = launch
        ? await destroyLaunch(client, {
            launch,
            store,
            allowOtherServer: args["force-server"] === true,
          })
        : await destroyById(client, id!, args);
      output.data(destroyed);
      output.say(`Destroyed ${destroyed.id}`);
      return ExitCode.ready;
    });
  },
});

/**
 * No ticket kept here: the signed-in owner (or an admin) destroys it by its id, or by a
 * prefix of the id of one of their instances (as `launcher instances` shows it).
 */
async function destroyById(client: LauncherClient, given: string, args: CommonArgs) {
  const server = new URL(client.url);
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
      throw toCliExit(failure, { id, server, args });
    });
  // Not a whole id: a prefix of one of the caller's instances will do.
  return destroy(isInstanceId(given) ? given : await idByPrefix(client, given, server));
}

async function idByPrefix(client: LauncherClient, prefix: string, server: URL): Promise<string> {
  const { instances } =
    prefix.length >= 4 ? await client.instances.list.query({}) : { instances: [] };
  const matches = instances.filter((instance) => instance.id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!.id;
  throw usageError(
    matches.length > 1
      ? `"${prefix}" matches several of your instances; give more of the id`
      : `No launch ${prefix} is kept here, and none of your instances on ${server.origin} has that id (see: launcher instances)`,
  );
}
