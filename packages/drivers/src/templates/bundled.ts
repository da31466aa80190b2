import type { TemplateInput } from "../template.ts";

/**
 * The templates the launcher ships with. They are data: a new one needs no code.
 * `{scratchpad}` is the path of the bundled Scratchpad app, supplied by the server.
 */
const SCRATCHPAD_SECRETS = [{ name: "password", env: "SCRATCHPAD_PASSWORD", length: 24 }];

/** Scratchpad on this machine, optionally held `startDelay` seconds before it starts. */
const scratchpadLocal = (startDelay = 0) => ({
  command: ["{node}", "{scratchpad}"],
  env: { SCRATCHPAD_PORT: "{port}", SCRATCHPAD_HOST: "127.0.0.1" },
  healthPath: "/health",
  timeout: 30,
  startDelay,
});

export const BUNDLED_TEMPLATES: TemplateInput[] = [
  {
    id: "scratchpad",
    name: "Scratchpad",
    description: "A small password-protected notes page. Runs anywhere, in a second.",
    secrets: SCRATCHPAD_SECRETS,
    drivers: {
      local: scratchpadLocal(),
      // Built and imported by scripts/engine.sh (busybox, Basic auth against the password).
      docker: {
        image: "localhost/launcher-scratchpad:latest",
        port: 8080,
        healthPath: "/health",
        timeout: 30,
      },
    },
  },
  {
    id: "jupyter",
    name: "Jupyter Notebook",
    description: "The classic Jupyter Notebook server with a private home directory.",
    secrets: [{ name: "token", env: "JUPYTER_TOKEN", length: 32 }],
    drivers: {
      local: {
        requires: "jupyter",
        command: [
          "jupyter",
          "notebook",
          "--no-browser",
          "--allow-root",
          "--ip=127.0.0.1",
          "--port={port}",
          "--port-retries=0",
          "--NotebookApp.base_url=/{id}/",
          "--notebook-dir={dir}/notebooks",
        ],
        dirs: ["home", "notebooks", "config", "data", "runtime"],
        env: {
          HOME: "{dir}/home",
          JUPYTER_CONFIG_DIR: "{dir}/config",
          JUPYTER_DATA_DIR: "{dir}/data",
          JUPYTER_RUNTIME_DIR: "{dir}/runtime",
        },
        healthPath: "/{id}/api",
        urlPath: "/{id}/",
        timeout: 60,
      },
      docker: {
        image: "quay.io/jupyter/base-notebook:latest",
        port: 8888,
        healthPath: "/api",
      },
      kubernetes: {
        image: "quay.io/jupyter/base-notebook:latest",
        port: 8888,
        healthPath: "/api",
      },
    },
  },
  {
    id: "livebook",
    name: "Livebook",
    description: "Interactive Elixir notebooks.",
    secrets: [
      { name: "password", env: "LIVEBOOK_PASSWORD", length: 24 },
      { name: "secretKeyBase", env: "LIVEBOOK_SECRET_KEY_BASE", length: 64, credential: false },
      { name: "cookie", env: "LIVEBOOK_COOKIE", length: 32, credential: false },
    ],
    drivers: {
      docker: {
        image: "ghcr.io/livebook-dev/livebook:latest",
        port: 8080,
        healthPath: "/public/health",
      },
      fly: {
        image: "ghcr.io/livebook-dev/livebook:latest",
        port: 8080,
        healthPath: "/public/health",
        guest: { cpus: 1, memoryMb: 1024 },
      },
      kubernetes: {
        image: "ghcr.io/livebook-dev/livebook:latest",
        port: 8080,
        healthPath: "/public/health",
      },
    },
  },
  {
    // A Scratchpad held in "starting" for a while: lets tests and benchmarks act
    // mid-launch. Listed only with LAUNCHER_FIXTURES=1.
    id: "scratchpad-slow",
    name: "Scratchpad (slow start, fixture)",
    description: "Scratchpad that waits before it starts. For tests only.",
    fixture: true,
    secrets: SCRATCHPAD_SECRETS,
    drivers: { local: scratchpadLocal(3) },
  },
  {
    // A Scratchpad held before its start for 10 minutes: keeps launches open (not
    // terminal) for the resume benchmark. Listed only with LAUNCHER_FIXTURES=1.
    id: "scratchpad-held",
    name: "Scratchpad (held open, fixture)",
    description: "Scratchpad that waits 10 minutes before it starts. For benchmarks only.",
    fixture: true,
    secrets: SCRATCHPAD_SECRETS,
    drivers: { local: scratchpadLocal(600) },
  },
];
