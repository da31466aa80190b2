import { fileURLToPath } from "node:url";
import { z } from "zod";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const list = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);
const flag = z.enum(["0", "1", "true", "false", ""]).transform((v) => v === "1" || v === "true");
const seconds = z.coerce.number().int().positive();

export const DRIVER_NAMES = ["local", "docker", "fly", "kubernetes"] as const;

/** The server's whole configuration, from the environment. Validated once, at start. */
export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  /** The keyring, newest first: `k2:<base64url>,k1:<base64url>`. Unset: a dev keyring in the state dir. */
  LAUNCHER_KEYS: z.string().min(1).optional(),
  LAUNCHER_STATE_DIR: z.string().min(1).default(".launcher"),
  /** Where local instances keep their own files (outside the state dir). */
  LAUNCHER_WORK_DIR: z.string().min(1).optional(),
  /** The host name in local and docker instances' URLs (their ports are on 127.0.0.1). */
  LAUNCHER_PUBLIC_HOST: z.string().min(1).default("127.0.0.1"),
  /** Extra allowed WebSocket origins, besides the server's own. */
  LAUNCHER_ALLOWED_ORIGINS: list.default([]),
  LAUNCHER_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
  /** How long a ticket lives, in seconds. */
  LAUNCHER_TICKET_MAX_AGE: seconds.default(86_400),
  LAUNCHER_DRIVERS: list.pipe(z.array(z.enum(DRIVER_NAMES)).min(1)).default([...DRIVER_NAMES]),
  LAUNCHER_DEFAULT_DRIVER: z.enum(DRIVER_NAMES).default("local"),
  LAUNCHER_DEFAULT_TEMPLATE: z.string().default("scratchpad"),
  /** A JSON file of templates to use instead of the bundled ones. */
  LAUNCHER_TEMPLATES: z.string().optional(),
  /** Lists test fixture templates (never in production). */
  LAUNCHER_FIXTURES: flag.default(false),
  /** Trust `X-Forwarded-For` from a reverse proxy for client addresses. */
  LAUNCHER_TRUST_PROXY: flag.default(false),
  LAUNCHER_WEB_DIR: z.string().default(here("../../web/dist")),
  LAUNCHER_SCRATCHPAD: z.string().default(here("../../scratchpad/dist/main.js")),
  /** Failed unseals allowed per client address per minute. */
  LAUNCHER_UNSEAL_LIMIT: z.coerce.number().int().positive().default(120),
  /** Launches prepared per client address per minute. */
  LAUNCHER_PREPARE_LIMIT: z.coerce.number().int().positive().default(600),
  /** Concurrent subscriptions per WebSocket connection. */
  LAUNCHER_MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(2000),
  DOCKER_HOST: z.string().optional(),
  FLY_API_TOKEN: z.string().optional(),
  FLY_ORG: z.string().default("personal"),
  FLY_REGION: z.string().default("iad"),
  FLY_API_URL: z.string().url().optional(),
  LAUNCHER_K8S_NAMESPACE: z.string().default("default"),
  LAUNCHER_K8S_INGRESS_HOST: z.string().optional(),
});

export type Env = z.infer<typeof EnvSchema>;

/** Reads the configuration, or explains in one line per problem what is wrong. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (parsed.success) {
    if (!parsed.data.LAUNCHER_DRIVERS.includes(parsed.data.LAUNCHER_DEFAULT_DRIVER)) {
      throw new ConfigError([
        `LAUNCHER_DEFAULT_DRIVER: "${parsed.data.LAUNCHER_DEFAULT_DRIVER}" is not in LAUNCHER_DRIVERS`,
      ]);
    }
    return parsed.data;
  }
  throw new ConfigError(
    parsed.error.issues.map((issue) => `${issue.path.join(".") || "env"}: ${issue.message}`),
  );
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`Bad configuration:\n  ${problems.join("\n  ")}`);
  }
}
