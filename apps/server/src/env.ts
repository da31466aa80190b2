import { isIP } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseProxyEntry } from "./auth/trusted-proxies.ts";

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
export const AUTH_MODES = ["none", "header", "oidc"] as const;

const proxies = list.pipe(
  z.array(
    z.string().refine((entry) => parseProxyEntry(entry) !== undefined, {
      error: (issue) => `not an address or CIDR: "${String(issue.input)}"`,
    }),
  ),
);
// A header name as HTTP defines a token.
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "not an HTTP header name");
/** `first-last`, e.g. `200000-200999`: uids for local instances; never root (0), never -1. */
const uidRange = z.string().transform((text, ctx) => {
  const match = /^\s*(\d{1,10})\s*-\s*(\d{1,10})\s*$/.exec(text);
  const fail = (message: string) => {
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  };
  if (!match) return fail(`not a uid range "first-last" (e.g. 200000-200999): "${text}"`);
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (first === 0) return fail("uid 0 is root: the range must start at 1 or above");
  if (last < first) return fail(`the range ends (${last}) before it starts (${first})`);
  if (last > 4_294_967_294) return fail("the range goes past the largest uid, 4294967294");
  return { first, last };
});
const publicUrl = z
  .url({ protocol: /^https?$/ })
  .refine((u) => new URL(u).pathname === "/" && !new URL(u).search, "must have no path or query")
  .transform((u) => new URL(u).origin);

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
  /** Shorthand: add the loopback range to `LAUNCHER_TRUSTED_PROXIES`. */
  LAUNCHER_TRUST_PROXY: flag.default(false),
  /** Peers (addresses or CIDRs) whose `X-Forwarded-For` and user header are believed. */
  LAUNCHER_TRUSTED_PROXIES: proxies.default([]),
  /**
   * With sign-in on, let the local driver run every user's instances as the launcher's own
   * user (they can read each other's files and environments): only where all users are trusted.
   */
  LAUNCHER_LOCAL_SHARED_USER: flag.default(false),
  /**
   * `first-last`: uids nothing else uses, from which the local driver runs each instance as its
   * own user (the launcher must run as root). With sign-in on, the local driver offers templates
   * only so, or with LAUNCHER_LOCAL_SHARED_USER=1.
   */
  LAUNCHER_LOCAL_UIDS: uidRange.optional(),
  /** Who the user is: `none` (one user, `local`), `header` (a trusted proxy says), `oidc`. */
  LAUNCHER_AUTH: z.enum(AUTH_MODES).default("none"),
  /** With `header`: the header that names the user. */
  LAUNCHER_AUTH_HEADER: headerName.default("X-Forwarded-User"),
  /** User names that may act on everyone's instances. */
  LAUNCHER_ADMINS: list.default([]),
  /** With `oidc`: the OpenID Provider's issuer URL. */
  LAUNCHER_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  LAUNCHER_OIDC_CLIENT_ID: z.string().min(1).optional(),
  /** Unset: a public client (PKCE alone). */
  LAUNCHER_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** The claim that names the user (`sub` when a token lacks it). */
  LAUNCHER_OIDC_USER_CLAIM: z.string().min(1).default("email"),
  /** The launcher's URL as browsers see it (the sign-in redirect, cookies' Secure flag). */
  LAUNCHER_PUBLIC_URL: publicUrl.optional(),
  /** How long a sign-in lasts, in seconds. */
  LAUNCHER_SESSION_MAX_AGE: seconds.default(43_200),
  /** Open WebSocket connections per client address (IPv6: per /64). */
  LAUNCHER_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().positive().default(64),
  /** Calls one HTTP batch may hold. */
  LAUNCHER_MAX_BATCH_SIZE: z.coerce.number().int().positive().default(64),
  /** A bearer token that opens `/metrics` to scrapers beyond loopback and trusted proxies. */
  LAUNCHER_METRICS_TOKEN: z.string().min(16).optional(),
  LAUNCHER_WEB_DIR: z.string().default(here("../../web/dist")),
  /** Absolute: local instances start in their own work dirs. */
  LAUNCHER_SCRATCHPAD: z
    .string()
    .default(here("../../scratchpad/dist/main.js"))
    .transform((path) => resolve(path)),
  /** Failed unseals allowed per client address per minute. */
  LAUNCHER_UNSEAL_LIMIT: z.coerce.number().int().positive().default(120),
  /** Launches prepared per client address per minute. */
  LAUNCHER_PREPARE_LIMIT: z.coerce.number().int().positive().default(600),
  /** Destroys per client address per minute (each may leave a tombstone on the platform). */
  LAUNCHER_DESTROY_LIMIT: z.coerce.number().int().positive().default(60),
  /** Follows per client address per minute. */
  LAUNCHER_FOLLOW_LIMIT: z.coerce.number().int().positive().default(600),
  /** Follows of one instance per minute (one ticket handed around). */
  LAUNCHER_FOLLOW_INSTANCE_LIMIT: z.coerce.number().int().positive().default(120),
  /** How long an instance lives at most, in seconds (a template's `ttl` may say less). */
  LAUNCHER_INSTANCE_TTL: seconds.default(28_800),
  /** Instances one user may have that are not failed; a new launch past it is refused. */
  LAUNCHER_MAX_INSTANCES_PER_USER: z.coerce.number().int().positive().default(3),
  /** Instances the launcher may run in all, every user and platform together (not failed). */
  LAUNCHER_MAX_INSTANCES: z.coerce.number().int().positive().default(100),
  /** How often each replica destroys expired instances, in seconds on average (jittered). */
  LAUNCHER_REAP_INTERVAL: seconds.default(60),
  /** Concurrent subscriptions per WebSocket connection. */
  LAUNCHER_MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(2000),
  DOCKER_HOST: z.string().optional(),
  FLY_API_TOKEN: z.string().optional(),
  FLY_ORG: z.string().default("personal"),
  FLY_REGION: z.string().default("iad"),
  FLY_API_URL: z.string().url().optional(),
  /** The one Fly app that holds tombstones (app names are global: pick one of your own). */
  FLY_TOMBSTONE_APP: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/)
    .optional(),
  LAUNCHER_K8S_NAMESPACE: z.string().default("default"),
  LAUNCHER_K8S_INGRESS_HOST: z.string().optional(),
  /** The instances' Ingress class, where the cluster has several. */
  LAUNCHER_K8S_INGRESS_CLASS: z.string().min(1).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

/** Whether `host` (a `HOST` value) is a loopback address, reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  const bare = host.toLowerCase();
  return bare === "::1" || /^::ffff:127\./.test(bare);
}

/** Rules across variables, one line per problem. */
function crossProblems(env: Env, source: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  if (!env.LAUNCHER_DRIVERS.includes(env.LAUNCHER_DEFAULT_DRIVER)) {
    problems.push(
      `LAUNCHER_DEFAULT_DRIVER: "${env.LAUNCHER_DEFAULT_DRIVER}" is not in LAUNCHER_DRIVERS`,
    );
  }
  if (!source.LAUNCHER_AUTH && !isLoopbackHost(env.HOST)) {
    problems.push(
      `HOST: "${env.HOST}" is reachable from other machines and LAUNCHER_AUTH is not set: set LAUNCHER_AUTH=header or oidc, or LAUNCHER_AUTH=none to let anyone who reaches it in`,
    );
  }
  if (
    env.LAUNCHER_AUTH === "header" &&
    env.LAUNCHER_TRUSTED_PROXIES.length === 0 &&
    !env.LAUNCHER_TRUST_PROXY
  ) {
    problems.push(
      "LAUNCHER_TRUSTED_PROXIES: LAUNCHER_AUTH=header needs the proxies whose user header to believe",
    );
  }
  if (env.LAUNCHER_AUTH === "oidc") {
    for (const name of [
      "LAUNCHER_OIDC_ISSUER",
      "LAUNCHER_OIDC_CLIENT_ID",
      "LAUNCHER_PUBLIC_URL",
    ] as const) {
      if (!env[name]) problems.push(`${name}: required with LAUNCHER_AUTH=oidc`);
    }
  }
  return problems;
}

/** Reads the configuration, or explains in one line per problem what is wrong. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (parsed.success) {
    const problems = crossProblems(parsed.data, source);
    if (problems.length > 0) throw new ConfigError(problems);
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
