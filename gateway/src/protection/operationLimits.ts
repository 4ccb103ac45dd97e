import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLArgument,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { OperationLimits } from '../config';

/** The limits an operation can break, as `operation_limit_rejected_total` labels them. */
export type LimitName = 'depth' | 'aliases' | 'root_fields' | 'tokens' | 'directives' | 'cost';

const CODES: Record<LimitName, string> = {
  depth: 'MAX_DEPTH_EXCEEDED',
  aliases: 'MAX_ALIASES_EXCEEDED',
  root_fields: 'MAX_ROOT_FIELDS_EXCEEDED',
  tokens: 'MAX_TOKENS_EXCEEDED',
  directives: 'MAX_DIRECTIVES_EXCEEDED',
  cost: 'MAX_COST_EXCEEDED',
};

export const OPERATION_LIMIT_CODES: readonly string[] = Object.values(CODES);

/** An operation over a limit: HTTP 400, with a code that names the limit. */
export class OperationLimitError extends GraphQLError {
  constructor(readonly limit: LimitName, message: string, max: number) {
    super(message, { extensions: { code: CODES[limit], limit: max, http: { status: 400 } } });
  }
}

/** graphql-js stops parsing past `maxTokens` with this message (16.x spells it "more that"). */
const TOKEN_LIMIT_MESSAGE = /Document contains more tha[nt] (\d+) tokens/;

/** The token limit is enforced by the parser itself; this names its syntax error as the limit. */
export function tokenLimitError(message: string, maxTokens: number): OperationLimitError | undefined {
  if (!TOKEN_LIMIT_MESSAGE.test(message)) return undefined;
  return new OperationLimitError('tokens', `The operation has more than ${maxTokens} tokens; split it or use fewer fields and arguments.`, maxTokens);
}

/**
 * Checks depth, aliases, root fields and directives per field, then estimates the operation's
 * cost with its variables; throws the first limit broken, returns the cost otherwise.
 */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  limits: OperationLimits,
): number {
  const broken: OperationLimitError[] = [];
  const reject = (limit: LimitName, message: string, max: number) => broken.push(new OperationLimitError(limit, message, max));
  const callbacks = (limit: LimitName, message: string, max: number) => ({
    n: max,
    propagateOnRejection: false,
    onReject: [() => reject(limit, message, max)],
  });
  validate(schema, document, [
    maxDepthRule({ ...callbacks('depth', `The operation is nested deeper than ${limits.maxDepth} levels; ask for fewer nested fields.`, limits.maxDepth), ignoreIntrospection: true, flattenFragments: true }),
    maxAliasesRule(callbacks('aliases', `The operation uses more than ${limits.maxAliases} aliases; send fewer, or several operations.`, limits.maxAliases)),
    maxDirectivesPerFieldRule(limits.maxDirectivesPerField, reject),
  ]);
  if (broken.length) throw broken[0];
  const fragments = fragmentsOf(document);
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new OperationLimitError('root_fields', `This graph has no ${operation.operation} type.`, 0);
  const rootFields = countRootFields(operation.selectionSet, fragments);
  if (rootFields > limits.maxRootFields) {
    throw new OperationLimitError('root_fields', `The operation asks for ${rootFields} root fields; at most ${limits.maxRootFields} are allowed in one operation.`, limits.maxRootFields);
  }
  // With the operation's defaults: `$first: Int = 100000` costs what it asks for even when not sent.
  const withDefaults = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}).coerced ?? variables ?? {};
  const cost = estimateCost(schema, operation.selectionSet, rootType, { fragments, variables: withDefaults, defaultListSize: limits.defaultListSize });
  if (cost > limits.maxCost) {
    throw new OperationLimitError(
      'cost',
      `The operation's estimated cost is ${cost}, over the limit of ${limits.maxCost}; ask for smaller pages (first/last) or fewer nested lists.`,
      limits.maxCost,
    );
  }
  return cost;
}

function maxDirectivesPerFieldRule(max: number, reject: (limit: LimitName, message: string, max: number) => void): ValidationRule {
  return (_context: ValidationContext) => ({
    Field(node: FieldNode) {
      if ((node.directives?.length ?? 0) > max) {
        reject('directives', `The field "${node.name.value}" has ${node.directives!.length} directives; at most ${max} are allowed on one field.`, max);
      }
    },
  });
}

const fragmentsOf = (document: DocumentNode) =>
  new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );

function countRootFields(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += selection.name.value === '__typename' ? 0 : 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countRootFields(selection.selectionSet, fragments);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment) count += countRootFields(fragment.selectionSet, fragments);
    }
  }
  return count;
}

interface CostInput {
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  defaultListSize: number;
}

/**
 * Every object a field returns costs 1, times the size of the lists above it; scalars are free.
 * A list's size is its field's `first`/`last` (given, or the schema's default), or that of the
 * connection field above it (`chatRooms(first: 20) { edges { node } }` is 20 nodes), or
 * `defaultListSize`. Introspection is not counted (it is off in production).
 */
export function estimateCost(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  parentType: GraphQLCompositeType,
  input: CostInput,
  multiplier = 1,
  pageSize?: number,
  seen: ReadonlySet<string> = new Set(),
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parentType;
      cost += estimateCost(schema, selection.selectionSet, type, input, multiplier, pageSize, seen);
      continue;
    }
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = input.fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) continue;
      const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType;
      cost += estimateCost(schema, fragment.selectionSet, type, input, multiplier, pageSize, new Set([...seen, fragment.name.value]));
      continue;
    }
    if (selection.name.value.startsWith('__') || !selection.selectionSet) continue;
    if (!isObjectType(parentType) && !isInterfaceType(parentType)) continue;
    const field = parentType.getFields()[selection.name.value];
    if (!field) continue;
    const namedType = getNamedType(field.type);
    if (!isCompositeType(namedType)) continue;
    const requested = pageArgument(selection, input.variables) ?? pageDefault(field.args);
    const isList = isListType(getNullableType(field.type));
    const childMultiplier = isList ? multiplier * (requested ?? pageSize ?? input.defaultListSize) : multiplier;
    cost += childMultiplier;
    cost += estimateCost(schema, selection.selectionSet, namedType, input, childMultiplier, isList ? undefined : requested, seen);
  }
  return cost;
}

/** The schema's default for `first`/`last` (`chatRooms(first: Int = 20)`), when the operation gives none. */
function pageDefault(args: readonly GraphQLArgument[]): number | undefined {
  const value = args.find((arg) => arg.name === 'first' || arg.name === 'last')?.defaultValue;
  return typeof value === 'number' ? value : undefined;
}

function pageArgument(field: FieldNode, variables: Record<string, unknown>): number | undefined {
  for (const argument of field.arguments ?? []) {
    if (argument.name.value !== 'first' && argument.name.value !== 'last') continue;
    const value =
      argument.value.kind === Kind.INT ? Number(argument.value.value) : argument.value.kind === Kind.VARIABLE ? variables[argument.value.name.value] : undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.floor(value));
  }
  return undefined;
}
