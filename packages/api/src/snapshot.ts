import type { Observation, Template } from "@launcher/drivers";
import type { Snapshot, TicketPayload } from "./schemas.ts";

/** Replaces every generated secret by a marker, in case an app printed one. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

/**
 * What a follower is sent for one observation: the platform's state plus, when `ready`, the
 * access details decrypted from the ticket. Text the app wrote is redacted of its secrets.
 */
export function toSnapshot(ticket: TicketPayload, template: Template, o: Observation): Snapshot {
  const secrets = Object.values(ticket.secrets);
  const snapshot: Snapshot = {
    id: ticket.id,
    template: ticket.template,
    driver: ticket.driver,
    createdAt: ticket.createdAt,
    version: o.version,
    phase: o.phase,
    steps: o.steps,
    logTail: o.logTail.map((line) => redact(line, secrets)),
  };
  if (o.message) snapshot.message = redact(o.message, secrets);
  if (o.error) snapshot.error = redact(o.error, secrets);
  if (o.phase === "ready" && o.url) {
    const names = template.secrets.filter((s) => s.credential).map((s) => s.name);
    snapshot.access = {
      url: o.url,
      credentials: Object.fromEntries(names.map((n) => [n, ticket.secrets[n] ?? ""])),
    };
  }
  return snapshot;
}
