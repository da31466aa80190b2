import type { IncomingMessage, ServerResponse } from "node:http";
import type { InstanceLister, ObservationHub } from "@launcher/api";
import { cacheFor, type Driver, type InstanceSpec } from "@launcher/drivers";
import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import { type MetricsAccess, mayReadMetrics } from "./metrics-access.ts";

/**
 * The launcher's Prometheus metrics. Labels hold only names from the configuration (template,
 * driver), outcomes and refusal codes: never a secret, a ticket, a user name or an instance id,
 * so that no label leaks and none grows without bound.
 *
 * prom-client is loaded on first use (it costs tens of milliseconds), not at start-up; what
 * happens before it is loaded is queued in order, so no event is lost.
 */
export interface LauncherMetrics {
  /** The drivers, each `ensure` a launch, counted when it ends ready or failed. */
  instrumentDrivers(drivers: Map<string, Driver>): Map<string, Driver>;
  /** The hub, each `watch` (one per `launch.follow`) counted while it runs; sees launches end. */
  instrumentHub(hub: ObservationHub): ObservationHub;
  /** A ticket was refused with this crypto-token code. */
  ticketRefused(code: string): void;
  /** Answers `GET /metrics` (the Prometheus text format), to those allowed to read it. */
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The exposition text, to whoever asks (tests, `serve`). */
  render(): Promise<{ contentType: string; text: string }>;
}

export interface MetricsOptions extends MetricsAccess {
  /** The server's reading of the platforms (`deps.instances`), read at most every `listCacheMs`. */
  instances: () => InstanceLister;
  listCacheMs?: number;
}

interface Instruments {
  registry: Registry;
  launches: Counter<"template" | "driver" | "outcome">;
  readySeconds: Histogram<"template" | "driver">;
  follows: Gauge;
  refusals: Counter<"code">;
}

/** Seconds, from a few for a local process to minutes for an image pull on a cluster. */
const READY_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

export function createMetrics(options: MetricsOptions): LauncherMetrics {
  const countInstances = cacheFor(options.listCacheMs ?? 5_000, () =>
    instancesPerDriver(options.instances()),
  );

  let loaded: Promise<Instruments> | undefined;
  const instruments = () => {
    loaded ??= import("prom-client").then((client) => makeInstruments(client, countInstances));
    return loaded;
  };
  // In order: each event waits on the one load, and runs before a scrape that came after it.
  const record = (update: (i: Instruments) => void) => {
    instruments()
      .then(update)
      .catch(() => {});
  };

  // A launch is counted by the process that ran its `ensure`, once, when it ends there: at the
  // first ready or failed observation a follower sees, or when its failure is recorded (an
  // `ensure` that rejects on a platform hiccup is retried by the launch session: not an end).
  const launches = trackLaunches((launch, outcome) =>
    record((i) => {
      const { template, driver } = launch;
      i.launches.inc({ template, driver, outcome });
      if (outcome === "ready") {
        i.readySeconds.observe(
          { template, driver },
          Math.max(0, Date.now() - launch.createdAt) / 1000,
        );
      }
    }),
  );

  const metrics: LauncherMetrics = {
    instrumentDrivers(drivers) {
      const counted = new Map<string, Driver>();
      for (const [name, driver] of drivers) {
        // A view of the driver whose `ensure` and `recordFailure` are counted; every other
        // member is the driver's own.
        const view: Driver = Object.create(driver);
        Object.defineProperty(view, "ensure", {
          value: (...args: Parameters<Driver["ensure"]>) => {
            launches.started(name, args[0]);
            return driver.ensure(...args);
          },
        });
        Object.defineProperty(view, "recordFailure", {
          value: (id: string, reason: string) => {
            launches.ended(`${name}:${id}`, "failed");
            return driver.recordFailure(id, reason);
          },
        });
        counted.set(name, view);
      }
      return counted;
    },

    instrumentHub(hub) {
      const view: ObservationHub = Object.create(hub);
      Object.defineProperty(view, "watch", {
        value: async function* (...args: Parameters<ObservationHub["watch"]>) {
          const [driver, id] = args;
          record((i) => i.follows.inc());
          try {
            for await (const observation of hub.watch(...args)) {
              const { phase } = observation;
              if (phase === "ready" || phase === "failed")
                launches.ended(`${driver.name}:${id}`, phase);
              yield observation;
            }
          } finally {
            record((i) => i.follows.dec());
          }
        },
      });
      return view;
    },

    ticketRefused(code) {
      record((i) => i.refusals.inc({ code }));
    },

    async render() {
      const { registry } = await instruments();
      return { contentType: registry.contentType, text: await registry.metrics() };
    },

    async serve(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      if (!mayReadMetrics(req, options)) {
        // With a token configured, say how to authenticate; without one, nobody else may.
        const status = options.token ? 401 : 403;
        const headers: Record<string, string> = options.token
          ? { "www-authenticate": 'Bearer realm="metrics"' }
          : {};
        res.writeHead(status, headers).end();
        return;
      }
      const { contentType, text } = await metrics.render();
      res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : text);
    },
  };
  return metrics;
}

function makeInstruments(
  client: typeof import("prom-client"),
  countInstances: () => Promise<Map<string, number>>,
): Instruments {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  new client.Gauge({
    name: "launcher_instances",
    help: "Instances on each available platform that are not destroyed (failed ones included), as Driver.list() reads them; the same on every replica.",
    labelNames: ["driver"] as const,
    registers: [registry],
    async collect() {
      const counts = await countInstances();
      this.reset();
      for (const [driver, count] of counts) this.set({ driver }, count);
    },
  });
  return {
    registry,
    launches: new client.Counter({
      name: "launcher_launches_total",
      help: "Launches this process drove to an end, by template, driver and outcome (ready or failed).",
      labelNames: ["template", "driver", "outcome"] as const,
      registers: [registry],
    }),
    readySeconds: new client.Histogram({
      name: "launcher_launch_ready_seconds",
      help: "Seconds from a launch's ticket being issued to its instance being ready.",
      labelNames: ["template", "driver"] as const,
      buckets: READY_BUCKETS,
      registers: [registry],
    }),
    follows: new client.Gauge({
      name: "launcher_follows_active",
      help: "launch.follow subscriptions open on this process.",
      registers: [registry],
    }),
    refusals: new client.Counter({
      name: "launcher_ticket_refusals_total",
      help: "Tickets refused, by crypto-token code (expired, invalid, malformed…).",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
  };
}

interface Launch {
  template: string;
  driver: string;
  /** When its ticket was issued, epoch ms. */
  createdAt: number;
}

/** Keeps at most this many launches waiting for their end; the oldest is forgotten first. */
const MAX_PENDING = 10_000;

/** The launches this process started and has not yet seen end, by `driver:id`. */
function trackLaunches(onEnd: (launch: Launch, outcome: "ready" | "failed") => void) {
  const pending = new Map<string, Launch>();
  return {
    started(driver: string, spec: InstanceSpec): string {
      const key = `${driver}:${spec.id}`;
      pending.delete(key);
      if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value as string);
      pending.set(key, { template: spec.template.id, driver, createdAt: spec.createdAt });
      return key;
    },
    ended(key: string, outcome: "ready" | "failed") {
      const launch = pending.get(key);
      if (!launch) return;
      pending.delete(key);
      onEnd(launch, outcome);
    },
  };
}

/** Instances per driver whose platform answered; a driver that is down is left out. */
async function instancesPerDriver(lister: InstanceLister): Promise<Map<string, number>> {
  const { instances, reached } = await lister.list();
  const counts = new Map(reached.map((driver) => [driver.name, 0]));
  for (const { driver } of instances) counts.set(driver, (counts.get(driver) ?? 0) + 1);
  return counts;
}
