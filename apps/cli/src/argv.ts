import { commonArgs } from "./commands/common.ts";

/**
 * Moves the options every subcommand takes from before the subcommand to after it, so that
 * `launcher --server URL list` means `launcher list --server URL`. citty picks the subcommand
 * as the first argument that is not a flag, which would otherwise be the URL.
 */
export function hoistCommonFlags(argv: readonly string[]): string[] {
  const hoisted: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const name = flag.slice(2);
    if (!flag.startsWith("--") || !Object.hasOwn(commonArgs, name)) break;
    const def = commonArgs[name as keyof typeof commonArgs];
    if (def.type === "string" && inline === undefined) {
      if (i + 1 >= argv.length) break; // a missing value: left for citty to report
      hoisted.push(arg, argv[i + 1]!);
      i += 2;
    } else {
      hoisted.push(arg);
      i += 1;
    }
  }
  if (i === 0 || i >= argv.length) return [...argv];
  const [command, ...rest] = argv.slice(i);
  return [command!, ...hoisted, ...rest];
}
