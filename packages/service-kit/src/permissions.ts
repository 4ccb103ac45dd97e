import type { GraphQLSchema } from 'graphql';
import { applyMiddleware, type IMiddlewareTypeMap } from 'graphql-middleware';
import { allow, rule, shield, type IRules } from 'graphql-shield';
import { forbidden } from './errors';
import { administrator, serviceOrAdmin, signedInPerson, type Viewer } from './identity';

/**
 * The graphql-shield rules more than one subgraph puts on its fields; a subgraph's own rules
 * (membership, ownership) live beside its permissions. Cached per request: they read only the viewer.
 */
type ViewerContext = { viewer: Viewer | null };

export const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, { viewer }: ViewerContext) => signedInPerson(viewer));

export const isAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: ViewerContext) => administrator(viewer));

export const isServiceOrAdmin = rule({ cache: 'contextual' })((_parent, _args, { viewer }: ViewerContext) => serviceOrAdmin(viewer));

/**
 * Puts a subgraph's graphql-shield rules around its schema, with the options every subgraph uses: our
 * errors reach the client as thrown, a rule that says no is FORBIDDEN, a field without a rule is allowed,
 * and a rule that fails (its membership query found no database connection) fails the field as any
 * resolver's failure does: shield would otherwise take the failure for a no, and a member under load
 * was told FORBIDDEN. shield calls that option `debug`; it changes nothing else.
 *
 * shield() wraps every field of every type in an async middleware that evaluates a rule, the allowed
 * fields too: a room list of 50 rooms went through about a thousand such wrappers, each a few promises.
 * Only the fields guarded by a rule other than `allow` keep theirs here; an allowed field's wrapper did
 * nothing but call its resolver, so no answer changes.
 */
export function protectSchema(schema: GraphQLSchema, rules: IRules): GraphQLSchema {
  const middleware = shield(rules, { allowExternalErrors: true, debug: true, fallbackError: forbidden(), fallbackRule: allow }).generate(schema) as IMiddlewareTypeMap;
  for (const [typeName, fields] of Object.entries(middleware)) {
    const wrapped = fields as Record<string, unknown>;
    for (const fieldName of Object.keys(wrapped)) if (ruleOf(rules, typeName, fieldName) === allow) delete wrapped[fieldName];
  }
  return applyMiddleware(schema, middleware);
}

const isRule = (value: unknown): boolean => typeof (value as { resolve?: unknown } | undefined)?.resolve === 'function';

/** The rule shield puts on a field (as its generator picks it): the whole schema's or type's, the field's, the type's '*', else `allow`. */
function ruleOf(rules: IRules, typeName: string, fieldName: string): unknown {
  if (isRule(rules)) return rules;
  const forType = (rules as Record<string, unknown>)[typeName];
  if (forType === undefined || isRule(forType)) return forType ?? allow;
  const forFields = forType as Record<string, unknown>;
  return forFields[fieldName] ?? forFields['*'] ?? allow;
}
