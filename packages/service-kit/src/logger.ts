import pino, { type Logger } from 'pino';
import { requestScope } from './requestScope';

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
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["x-router-refresh-token"]',
  '*.headers["x-router-issued-refresh-token"]',
];

export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    redact: { paths: REDACTED, censor: '[redacted]' },
    // Lines written while serving a request name it, so one request can be followed through the services.
    mixin: () => {
      const scope = requestScope.getStore();
      return scope ? { requestId: scope.requestId } : {};
    },
  });
}
