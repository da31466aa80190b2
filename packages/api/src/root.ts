import { launchRouter } from "./router/launch.ts";
import { templatesRouter } from "./router/templates.ts";
import { HealthSchema } from "./schemas.ts";
import { createTRPCRouter, publicProcedure } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  health: publicProcedure.output(HealthSchema).query(({ ctx }) => ({
    ok: true as const,
    version: ctx.deps.version,
  })),
  templates: createTRPCRouter(templatesRouter),
  launch: createTRPCRouter(launchRouter),
});

/** The API's type, for typed clients. Import it with `import type`. */
export type AppRouter = typeof appRouter;
