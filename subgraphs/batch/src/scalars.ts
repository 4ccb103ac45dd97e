import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { badUserInput } from '@dorandoran/service-kit';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A calendar day as `YYYY-MM-DD`. The scalar takes any string; `calendarDay` checks it where it is
 * used, because a coercion error would reach the client through the router as a failed subgraph
 * request instead of a BAD_USER_INPUT naming the argument.
 */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar day, YYYY-MM-DD.',
  serialize: (value) => String(value),
  parseValue: (value) => {
    if (typeof value !== 'string') throw new GraphQLError('Date must be a string written YYYY-MM-DD.', { extensions: { code: 'BAD_USER_INPUT' } });
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Date must be a string written YYYY-MM-DD.', { extensions: { code: 'BAD_USER_INPUT' } });
    return ast.value;
  },
});

/** The day itself; days that do not exist (2026-02-30) are refused too. */
export function calendarDay(field: string, value: string): string {
  const day = DATE.test(value) ? new Date(`${value}T00:00:00Z`) : null;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) {
    throw badUserInput(field, `${field} must be a calendar day written YYYY-MM-DD, e.g. 2026-11-24; got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Job results: whatever JSON the job reported. */
export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
});
