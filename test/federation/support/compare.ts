import { isDeepStrictEqual } from 'node:util';
import type { Answer } from './gateways';
import type { Expected } from './suite';

/**
 * The parts of an answer a case speaks of, beside what the case expects: data always (null when
 * absent, as the spec's response has it), errors as the case asks for them.
 */
export function comparable(answer: Answer, expected: Expected) {
  const wanted = { data: expected.data ?? null, errors: expected.errors ?? null };
  const errors = answer.errors ?? [];
  let received: unknown = null;
  if (typeof expected.errors === 'boolean') received = errors.length > 0;
  else if (expected.errors) {
    received = errors.map((error, index) => {
      const like = Array.isArray(expected.errors) ? expected.errors[index] : undefined;
      return {
        path: error.path ?? null,
        ...(like?.message !== undefined ? { message: error.message } : {}),
        ...(like?.code !== undefined ? { code: error.extensions?.code } : {}),
      };
    });
  }
  return { received: { data: answer.data ?? null, errors: received }, expected: wanted };
}

export function answers(answer: Answer, expected: Expected): boolean {
  const { received, expected: wanted } = comparable(answer, expected);
  return isDeepStrictEqual(received, wanted);
}
