import { isTerminal, type Observation } from "./driver.ts";

/** What one driver tells the shared observe loop. */
export interface ObserveLoopOptions {
  /** Reads the platform once. Read-only: observing never changes the platform. */
  read(): Promise<Observation>;
  /**
   * Calls `wake` when the platform reports a change (inotify, engine events, a watch), so
   * the next read happens at once instead of at the timer. Returns how to stop listening.
   * May resolve late or not at all: polling alone still converges.
   */
  subscribe?(wake: () => void): (() => void) | Promise<(() => void) | undefined> | undefined;
  /** How long to wait before reading again after `observation`, in ms. */
  intervalMs(observation: Observation): number;
  /** The shortest gap between two reads, so a burst of changes costs one read. Default 25 ms. */
  minGapMs?: number;
}

/**
 * The one observe loop every driver shares: reads the platform, yields each observation whose
 * version is newer than the last one yielded, ends after a terminal phase or when `signal`
 * aborts, and sleeps between reads until the timer or a change wakes it. A change that
 * arrives while a read runs is kept, so the following wait ends at once.
 *
 * @example
 * observe: (id, signal) => observeLoop(signal, { read: () => readInstance(id), intervalMs: () => 1000 })
 */
export async function* observeLoop(
  signal: AbortSignal,
  options: ObserveLoopOptions,
): AsyncIterable<Observation> {
  let changed = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    changed = true;
    wake?.();
  };
  let unsubscribe: (() => void) | undefined;
  let stopped = false;
  void Promise.resolve(options.subscribe?.(poke)).then(
    (stop) => {
      if (stopped) stop?.();
      else unsubscribe = stop ?? undefined;
    },
    () => {}, // No change feed: polling alone converges.
  );
  const minGapMs = options.minGapMs ?? 25;
  let last = -1;
  try {
    while (!signal.aborted) {
      changed = false;
      const observation = await options.read();
      if (signal.aborted) return;
      if (observation.version > last) {
        last = observation.version;
        yield observation;
        if (isTerminal(observation.phase)) return;
      }
      await pause(signal, options.intervalMs(observation), (done) => {
        wake = done;
        return changed;
      });
      wake = undefined;
      if (minGapMs > 0) await pause(signal, minGapMs, () => false);
    }
  } finally {
    stopped = true;
    unsubscribe?.();
  }
}

/** Waits `ms` or until aborted; `arm` receives the early wake-up and says if one is already due. */
function pause(signal: AbortSignal, ms: number, arm: (done: () => void) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    if (arm(done)) done();
  });
}
