import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line: secrets, tokens and codes. */
const REDACTED = [
  'password',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.code',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers["x-router-secret"]',
];

export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, redact: { paths: REDACTED, censor: '[redacted]' } });
}
