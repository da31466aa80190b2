import type { TRPCRouterRecord } from "@trpc/server";
import { TemplateListSchema } from "../schemas.ts";
import { publicProcedure } from "../trpc.ts";

const reasonOf = (a: { available: boolean; reason?: string; detail?: string }) =>
  a.available ? a.detail : a.reason;

export const templatesRouter = {
  /** Every template under each configured driver, with whether it can run here. */
  list: publicProcedure.output(TemplateListSchema).query(async ({ ctx }) => {
    const { drivers, templates, defaultDriver, defaultTemplate } = ctx.deps;
    const driverStatus = new Map(
      await Promise.all(
        [...drivers.values()].map(async (d) => [d.name, await d.available()] as const),
      ),
    );
    return {
      defaultTemplate,
      defaultDriver,
      drivers: [...driverStatus].map(([name, a]) => ({
        name,
        available: a.available,
        reason: reasonOf(a as { available: boolean; reason?: string; detail?: string }),
      })),
      templates: await Promise.all(
        templates.map(async (template) => ({
          id: template.id,
          name: template.name,
          description: template.description,
          credentials: template.secrets.filter((s) => s.credential).map((s) => s.name),
          drivers: await Promise.all(
            [...drivers.values()]
              .filter((d) => d.name in template.drivers && template.drivers[d.name as "local"])
              .map(async (d) => {
                const a = driverStatus.get(d.name)!.available
                  ? await d.availableFor(template)
                  : driverStatus.get(d.name)!;
                return {
                  driver: d.name,
                  available: a.available,
                  reason: reasonOf(a as { available: boolean; reason?: string; detail?: string }),
                };
              }),
          ),
        })),
      ),
    };
  }),
} satisfies TRPCRouterRecord;
