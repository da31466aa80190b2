/**
 * An operator's diagnostic ("FLY_API_TOKEN is not set"), folded away behind a question, for
 * admins; users see only that something is unavailable.
 */
export function Why(props: { subject: string; reason: string | undefined }) {
  return (
    <details class="why">
      <summary>{props.subject}</summary>
      <p class="small">{props.reason || "The server gave no reason; its log may say more."}</p>
    </details>
  );
}
