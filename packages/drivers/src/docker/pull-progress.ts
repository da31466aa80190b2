/** One JSON line of the Engine API's `POST /images/create` stream. */
export interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

// Downloading is most of a pull; extracting the rest.
const DOWNLOAD_SHARE = 0.8;

/**
 * Folds the per-layer events of an image pull into one fraction, 0..1, that never goes
 * down. Each layer counts equally (sizes are not known until a layer starts downloading).
 *
 * @example
 * const progress = makePullProgress();
 * progress.add({ status: "Downloading", id: "a1", progressDetail: { current: 5, total: 10 } });
 * progress.value; // 0.4
 */
export function makePullProgress() {
  const layers = new Map<string, number>();
  let value = 0;
  return {
    /** Takes one event; returns whether the aggregate moved. */
    add(event: PullEvent): boolean {
      const fraction = layerFraction(event);
      if (fraction === undefined || !event.id) return false;
      layers.set(event.id, Math.max(layers.get(event.id) ?? 0, fraction));
      let sum = 0;
      for (const f of layers.values()) sum += f;
      const next = Math.max(value, sum / layers.size);
      if (next === value) return false;
      value = next;
      return true;
    },
    get value(): number {
      return value;
    },
  };
}

function layerFraction(event: PullEvent): number | undefined {
  const { current, total } = event.progressDetail ?? {};
  const part = current !== undefined && total ? Math.min(1, current / total) : 0;
  switch (event.status) {
    case "Pulling fs layer":
    case "Waiting":
      return 0;
    case "Downloading":
      return DOWNLOAD_SHARE * part;
    case "Verifying Checksum":
    case "Download complete":
      return DOWNLOAD_SHARE;
    case "Extracting":
      return DOWNLOAD_SHARE + (1 - DOWNLOAD_SHARE) * part;
    case "Pull complete":
    case "Already exists":
      return 1;
    default:
      return undefined;
  }
}
