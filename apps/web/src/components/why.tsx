import type { JSX } from "solid-js";

/**
 * Operators' diagnostics ("FLY_API_TOKEN is not set"), folded away behind a question, for
 * admins; users see only that something is unavailable.
 */
export function Why(props: { subject: string; children: JSX.Element }) {
  return (
    <details class="why">
      <summary>{props.subject}</summary>
      {props.children}
    </details>
  );
}

/** A reason, or a word that there is none (the server's log may say more). */
export const reasonOrNone = (reason: string | undefined) =>
  reason || "The server gave no reason; its log may say more.";
