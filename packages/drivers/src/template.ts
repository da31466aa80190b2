import { z } from "zod";

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");
const healthPath = z.string().startsWith("/");

/** A secret the launcher generates for each instance and hands it through its environment. */
export const SecretDefSchema = z.object({
  /** The credential's name as the user sees it (`password`, `token`). */
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/),
  /** The environment variable the instance reads it from. */
  env: envName,
  /** Length in URL-safe characters (letters, digits, `-`, `_`); at least 16. */
  length: z.number().int().min(16).max(256).default(24),
  /** Shown to the user in the summary (a password) or only handed to the app (a cookie). */
  credential: z.boolean().default(true),
});

/**
 * Strings in specs may hold placeholders the driver fills in: `{id}` (instance id),
 * `{port}` (local: the port picked), `{dir}` (local: the instance's own working
 * directory), `{node}` (local: this Node binary) and any extra variables the driver
 * was configured with (e.g. `{scratchpad}`).
 */
export const LocalSpecSchema = z.object({
  command: z.array(z.string()).min(1),
  /** A binary that must be on PATH for this template to run (`jupyter`). */
  requires: z.string().optional(),
  env: z.record(envName, z.string()).default({}),
  /** Folders to create inside the instance's working directory `{dir}` before it starts. */
  dirs: z.array(z.string().regex(/^[a-zA-Z0-9_.-]+$/)).default([]),
  healthPath,
  /** Path of the instance's base URL, ending in `/`. */
  urlPath: z.string().startsWith("/").endsWith("/").default("/"),
  /** Seconds to wait for the health check before the launch fails. */
  timeout: z.number().int().positive().default(120),
  /** Seconds the app is held before it starts (test fixtures only). */
  startDelay: z.number().nonnegative().max(600).default(0),
});

export const ContainerSpecSchema = z.object({
  image: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  command: z.array(z.string()).optional(),
  env: z.record(envName, z.string()).default({}),
  healthPath,
  urlPath: z.string().startsWith("/").endsWith("/").default("/"),
  timeout: z.number().int().positive().default(300),
  /** Fly guest size; ignored elsewhere. */
  guest: z
    .object({ cpus: z.number().int().positive(), memoryMb: z.number().int().positive() })
    .optional(),
});

/** Limits for one instance; applied on docker, kubernetes and fly. */
export const ResourcesSchema = z
  .object({
    /** CPUs (fractions allowed on docker and kubernetes; fly rounds up to whole CPUs). */
    cpus: z.number().positive().max(64).optional(),
    memoryMiB: z.number().int().min(16).max(262_144).optional(),
    /** Processes and threads the instance may run at once. */
    pids: z.number().int().min(16).max(1_000_000).optional(),
  })
  .strict();

export const TemplateSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  name: z.string().min(1),
  description: z.string(),
  secrets: z.array(SecretDefSchema).default([]),
  drivers: z.object({
    local: LocalSpecSchema.optional(),
    docker: ContainerSpecSchema.optional(),
    fly: ContainerSpecSchema.optional(),
    kubernetes: ContainerSpecSchema.optional(),
  }),
  /** Seconds an instance lives at most; below the server's LAUNCHER_INSTANCE_TTL to matter. */
  ttl: z.number().int().positive().optional(),
  resources: ResourcesSchema.optional(),
  /** Test fixtures are listed only when LAUNCHER_FIXTURES=1. */
  fixture: z.boolean().default(false),
});

export type SecretDef = z.infer<typeof SecretDefSchema>;
export type LocalSpec = z.infer<typeof LocalSpecSchema>;
export type ContainerSpec = z.infer<typeof ContainerSpecSchema>;
export type Resources = z.infer<typeof ResourcesSchema>;
export type Template = z.infer<typeof TemplateSchema>;
export type TemplateInput = z.input<typeof TemplateSchema>;

/** Fills `{name}` placeholders; an unknown name is a bad spec, not a silent blank. */
export function fillPlaceholders(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new TypeError(`unknown placeholder ${whole}`);
    return value;
  });
}
