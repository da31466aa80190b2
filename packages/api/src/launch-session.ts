import type { Driver, InstanceSpec, Observation, RetryOptions, SecretEnv } from "@launcher/drivers";
import { DEFAULT_RETRY, DriverError, isTerminal, retryDelay, sleep } from "@launcher/drivers";
import { type Lingering, makeLingering } from "./lingering.ts";
import type { ObservationHub } from "./observation-hub.ts";
import { isPlatformHiccup, kindOfError } from "./platform-errors.ts";
import type { Admission } from "./quota.ts";

/** One launch as a follower asks for it: where, what, and the secrets it runs with. */
export interface Launch {
  driver: Driver;
  spec: InstanceSpec;
  env: SecretEnv;
  /**
   * Asked before `ensure` would start an instance the platform does not know yet, before its
   * first snapshot is sent: throws to refuse (a quota; nothing starts and this follower gets the
   * error), or admits it. After `preparing` is sent, `ensure` waits for the admission's `turn`
   * (which may still refuse), and its `end` is called once that `ensure` has ended.
   */
  admit?: () => Promise<Admission>;
}

/** One event of a follow: the tracked event id (the version, as a string) and what was seen. */
export interface LaunchEvent {
  eventId: string;
  observation: Observation;
}

export interface FollowOptions {
  /** The last event id the client saw, as a number: only newer versions are sent. */
  lastEventId?: number;
  signal: AbortSignal;
}

/**
 * The lifecycle of every launch followed in this process, one session per instance:
 *
 * - the first snapshot of a launch the platform does not know yet is `preparing` (version 0),
 *   sent before `ensure` starts anything, once the launch is admitted (`Launch.admit`: quotas);
 * - `ensure` runs once per session, started by the first follower that sees a non-terminal
 *   phase (a new process has no session, so a restart simply runs it again: it is idempotent);
 * - a brief platform hiccup (an unreachable engine or API, a dropped connection, a 5xx) is
 *   retried with backoff while someone follows, and is never recorded as a failure; when the
 *   platform stays unreachable (`unavailableAfterMs`), followers get the error (the client
 *   keeps its ticket);
 * - a real failure of the launch (a bad spec; a platform error that persists, such as an app
 *   that exited or a health check that timed out) is written on the platform with
 *   `driver.recordFailure`, so every process observes the same `failed` with the platform's
 *   own version;
 * - each follower gets versions newer than its `lastEventId`, each once, and a terminal
 *   snapshot always (once more after a resume), after which its stream ends.
 *
 * Like the hub, it is a cache of work in progress, never the truth: that is the platform's.
 */
export interface LaunchSessions {
  follow(launch: Launch, options: FollowOptions): AsyncIterable<LaunchEvent>;
  /** How many sessions are open (for metrics and tests). */
  readonly size: number;
  /** Stops every `ensure` and observation (shutdown); instances keep running. */
  close(): void;
}

export interface LaunchSessionsOptions {
  hub: ObservationHub;
  /** How long `ensure` may hiccup before followers are told the platform is unavailable. Default 10 s. */
  unavailableAfterMs?: number;
  /**
   * After a failure is recorded, how long followers wait to observe it before they get it as an
   * error instead (a platform that cannot hold the mark). Default 5 s.
   */
  failureGraceMs?: number;
  /** How long a session outlives its last follower, so that a quick refollow does not re-ensure. */
  lingerMs?: number;
  /** Backoff between `ensure` attempts that hiccuped. */
  retry?: RetryOptions;
  /** Every error seen, with the instance id (for logs; never sent to a client as is). */
  onError?: (id: string, error: unknown, what: "ensure" | "record") => void;
}

interface Session extends Lingering {
  key: string;
  /** An `ensure` (with its retries) runs now. */
  ensuring: boolean;
  /** `ensure` succeeded, or its failure was recorded: not again in this session. */
  settled: boolean;
  /** Since when `ensure` keeps hiccuping (cleared by a success). */
  failingSince?: number;
  /** The failure this session recorded, for followers who do not observe it in time. */
  failure?: unknown;
  /** Tells each follower that it cannot go on, and why. */
  stoppers: Set<(problem: unknown) => void>;
  controller: AbortController;
  timers: Set<ReturnType<typeof setTimeout>>;
}

/** `ensure` failures in a row before followers may be told (with `unavailableAfterMs`). */
const MIN_FAILURES = 3;
/** Platform errors in a row after which they are taken as the launch's own failure. */
const PLATFORM_RETRIES = 3;
const RECORD_ATTEMPTS = 5;

/**
 * @example
 * const launches = createLaunchSessions({ hub: createObservationHub() });
 * for await (const { eventId, observation } of launches.follow({ driver, spec, env }, { signal }))
 *   console.log(eventId, observation.phase);
 */
export function createLaunchSessions(options: LaunchSessionsOptions): LaunchSessions {
  const { hub } = options;
  const unavailableAfterMs = options.unavailableAfterMs ?? 10_000;
  const failureGraceMs = options.failureGraceMs ?? 5000;
  const lingerMs = options.lingerMs ?? 5000;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const sessions = new Map<string, Session>();

  const later = (session: Session, ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      session.timers.delete(timer);
      run();
    }, ms);
    timer.unref?.();
    session.timers.add(timer);
    return timer;
  };

  const dropIfIdle = (session: Session) => {
    if (session.followers > 0 || session.ensuring) return;
    if (sessions.get(session.key) === session) sessions.delete(session.key);
    clearTimeout(session.linger);
    for (const timer of session.timers) clearTimeout(timer);
  };

  const lingering = makeLingering<Session>(lingerMs, dropIfIdle);

  const acquire = (key: string): Session => {
    let session = sessions.get(key);
    if (!session) {
      session = {
        key,
        followers: 0,
        ensuring: false,
        settled: false,
        stoppers: new Set(),
        controller: new AbortController(),
        timers: new Set(),
      };
      sessions.set(key, session);
    }
    return lingering.hold(session);
  };

  const release = (session: Session) => lingering.letGo(session);

  const stopFollowers = (session: Session, problem: unknown) => {
    for (const stop of [...session.stoppers]) stop(problem);
  };

  const recordFailure = async (session: Session, launch: Launch, error: unknown) => {
    const { driver, spec } = launch;
    const { signal } = session.controller;
    const reason = error instanceof DriverError ? error.message : "The launch could not start";
    for (let attempt = 0; attempt < RECORD_ATTEMPTS && !signal.aborted; attempt++) {
      try {
        await driver.recordFailure(spec.id, reason);
        break;
      } catch (failure) {
        options.onError?.(spec.id, failure, "record");
        if (!isPlatformHiccup(failure)) break;
        await sleep(retryDelay(attempt, retry), signal).catch(() => {});
      }
    }
    // Followers see the failure through the platform; one that still waits after the grace
    // (a platform that could not hold the mark) gets it as an error, and keeps its ticket.
    session.failure =
      error instanceof DriverError ? error : new DriverError("platform", reason, { cause: error });
    later(session, failureGraceMs, () => stopFollowers(session, session.failure));
  };

  const ensure = async (session: Session, launch: Launch) => {
    const { driver, spec, env } = launch;
    const { signal } = session.controller;
    for (let failures = 0, platformErrors = 0; !signal.aborted; ) {
      try {
        await driver.ensure(spec, env, signal);
        session.settled = true;
        session.failingSince = undefined;
        return;
      } catch (error) {
        if (signal.aborted) return;
        options.onError?.(spec.id, error, "ensure");
        const kind = kindOfError(error);
        platformErrors = kind === "platform" ? platformErrors + 1 : 0;
        if (kind === "launch" || platformErrors > PLATFORM_RETRIES) {
          session.settled = true;
          await recordFailure(session, launch, error);
          return;
        }
        failures++;
        session.failingSince ??= Date.now();
        const long = Date.now() - session.failingSince >= unavailableAfterMs;
        if (kind === "unreachable" && failures >= MIN_FAILURES && long) {
          stopFollowers(session, error);
        }
        // Nobody waits any more: the next follow tries again.
        if (session.followers === 0) return;
        await sleep(retryDelay(failures - 1, retry), signal).catch(() => {});
      }
    }
  };

  const start = (session: Session, launch: Launch, admission?: Admission) => {
    if (session.ensuring || session.settled) return admission?.end();
    session.ensuring = true;
    void ensure(session, launch).finally(() => {
      admission?.end();
      session.ensuring = false;
      if (!session.linger) dropIfIdle(session);
    });
  };

  async function* follow(launch: Launch, { lastEventId, signal }: FollowOptions) {
    if (signal.aborted) return;
    const session = acquire(`${launch.driver.name}:${launch.spec.id}`);
    const stop = new AbortController();
    let problem: unknown;
    const stopper = (why: unknown) => {
      problem ??= why;
      stop.abort();
    };
    const onAbort = () => stop.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    session.stoppers.add(stopper);
    const grace =
      session.failure === undefined
        ? undefined
        : later(session, failureGraceMs, () => stopper(session.failure));
    // A slot a quota gave this follower, until `ensure` takes it over.
    let admission: Admission | undefined;
    try {
      let sent = lastEventId ?? -1;
      let started = false;
      for await (const observation of hub.watch(launch.driver, launch.spec.id, stop.signal)) {
        const terminal = isTerminal(observation.phase);
        if (!started && !terminal) {
          started = true;
          const unknown = observation.version === 0 && !session.ensuring && !session.settled;
          if (unknown) admission = await launch.admit?.();
          if (observation.version === 0 && lastEventId === undefined) {
            // A launch the platform does not know yet: say so before anything starts.
            sent = 0;
            yield { eventId: "0", observation };
          }
          // A tombstone is being honoured: nothing to ensure.
          if (observation.phase !== "destroying") {
            // `preparing` until the quota's turn; a follower who leaves meanwhile ends quietly.
            if (admission && !(await turnOf(admission, stop.signal))) break;
            start(session, launch, admission);
            admission = undefined;
          }
        }
        // The terminal snapshot always, even resumed past: a refreshed summary needs it.
        if (!terminal && observation.version <= sent) continue;
        sent = observation.version;
        yield { eventId: String(observation.version), observation };
        if (terminal) return;
      }
      if (problem !== undefined && !signal.aborted) throw problem;
    } finally {
      admission?.end();
      signal.removeEventListener("abort", onAbort);
      if (grace) {
        clearTimeout(grace);
        session.timers.delete(grace);
      }
      session.stoppers.delete(stopper);
      release(session);
    }
  }

  return {
    follow,
    get size() {
      return sessions.size;
    },
    close() {
      for (const session of sessions.values()) {
        session.controller.abort();
        clearTimeout(session.linger);
        for (const timer of session.timers) clearTimeout(timer);
      }
      sessions.clear();
      hub.close();
    },
  };
}

/** Waits for the admission's turn: false when `signal` aborted meanwhile; a refusal throws. */
const turnOf = (admission: Admission, signal: AbortSignal) =>
  admission.turn(signal).then(
    () => true,
    (error: unknown) => {
      if (signal.aborted) return false;
      throw error;
    },
  );
