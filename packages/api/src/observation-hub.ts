import type { Driver, InstanceSpec, Observation, SecretEnv } from "@launcher/drivers";
import { DriverError, isTerminal } from "@launcher/drivers";

/**
 * Shares one observation of the platform between every follower of an instance in
 * this process, and one in-flight `ensure` per instance. It is a cache, not a
 * registry: losing it (a restart) loses nothing, since the platform holds the truth.
 */
export interface ObservationHub {
  /** The latest observations of `id`, newest only, until `signal` aborts or a terminal one. */
  watch(driver: Driver, id: string, signal: AbortSignal): AsyncIterable<Observation>;
  /** Runs `driver.ensure` once per instance at a time; a failure becomes a `failed` observation. */
  ensure(driver: Driver, spec: InstanceSpec, env: SecretEnv): Promise<void>;
  /** How many instances are being observed now (for metrics and tests). */
  readonly size: number;
  /** Stops every observation (shutdown). */
  close(): void;
}

interface Channel {
  latest?: Observation;
  /** The platform cannot be reached (set after repeated failures, cleared by an answer). */
  unreachable?: DriverError;
  refs: number;
  wake: Set<() => void>;
  controller: AbortController;
}

const RETRY_MS = [200, 500, 1000, 2000, 5000];
/** Failures in a row after which followers are told the platform cannot be reached. */
const GIVE_UP_AFTER = 3;

export function createObservationHub(options: {
  onError?: (id: string, error: unknown) => void;
}): ObservationHub {
  const channels = new Map<string, Channel>();
  const ensuring = new Map<string, Promise<void>>();
  const keyOf = (driver: Driver, id: string) => `${driver.name}:${id}`;

  const publish = (channel: Channel, observation: Observation) => {
    if (channel.latest && observation.version <= channel.latest.version) return;
    channel.latest = observation;
    for (const wake of channel.wake) wake();
  };

  const run = async (driver: Driver, id: string, channel: Channel) => {
    const { signal } = channel.controller;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        for await (const observation of driver.observe(id, signal)) {
          attempt = 0;
          channel.unreachable = undefined;
          publish(channel, observation);
        }
        if (channel.latest && isTerminal(channel.latest.phase)) return;
      } catch (error) {
        if (signal.aborted) return;
        options.onError?.(id, error);
        const unreachable =
          error instanceof DriverError &&
          (error.code === "unavailable" || error.code === "refused");
        if (unreachable && attempt + 1 >= GIVE_UP_AFTER) {
          // Rather than a silent spinner: followers get a typed error and keep their ticket.
          channel.unreachable = error;
          for (const wake of channel.wake) wake();
        }
      }
      const delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        signal.addEventListener(
          "abort",
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  };

  const acquire = (driver: Driver, id: string) => {
    const key = keyOf(driver, id);
    let channel = channels.get(key);
    if (!channel) {
      channel = { refs: 0, wake: new Set(), controller: new AbortController() };
      channels.set(key, channel);
      void run(driver, id, channel);
    }
    channel.refs++;
    return channel;
  };

  const release = (driver: Driver, id: string, channel: Channel) => {
    if (--channel.refs > 0) return;
    channel.controller.abort();
    channels.delete(keyOf(driver, id));
  };

  return {
    get size() {
      return channels.size;
    },
    async *watch(driver, id, signal) {
      const channel = acquire(driver, id);
      try {
        let sent = -1;
        while (!signal.aborted) {
          if (channel.unreachable) throw channel.unreachable;
          const latest = channel.latest;
          if (latest && latest.version > sent) {
            sent = latest.version;
            yield latest;
            if (isTerminal(latest.phase)) return;
            continue;
          }
          await new Promise<void>((resolve) => {
            const wake = () => {
              channel.wake.delete(wake);
              signal.removeEventListener("abort", wake);
              resolve();
            };
            channel.wake.add(wake);
            signal.addEventListener("abort", wake, { once: true });
          });
        }
      } finally {
        release(driver, id, channel);
      }
    },
    ensure(driver, spec, env) {
      const key = keyOf(driver, spec.id);
      let pending = ensuring.get(key);
      if (!pending) {
        const controller = new AbortController();
        pending = driver
          .ensure(spec, env, controller.signal)
          .catch((error: unknown) => {
            options.onError?.(spec.id, error);
            const channel = channels.get(key);
            const latest = channel?.latest;
            if (!channel || (latest && isTerminal(latest.phase))) return;
            publish(channel, {
              version: (latest?.version ?? 0) + 1,
              phase: "failed",
              steps: (latest?.steps ?? []).map((step) =>
                step.state === "running" ? { ...step, state: "failed" } : step,
              ),
              logTail: latest?.logTail ?? [],
              error: error instanceof DriverError ? error.message : "The launch could not start",
            });
          })
          .finally(() => ensuring.delete(key));
        ensuring.set(key, pending);
      }
      return pending;
    },
    close() {
      for (const channel of channels.values()) channel.controller.abort();
      channels.clear();
    },
  };
}
