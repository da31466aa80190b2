import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { publicProcedure } from "../trpc.ts";

/** Who the caller is: `me`'s output. */
export const MeSchema = z.object({ user: z.string(), admin: z.boolean() });
export type Me = z.infer<typeof MeSchema>;

export const meRouter = {
  /** The signed-in user and whether they are an admin (`LAUNCHER_ADMINS`). */
  me: publicProcedure.output(MeSchema).query(({ ctx }) => ({ user: ctx.user, admin: ctx.admin })),
} satisfies TRPCRouterRecord;
