/** Something the followers of one instance share in this process, counted by them. */
export interface Lingering {
  followers: number;
  /** Set while it outlives its last follower. */
  linger?: ReturnType<typeof setTimeout>;
}

/**
 * Counts the followers of shared things. When the last one leaves, `idle` runs `lingerMs`
 * later (at once with `lingerMs` ≤ 0, or when `letGo` is told so), unless a follower came back
 * meanwhile: followers who come and go (a reconnect, a refresh) share one.
 * @example
 * const { hold, letGo } = makeLingering<Channel>(5000, (channel) => channels.delete(channel.key));
 * hold(channel); try { ... } finally { letGo(channel); }
 */
export function makeLingering<T extends Lingering>(lingerMs: number, idle: (item: T) => void) {
  return {
    /** One follower more; a linger under way is called off. */
    hold(item: T): T {
      clearTimeout(item.linger);
      item.linger = undefined;
      item.followers++;
      return item;
    },
    /** One follower fewer; after the last, `idle` runs after the linger (or `now`). */
    letGo(item: T, now = false): void {
      if (--item.followers > 0) return;
      if (now || lingerMs <= 0) {
        idle(item);
        return;
      }
      item.linger = setTimeout(() => {
        item.linger = undefined;
        idle(item);
      }, lingerMs);
      item.linger.unref?.();
    },
  };
}
