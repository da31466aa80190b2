#!/usr/bin/env node
import { stripVTControlCharacters } from "node:util";
import { type ArgsDef, type CommandDef, defineCommand, runCommand, showUsage } from "citty";
import pkg from "../package.json" with { type: "json" };
import { hoistCommonFlags } from "./argv.ts";
import { destroyCommand } from "./commands/destroy.ts";
import { dismissCommand } from "./commands/dismiss.ts";
import { followCommand } from "./commands/follow.ts";
import { instancesCommand } from "./commands/instances.ts";
import { launchCommand } from "./commands/launch.ts";
import { listCommand } from "./commands/list.ts";
import { templatesCommand } from "./commands/templates.ts";
import { ExitCode } from "./exit.ts";
import { reportError } from "./run.ts";

const subCommands = {
  templates: templatesCommand,
  launch: launchCommand,
  follow: followCommand,
  list: listCommand,
  instances: instancesCommand,
  destroy: destroyCommand,
  dismiss: dismissCommand,
};

export const main = defineCommand({
  meta: {
    name: "launcher",
    version: pkg.version,
    description: "Launch, follow and destroy instances on a launcher server",
  },
  subCommands,
});

/** What `launcher --help` adds after the commands. */
const MORE_HELP = `ENVIRONMENT

  LAUNCHER_URL            The server when --server is not given (default http://127.0.0.1:3000)
  LAUNCHER_AUTHORIZATION  The whole Authorization header for the server or the proxy in front
                          of it, e.g. "Basic <base64 of user:password>" or "Bearer <token>"
  LAUNCHER_TOKEN          A bearer token alone; from <server>/auth/token in a signed-in browser
                          when the server signs users in itself. Set one of the two, never in
                          argv (ps shows it): read -rs LAUNCHER_TOKEN && export LAUNCHER_TOKEN
                          Sent only to the server --server (else LAUNCHER_URL) names
  XDG_STATE_HOME          Tickets go to $XDG_STATE_HOME/launcher (default ~/.local/state/launcher)

EXIT CODES

  0 ready · 1 failed · 2 usage · 3 unreachable · 4 refused (ticket, or not yours) · 5 ticket of
  another server · 6 plain http to another machine · 7 over quota · 8 unauthenticated (set
  LAUNCHER_AUTHORIZATION or LAUNCHER_TOKEN) · 130 interrupted
`;

/** The subcommand named in `argv`, for its own `--help`. */
function commandFor(argv: string[]): CommandDef<ArgsDef> | undefined {
  const name = argv.find((arg) => !arg.startsWith("-"));
  return name && Object.hasOwn(subCommands, name)
    ? (subCommands[name as keyof typeof subCommands] as unknown as CommandDef<ArgsDef>)
    : undefined;
}

async function cli(given: string[]): Promise<number> {
  const argv = hoistCommonFlags(given);
  const debug = argv.includes("--debug");
  if (argv.includes("--help") || argv.includes("-h")) {
    const sub = commandFor(argv);
    if (sub) await showUsage(sub, main as unknown as CommandDef<ArgsDef>);
    else {
      await showUsage(main);
      process.stdout.write(`${MORE_HELP}\n`);
    }
    return ExitCode.ready;
  }
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    process.stdout.write(`${pkg.version}\n`);
    return ExitCode.ready;
  }
  if (argv.length === 0) {
    await showUsage(main);
    return ExitCode.usage;
  }
  try {
    await runCommand(main, { rawArgs: argv });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.ready;
  } catch (error) {
    // citty's own errors: an unknown command, a missing argument.
    const message = error instanceof Error ? stripVTControlCharacters(error.message) : "";
    process.stderr.write(`launcher: ${message} (see: launcher --help)\n`);
    if (debug) reportError(error, true);
    return ExitCode.usage;
  }
}

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => process.exit(reportError(error, process.argv.includes("--debug"))),
);
