import type { Driver, Observation, RetryOptions } from "@launcher/drivers";
import { DEFAULT_RETRY, isTerminal, retryDelay, sleep } from "@launcher/drivers";
import { type Lingering, makeLingering } from "./lingering.ts";

/**
 * Shares one observation of the platform between every follower of an instance in this
 * process. It is a cache, not a registry: losing it (a restart) loses nothing, since the
 * platform holds the truth. It never writes to the platform and never makes an observation up.
 */
export interface ObservationHub {
  /**
   * The observations of `id`, newest only and each version once, until `signal` aborts or a
   * terminal one. Throws the platform's error once it has failed for long (see
   * `unreachableAfterMs`); a brief failure is retried out of sight.
   */
  watch(driver: Driver, id: string, signal: AbortSignal): AsyncIterable<Observation>;
  /** How many instances are being observed now (for metrics and tests). */
  readonly size: number;
  /** Stops every observation (shutdown). */
  close(): void;
}

export interface ObservationHubOptions {
  /**
   * How long an observation outlives its last follower, in ms, so that followers who come and
   * go (a reconnect, a refresh, a storm of follows) share one. Default 5000.
   */
  lingerMs?: number;
  /** How long the platform fails before followers are told (and at least 3 reads). Default 10 s. */
  unreachableAfterMs?: number;
  /** Backoff between reads that failed. */
  retry?: RetryOptions;
  onError?: (id: string, error: unknown) => void;
}

interface Channel extends Lingering {
  key: string;
  latest?: Observation;
  /** The observation reached a terminal phase: nothing more will come. */
  ended: boolean;
  /** The platform has failed for long (cleared by its next answer). */
  unreachable?: unknown;
  waiters: Set<() => void>;
  controller: AbortController;
}

/** Failed reads in a row before followers may be told (with `unreachableAfterMs`). */
const MIN_FAILURES = 3;

/**
 * @example
 * const hub = createObservationHub({ onError: (id, e) => log.warn({ id }, String(e)) });
 * for await (const o of hub.watch(driver, id, signal)) console.log(o.version, o.phase);
 */
export function createObservationHub(options: ObservationHubOptions = {}): ObservationHub {
  const lingerMs = options.lingerMs ?? 5000;
  const unreachableAfterMs = options.unreachableAfterMs ?? 10_000;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const channels = new Map<string, Channel>();

  const notify = (channel: Channel) => {
    for (const wake of [...channel.waiters]) wake();
  };

  const remove = (channel: Channel) => {
    clearTimeout(channel.linger);
    channel.controller.abort();
    if (channels.get(channel.key) === channel) channels.delete(channel.key);
    notify(channel);
  };

  const run = async (driver: Driver, id: string, channel: Channel) => {
    const { signal } = channel.controller;
    let failures = 0;
    let failingSince: number | undefined;
    while (!signal.aborted) {
      try {
        for await (const observation of driver.observe(id, signal)) {
          failures = 0;
          failingSince = undefined;
          channel.unreachable = undefined;
          if (channel.latest && observation.version <= channel.latest.version) continue;
          channel.latest = observation;
          notify(channel);
        }
        if (signal.aborted) return;
        if (channel.latest && isTerminal(channel.latest.phase)) {
          channel.ended = true;
          notify(channel);
          // An ended observation is not kept for later followers: the instance may move on
          // (a ready one destroyed), and only a new read would see it.
          if (channel.followers === 0) remove(channel);
          return;
        }
      } catch (error) {
        if (signal.aborted) return;
        options.onError?.(id, error);
        failures++;
        failingSince ??= Date.now();
        if (failures >= MIN_FAILURES && Date.now() - failingSince >= unreachableAfterMs) {
          channel.unreachable = error;
          notify(channel);
        }
      }
      // A stream that ended early (a dropped watch) or failed is read again after a pause.
      await sleep(retryDelay(Math.max(0, failures - 1), retry), signal).catch(() => {});
    }
  };

  const lingering = makeLingering<Channel>(lingerMs, remove);

  const acquire = (driver: Driver, id: string): Channel => {
    const key = `${driver.name}:${id}`;
    let channel = channels.get(key);
    if (!channel) {
      channel = {
        key,
        ended: false,
        followers: 0,
        waiters: new Set(),
        controller: new AbortController(),
      };
      channels.set(key, channel);
      void run(driver, id, channel);
    }
    return lingering.hold(channel);
  };

  const release = (channel: Channel) => lingering.letGo(channel, channel.ended);

  /** Resolves at the channel's next change or when `signal` aborts; leaves no listener behind. */
  const nextChange = (channel: Channel, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        channel.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      channel.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });

  return {
    get size() {
      return channels.size;
    },
    async *watch(driver, id, signal) {
      if (signal.aborted) return;
      const channel = acquire(driver, id);
      try {
        let sent = -1;
        while (!signal.aborted) {
          const latest = channel.latest;
          if (latest && latest.version > sent) {
            sent = latest.version;
            yield latest;
            if (isTerminal(latest.phase)) return;
            continue;
          }
          if (channel.unreachable !== undefined) throw channel.unreachable;
          if (channel.ended || channel.controller.signal.aborted) return;
          await nextChange(channel, signal);
        }
      } finally {
        release(channel);
      }
    },
    close() {
      for (const channel of [...channels.values()]) remove(channel);
    },
  };
}
