import { CombinedGraphQLErrors, ServerError } from '@apollo/client';

/** The graph's own words for an error: its messages, or what went wrong on the way. */
export function errorText(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) return error.errors.map((e) => e.message).join(' ');
  if (ServerError.is(error)) {
    try {
      const body = JSON.parse(error.bodyText) as { errors?: { message: string }[] };
      if (body.errors?.length) return body.errors.map((e) => e.message).join(' ');
    } catch {
      // not JSON: fall through to the status
    }
    return `The server answered ${error.statusCode}; try again.`;
  }
  const message = messageOf(error);
  if (message === undefined) return String(error);
  return /fetch|network/i.test(message) ? 'Cannot reach the server; check your connection and try again.' : message;
}

/** An error's message; by shape, not `instanceof Error`, which fails for an error made in another realm. */
function messageOf(error: unknown): string | undefined {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : undefined;
}
