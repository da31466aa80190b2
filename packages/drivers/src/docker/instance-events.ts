import { DEFAULT_RETRY, retryDelay } from "../retry.ts";
import { LABELS } from "./container-spec.ts";
import type { EngineApi, EngineEvent } from "./engine-api.ts";

/** The change feed of the docker driver's observers: engine events, per instance. */
export interface InstanceEvents {
  /** Calls `wake` whenever something of instance `id` changes; returns how to stop. */
  subscribe(id: string, wake: () => void): () => void;
  /** Wakes the observers of `id` in this process (for what only this process knows). */
  poke(id: string): void;
}

const NAME = /^launcher-([0-9a-f]{32})(?:-[a-z]+)?$/;

/** The instance an engine event is about: a container's label, or a container's or mark's name. */
export function instanceOfEvent(event: EngineEvent): string | undefined {
  const attributes = event.Actor?.Attributes ?? {};
  const labelled = attributes[LABELS.id];
  if (labelled) return labelled;
  const name = attributes.name ?? event.Actor?.ID ?? "";
  return NAME.exec(name)?.[1];
}

/**
 * One engine event stream per driver, open while anyone observes, shared by every observer
 * in this process and dispatched by instance id: a thousand followers cost one connection.
 * Volume events carry no labels, so the stream is filtered by type only and events are
 * matched by name. A stream that drops is reopened (with backoff) while observers remain;
 * they are woken then, since something may have happened in between.
 */
export function createInstanceEvents(engine: EngineApi): InstanceEvents {
  const observers = new Map<string, Set<() => void>>();
  let stop: (() => void) | undefined;
  let opening = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;

  const wakeAll = () => {
    for (const set of observers.values()) for (const wake of set) wake();
  };
  const dispatch = (event: EngineEvent) => {
    const id = instanceOfEvent(event);
    if (id) for (const wake of observers.get(id) ?? []) wake();
  };

  function open(): void {
    if (stop || opening || retryTimer || observers.size === 0) return;
    opening = true;
    engine.watchEvents(["container", "volume"], dispatch, onEnd).then(
      (stopStream) => {
        opening = false;
        if (observers.size === 0) return stopStream();
        failures = 0;
        stop = stopStream;
        // Whatever happened while the stream was down is read now.
        wakeAll();
      },
      () => {
        opening = false;
        onEnd();
      },
    );
  }

  function onEnd(): void {
    stop = undefined;
    if (observers.size === 0) return;
    // Polling covers the gap; the stream comes back when the engine does.
    retryTimer = setTimeout(
      () => {
        retryTimer = undefined;
        open();
      },
      retryDelay(failures++, DEFAULT_RETRY),
    );
    retryTimer.unref();
  }

  function close(): void {
    stop?.();
    stop = undefined;
    clearTimeout(retryTimer);
    retryTimer = undefined;
  }

  return {
    subscribe(id, wake) {
      let set = observers.get(id);
      if (!set) {
        set = new Set();
        observers.set(id, set);
      }
      set.add(wake);
      open();
      return () => {
        set.delete(wake);
        if (set.size === 0 && observers.get(id) === set) observers.delete(id);
        if (observers.size === 0) close();
      };
    },
    poke(id) {
      for (const wake of observers.get(id) ?? []) wake();
    },
  };
}
