import { instancesRouter } from "./router/instances.ts";
import { launchRouter } from "./router/launch.ts";
import { meRouter } from "./router/me.ts";
import { templatesRouter } from "./router/templates.ts";
import { HealthSchema } from "./schemas.ts";
import { createTRPCRouter, openProcedure } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  health: openProcedure.output(HealthSchema).query(({ ctx }) => ({
    ok: true as const,
    version: ctx.deps.version,
  })),
  templates: createTRPCRouter(templatesRouter),
  launch: createTRPCRouter(launchRouter),
  instances: createTRPCRouter(instancesRouter),
  ...meRouter,
});

/** The API's type, for typed clients. Import it with `import type`. */
export type AppRouter = typeof appRouter;
