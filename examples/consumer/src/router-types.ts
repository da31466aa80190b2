// Compile-time proof that the router's types came with the package: were `AppRouter` lost
// (an `any`), each `@ts-expect-error` below would be unused, and `tsc` would fail.
import type { LauncherClient, Snapshot } from "@launcher/client";

export async function misuses(client: LauncherClient): Promise<void> {
  // @ts-expect-error a template id is a string
  await client.launch.prepare.mutate({ template: 42 });
  // @ts-expect-error there is no such procedure
  await client.launch.start.mutate({ template: "scratchpad" });
  const { id, ticket } = await client.launch.prepare.mutate({ template: "scratchpad" });
  // @ts-expect-error the ticket is a string
  const wrong: number = ticket;
  const phase: Snapshot["phase"] = "ready";
  // @ts-expect-error not a phase
  const notAPhase: Snapshot["phase"] = "sleeping";
  void [id, wrong, phase, notAPhase];
}
