import { defineCommand } from "citty";
import { connect, toCliExit } from "../connect.ts";
import { ExitCode } from "../exit.ts";
import { run } from "../run.ts";
import { commonArgs } from "./common.ts";

export const templatesCommand = defineCommand({
  meta: { name: "templates", description: "List the templates this server can launch" },
  args: { ...commonArgs },
  run: ({ args }) =>
    run(args, async (output) => {
      const client = await connect(args, output);
      try {
        const list = await client.templates.list.query().catch((error) => {
          throw toCliExit(error);
        });
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
      } finally {
        await client.close();
      }
    }),
});
