/** One way of sealing a value into a string and opening it again, as the bench compares them. */
export interface Sealer {
  seal(value: unknown): Promise<string>;
  unseal(token: string): Promise<unknown>;
}

/** A named contender; `make` does the one-time setup (keys, imports) outside the timing. */
export interface Contender {
  name: string;
  make(): Promise<Sealer>;
}
