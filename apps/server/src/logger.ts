import { pino } from "pino";

/**
 * Structured JSON logs on stdout. Callers log ids and codes only; the redaction is
 * a second line of defence should a ticket or a secret ever reach a log call.
 */
export function createLogger(level: string) {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: [
        "ticket",
        "*.ticket",
        "input.ticket",
        "secrets",
        "*.secrets",
        "password",
        "*.password",
        "token",
        "*.token",
        "credentials",
        "*.credentials",
        "env",
        "*.env",
        "keys",
        "req.headers.authorization",
        "req.headers.cookie",
      ],
      censor: "[redacted]",
    },
  });
}

export type Logger = ReturnType<typeof createLogger>;
