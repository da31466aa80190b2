import { z } from "zod";

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");
const healthPath = z.string().startsWith("/");
/**
 * A folder inside the instance's working directory: one name, never `.` or `..` (nor absolute,
 * nor holding a `..` segment). Isolated, the driver gives each such folder to the instance's
 * uid as root: `..` would give it the folder of every instance.
 */
const subDir = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]+$/, "one folder name (letters, digits, _ . -)")
  .refine(
    (dir) => !dir.startsWith("/") && !dir.split("/").some((part) => part === "." || part === ".."),
    "a folder inside {dir}, not . or ..",
  );

/** A secret the launcher generates for each instance and hands it through its environment. */
export const SecretDefSchema = z.strictObject({
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
export const LocalSpecSchema = z.strictObject({
  command: z.array(z.string()).min(1),
  /** A binary that must be on PATH for this template to run (`jupyter`). */
  requires: z.string().optional(),
  env: z.record(envName, z.string()).default({}),
  /** Folders to create inside the instance's working directory `{dir}` before it starts. */
  dirs: z.array(subDir).default([]),
  healthPath,
  /** Path of the instance's base URL, ending in `/`. */
  urlPath: z.string().startsWith("/").endsWith("/").default("/"),
  /** Seconds to wait for the health check before the launch fails. */
  timeout: z.number().int().positive().default(120),
  /** Seconds the app is held before it starts (test fixtures only). */
  startDelay: z.number().nonnegative().max(600).default(0),
});

export const ContainerSpecSchema = z.strictObject({
  image: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  command: z.array(z.string()).optional(),
  env: z.record(envName, z.string()).default({}),
  healthPath,
  urlPath: z.string().startsWith("/").endsWith("/").default("/"),
  timeout: z.number().int().positive().default(300),
  /** Fly guest size; ignored elsewhere. */
  guest: z
    .strictObject({ cpus: z.number().int().positive(), memoryMb: z.number().int().positive() })
    .optional(),
});

/** Limits for one instance; applied on docker, kubernetes and fly. */
export const ResourcesSchema = z.strictObject({
  /** CPUs (fractions allowed on docker and kubernetes; fly rounds up to whole CPUs). */
  cpus: z.number().positive().max(64).optional(),
  memoryMiB: z.number().int().min(16).max(262_144).optional(),
  /** Processes and threads the instance may run at once. */
  pids: z.number().int().min(16).max(1_000_000).optional(),
});

/**
 * A template: data, validated whole. Unknown keys are refused (a misspelt field is not silently
 * dropped), secret names and their environment variables are unique, and no spec's `env` sets
 * a secret's variable (it would replace the generated secret with a constant).
 */
export const TemplateSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
    name: z.string().min(1),
    description: z.string(),
    secrets: z.array(SecretDefSchema).default([]),
    drivers: z.strictObject({
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
  })
  .superRefine((template, ctx) => {
    const names = new Set<string>();
    const envs = new Set<string>();
    for (const [i, secret] of template.secrets.entries()) {
      if (names.has(secret.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["secrets", i, "name"],
          message: `duplicate secret name "${secret.name}"`,
        });
      }
      if (envs.has(secret.env)) {
        ctx.addIssue({
          code: "custom",
          path: ["secrets", i, "env"],
          message: `duplicate secret variable "${secret.env}"`,
        });
      }
      names.add(secret.name);
      envs.add(secret.env);
    }
    for (const [driver, spec] of Object.entries(template.drivers)) {
      for (const name of Object.keys(spec?.env ?? {})) {
        if (!envs.has(name)) continue;
        ctx.addIssue({
          code: "custom",
          path: ["drivers", driver, "env", name],
          message: `sets ${name}, the variable of a generated secret`,
        });
      }
    }
  });

export type SecretDef = z.infer<typeof SecretDefSchema>;
export type LocalSpec = z.infer<typeof LocalSpecSchema>;
export type ContainerSpec = z.infer<typeof ContainerSpecSchema>;
export type Resources = z.infer<typeof ResourcesSchema>;
export type Template = z.infer<typeof TemplateSchema>;
export type TemplateInput = z.input<typeof TemplateSchema>;

const PLACEHOLDER = /\{([a-zA-Z][a-zA-Z0-9_]*)\}/g;

/** The names of the `{name}` placeholders in `text`, in order. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

/** Fills `{name}` placeholders; an unknown name is a bad spec, not a silent blank. */
export function fillPlaceholders(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new TypeError(`unknown placeholder ${whole}`);
    return value;
  });
}
