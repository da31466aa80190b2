/** The one error class of `@launcher/crypto-token`: `code` says why a token was refused. */
export class TokenError extends Error {
  override readonly name = "TokenError";
  readonly code: string;

  constructor(code: string, message?: string) {
    super(message ?? code);
    this.code = code;
  }
}
