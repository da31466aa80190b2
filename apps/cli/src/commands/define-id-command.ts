import type { TicketStore } from "@launcher/client";
import { defineCommand } from "citty";
import { type CommonArgs, ticketStore } from "../connect.ts";
import type { ExitCode } from "../exit.ts";
import type { Output } from "../output.ts";
import { run } from "../run.ts";
import { commonArgs } from "./common.ts";

export interface IdCommandContext {
  /** The id (or prefix) given; undefined only when it is optional and left out. */
  id: string | undefined;
  args: CommonArgs;
  output: Output;
  /** The tickets kept here, and their directory. */
  store: TicketStore;
  dir: string;
}

/**
 * A subcommand about one launch, `launcher NAME ID`: the id, the options every command
 * takes, and the kept tickets at hand.
 */
export function defineIdCommand(options: {
  name: string;
  description: string;
  id: { required: boolean; description: string };
  run: (context: IdCommandContext) => Promise<ExitCode>;
}) {
  return defineCommand({
    meta: { name: options.name, description: options.description },
    args: {
      id: { type: "positional", ...options.id },
      ...commonArgs,
    },
    run: ({ args }) =>
      run(args, (output) => options.run({ id: args.id, args, output, ...ticketStore() })),
  });
}
