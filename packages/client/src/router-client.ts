import type {
  AnyTRPCProcedure,
  inferProcedureInput,
  inferProcedureOutput,
  TRPCRouterRecord,
  TrackedEnvelope,
} from "@trpc/server";
import type { SubscriptionHandlers } from "./connection.ts";

export interface CallOptions {
  signal?: AbortSignal;
}

/** What a subscription's `onData` receives: `{ id, data }` for tracked events. */
export type SubscriptionEvent<T> =
  T extends AsyncIterable<infer Y>
    ? Y extends TrackedEnvelope<infer D>
      ? { id: string; data: D }
      : Y
    : never;

export interface TypedSubscriptionHandlers<T> extends Omit<SubscriptionHandlers, "onData"> {
  onData?: (event: T) => void;
}

export interface Unsubscribable {
  unsubscribe(): void;
}

type DecorateProcedure<P extends AnyTRPCProcedure> = P["_def"]["type"] extends "query"
  ? {
      query(input: inferProcedureInput<P>, options?: CallOptions): Promise<inferProcedureOutput<P>>;
    }
  : P["_def"]["type"] extends "mutation"
    ? {
        mutate(
          input: inferProcedureInput<P>,
          options?: CallOptions,
        ): Promise<inferProcedureOutput<P>>;
      }
    : {
        subscribe(
          input: inferProcedureInput<P>,
          handlers: TypedSubscriptionHandlers<SubscriptionEvent<inferProcedureOutput<P>>>,
        ): Unsubscribable;
      };

/**
 * A router's procedures as calls: `client.templates.list.query()`,
 * `client.launch.prepare.mutate(input)`, `client.launch.follow.subscribe(input, handlers)`.
 * The same shape as a tRPC client's, so code written for one reads the same with the other.
 */
export type RouterClient<TRecord extends TRPCRouterRecord> = {
  [K in keyof TRecord]: TRecord[K] extends AnyTRPCProcedure
    ? DecorateProcedure<TRecord[K]>
    : TRecord[K] extends TRPCRouterRecord
      ? RouterClient<TRecord[K]>
      : never;
};

export interface ProcedureCaller {
  call(
    type: "query" | "mutation",
    path: string,
    input: unknown,
    options?: CallOptions,
  ): Promise<unknown>;
  subscribe(path: string, input: unknown, handlers: SubscriptionHandlers): () => void;
}

const CALLS = new Set(["query", "mutate", "subscribe"]);

/** A proxy whose property paths name procedures: `proxy.launch.prepare.mutate(input)`. */
export function makeRouterProxy(caller: ProcedureCaller, path: readonly string[] = []): unknown {
  return new Proxy(Object.create(null), {
    get(_target, key) {
      // Not a thenable, nor anything else a runtime probes objects for.
      if (typeof key !== "string" || key === "then" || key === "toJSON") return undefined;
      if (path.length > 0 && CALLS.has(key)) {
        const name = path.join(".");
        if (key === "subscribe") {
          return (input: unknown, handlers: SubscriptionHandlers): Unsubscribable => ({
            unsubscribe: caller.subscribe(name, input, handlers),
          });
        }
        return (input: unknown, options?: CallOptions) =>
          caller.call(key === "query" ? "query" : "mutation", name, input, options);
      }
      return makeRouterProxy(caller, [...path, key]);
    },
  });
}
