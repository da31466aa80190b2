import type { Availability } from "@launcher/drivers";
import type { TRPCRouterRecord } from "@trpc/server";
import { TemplateListSchema } from "../schemas.ts";
import { publicProcedure } from "../trpc.ts";

const reasonOf = (a: Availability) => (a.available ? a.detail : a.reason);

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
        reason: reasonOf(a),
      })),
      templates: await Promise.all(
        templates.map(async (template) => ({
          id: template.id,
          name: template.name,
          description: template.description,
          credentials: template.secrets.filter((s) => s.credential).map((s) => s.name),
          // Every driver, those the template has no spec for too: the driver says so.
          drivers: await Promise.all(
            [...drivers.values()].map(async (d) => {
              const a = driverStatus.get(d.name)!.available
                ? await d.availableFor(template)
                : driverStatus.get(d.name)!;
              return { driver: d.name, available: a.available, reason: reasonOf(a) };
            }),
          ),
        })),
      ),
    };
  }),
} satisfies TRPCRouterRecord;
