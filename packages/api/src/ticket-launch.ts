import type { InstanceSpec, SecretEnv, Template } from "@launcher/drivers";
import type { TicketPayload } from "./schemas.ts";

/** An instance lives 8 hours unless the server or its template says less. */
export const DEFAULT_INSTANCE_TTL = 28_800;

/**
 * What the driver is asked to create for a ticket: its id, template, owner and lifetime.
 * `expiresAt` counts from the ticket's `createdAt`, so every process computes the same one.
 */
export function instanceSpecOf(
  ticket: TicketPayload,
  template: Template,
  instanceTtl = DEFAULT_INSTANCE_TTL,
): InstanceSpec {
  const ttl = Math.min(template.ttl ?? instanceTtl, instanceTtl);
  return {
    id: ticket.id,
    template,
    createdAt: ticket.createdAt,
    owner: ticket.owner,
    expiresAt: ticket.createdAt + ttl * 1000,
  };
}

/** The ticket's secrets as the environment the instance reads them from. */
export function secretEnvOf(ticket: TicketPayload, template: Template): SecretEnv {
  return Object.fromEntries(template.secrets.map((s) => [s.env, ticket.secrets[s.name] ?? ""]));
}
