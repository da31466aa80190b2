import { defineCommand } from "citty";
import { withClient } from "../connect.ts";
import { ExitCode } from "../exit.ts";
import { run } from "../run.ts";
import { commonArgs } from "./common.ts";

export const templatesCommand = defineCommand({
  meta: { name: "templates", description: "List the templates this server can launch" },
  args: { ...commonArgs },
  run: ({ args }) =>
    run(args, (output) =>
      withClient({ args, output }, async (client) => {
        const list = await client.templates.list.query();
        if (output.json) {
          output.data(list);
          return ExitCode.ready;
        }
        for (const template of list.templates) {
          const marker = template.id === list.defaultTemplate ? " (default)" : "";
          output.say(`${template.id}${marker} — ${template.name}: ${template.description}`);
          for (const driver of template.drivers) {
            const state = driver.available ? "available" : `unavailable: ${driver.reason ?? "?"}`;
            const isDefault = driver.driver === list.defaultDriver ? " (default)" : "";
            output.say(`    ${driver.driver}${isDefault}: ${state}`);
          }
        }
        return ExitCode.ready;
      }),
    ),
});
