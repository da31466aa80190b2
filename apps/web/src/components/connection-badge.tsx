import type { ConnectionStatus } from "../lib/create-connection-status.ts";

const LABELS: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
};

export function ConnectionBadge(props: { status: ConnectionStatus }) {
  return (
    <p class="badge" data-status={props.status} role="status">
      <span class="dot" aria-hidden="true" />
      {LABELS[props.status]}
    </p>
  );
}
