import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { OperationLimits } from '../config';

/** The limits an operation can break, as `operation_limit_rejected_total` labels them. */
export type LimitName = 'depth' | 'aliases' | 'fields' | 'root_fields' | 'tokens' | 'directives' | 'cost';

const CODES: Record<LimitName, string> = {
  depth: 'MAX_DEPTH_EXCEEDED',
  aliases: 'MAX_ALIASES_EXCEEDED',
  fields: 'MAX_FIELDS_EXCEEDED',
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

/** What the limits and budgets read off an operation, as if its fragments were written out in place. */
export interface OperationMeasure {
  /** Field selections, `__typename` included. */
  fields: number;
  /** Aliased fields, `__typename` included (aliases of it cost nothing to plan but are still work). */
  aliases: number;
  /** Levels of fields, counting the leaf; introspection's `__schema` is not counted. */
  depth: number;
  /** How often each root field is selected (an aliased `signUp` twice is 2). */
  rootFields: ReadonlyMap<string, number>;
  cost: number;
}

/**
 * Checks the operation against every limit and returns its measure. Each fragment is measured
 * once and its measure reused wherever it is spread, so a document whose fragments spread each
 * other twice over (2^n fields once written out) costs time linear in its own length to refuse.
 * What depends on the document alone is measured once per schema and operation (Apollo Server
 * hands over one parsed document per text); the cost, which reads the variables, once per request
 * unless the operation declares none.
 */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  limits: OperationLimits,
): OperationMeasure {
  const measured = measureOf(schema, document, operation);
  const overloaded = measured.directivesByField.find(([, count]) => count > limits.maxDirectivesPerField);
  if (overloaded) {
    const [name, count] = overloaded;
    throw new OperationLimitError('directives', `The field "${name}" has ${count} directives; at most ${limits.maxDirectivesPerField} are allowed on one field.`, limits.maxDirectivesPerField);
  }
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new OperationLimitError('root_fields', `This graph has no ${operation.operation} type.`, 0);
  const { shape, rootFields, rootFieldCount, fragments } = measured;
  if (shape.depth > limits.maxDepth) {
    throw new OperationLimitError('depth', `The operation is nested ${shape.depth} levels deep, over the limit of ${limits.maxDepth}; ask for fewer nested fields.`, limits.maxDepth);
  }
  if (shape.fields > limits.maxFields) {
    throw new OperationLimitError(
      'fields',
      `The operation selects ${shape.fields > 1e9 ? 'over a billion' : shape.fields} fields once its fragments are written out, over the limit of ${limits.maxFields}; spread fewer fragments or split the operation.`,
      limits.maxFields,
    );
  }
  if (shape.aliases > limits.maxAliases) {
    throw new OperationLimitError('aliases', `The operation uses ${shape.aliases} aliases, over the limit of ${limits.maxAliases}; send fewer, or several operations.`, limits.maxAliases);
  }
  if (rootFieldCount > limits.maxRootFields) {
    throw new OperationLimitError('root_fields', `The operation asks for ${rootFieldCount} root fields; at most ${limits.maxRootFields} are allowed in one operation.`, limits.maxRootFields);
  }
  const estimate = () => {
    // With the operation's defaults: `$first: Int = 100000` costs what it asks for even when not sent.
    const withDefaults = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}).coerced ?? variables ?? {};
    return createCostEstimator(schema, { fragments, variables: withDefaults, defaultListSize: limits.defaultListSize })(operation.selectionSet, rootType);
  };
  let cost: number;
  if (operation.variableDefinitions?.length) cost = estimate();
  else {
    const known = measured.costByDefaultListSize.get(limits.defaultListSize);
    cost = known ?? estimate();
    if (known === undefined) measured.costByDefaultListSize.set(limits.defaultListSize, cost);
  }
  if (cost > limits.maxCost) {
    throw new OperationLimitError(
      'cost',
      `The operation's estimated cost is ${cost}, over the limit of ${limits.maxCost}; ask for smaller pages (first/last) or fewer nested lists.`,
      limits.maxCost,
    );
  }
  return { ...shape, rootFields, cost };
}

/** What the limits read off one operation of a document, whatever the variables and the limits. */
interface DocumentMeasure {
  /** Every field with directives, in document order (fragments as written), and how many it has. */
  directivesByField: [name: string, count: number][];
  fragments: Fragments;
  shape: Shape;
  rootFields: ReadonlyMap<string, number>;
  rootFieldCount: number;
  /** The cost of an operation without variables, by the list size assumed for lists without first/last. */
  costByDefaultListSize: Map<number, number>;
}

const measures = new WeakMap<GraphQLSchema, WeakMap<OperationDefinitionNode, DocumentMeasure>>();

function measureOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): DocumentMeasure {
  let bySchema = measures.get(schema);
  if (!bySchema) measures.set(schema, (bySchema = new WeakMap()));
  let measured = bySchema.get(operation);
  if (!measured) {
    const fragments = fragmentsOf(document);
    const rootFields = countRootFields(operation.selectionSet, fragments);
    measured = {
      directivesByField: directivesByField(document),
      fragments,
      shape: measureShape(operation.selectionSet, fragments),
      rootFields,
      rootFieldCount: [...rootFields.values()].reduce((sum, count) => sum + count, 0),
      costByDefaultListSize: new Map(),
    };
    bySchema.set(operation, measured);
  }
  return measured;
}

/** Walks each field node of the document once, fragments as written (not once per spread). */
function directivesByField(document: DocumentNode): [string, number][] {
  const found: [string, number][] = [];
  visit(document, {
    Field(node: FieldNode) {
      const count = node.directives?.length ?? 0;
      if (count > 0) found.push([node.name.value, count]);
    },
  });
  return found;
}

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

const fragmentsOf = (document: DocumentNode): Fragments =>
  new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );

/**
 * Runs `measure` on each fragment once, however often it is spread. A fragment being measured
 * counts as empty where it spreads itself (a cycle, which validation refuses before this runs).
 */
function memoizedByFragment<T>(fragments: Fragments, empty: T, measure: (fragment: FragmentDefinitionNode) => T): (name: string) => T {
  const measured = new Map<string, T>();
  return (name) => {
    const known = measured.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment) return empty;
    measured.set(name, empty);
    const result = measure(fragment);
    measured.set(name, result);
    return result;
  };
}

type Shape = Pick<OperationMeasure, 'fields' | 'aliases' | 'depth'>;

function measureShape(selectionSet: SelectionSetNode, fragments: Fragments): Shape {
  const ofFragment = memoizedByFragment<Shape>(fragments, { fields: 0, aliases: 0, depth: 0 }, (fragment) => ofSelections(fragment.selectionSet));
  function ofSelections(set: SelectionSetNode): Shape {
    const shape = { fields: 0, aliases: 0, depth: 0 };
    for (const selection of set.selections) {
      let inner: Shape;
      if (selection.kind === Kind.FIELD) {
        const below = selection.selectionSet ? ofSelections(selection.selectionSet) : { fields: 0, aliases: 0, depth: 0 };
        const depth = selection.name.value === '__schema' ? 0 : below.depth + 1;
        inner = { fields: below.fields + 1, aliases: below.aliases + (selection.alias ? 1 : 0), depth };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) inner = ofSelections(selection.selectionSet);
      else inner = ofFragment(selection.name.value);
      shape.fields += inner.fields;
      shape.aliases += inner.aliases;
      shape.depth = Math.max(shape.depth, inner.depth);
    }
    return shape;
  }
  return ofSelections(selectionSet);
}

/** Root fields by name with how often each is selected; `__typename` is not a root field worth a limit. */
function countRootFields(selectionSet: SelectionSetNode, fragments: Fragments): Map<string, number> {
  const ofFragment = memoizedByFragment<Map<string, number>>(fragments, new Map(), (fragment) => ofSelections(fragment.selectionSet));
  function ofSelections(set: SelectionSetNode): Map<string, number> {
    const counts = new Map<string, number>();
    const add = (name: string, count: number) => counts.set(name, (counts.get(name) ?? 0) + count);
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') add(selection.name.value, 1);
        continue;
      }
      const inner = selection.kind === Kind.INLINE_FRAGMENT ? ofSelections(selection.selectionSet) : ofFragment(selection.name.value);
      for (const [name, count] of inner) add(name, count);
    }
    return counts;
  }
  return ofSelections(selectionSet);
}

interface CostInput {
  fragments: Fragments;
  variables: Record<string, unknown>;
  defaultListSize: number;
}

/**
 * Every object a field returns costs 1, times the size of the lists above it; scalars are free.
 * A list's size is its field's `first`/`last` (given, or the schema's default), or that of the
 * connection field above it (`chatRooms(first: 20) { edges { node } }` is 20 nodes), or
 * `defaultListSize`. Introspection is not counted (it is off in production).
 *
 * A selection's cost is proportional to the multiplier it is reached with, so each fragment is
 * estimated once per page size handed down to it, at multiplier 1, and scaled where spread.
 */
function createCostEstimator(schema: GraphQLSchema, input: CostInput) {
  const byFragment = new Map<string, number>();
  function ofFragment(name: string, pageSize: number | undefined): number {
    const key = `${name}:${pageSize ?? ''}`;
    const known = byFragment.get(key);
    if (known !== undefined) return known;
    const fragment = input.fragments.get(name);
    if (!fragment) return 0;
    byFragment.set(key, 0);
    const cost = ofSelections(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType, pageSize);
    byFragment.set(key, cost);
    return cost;
  }
  /** The cost at multiplier 1. */
  function ofSelections(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, pageSize: number | undefined): number {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parentType;
        cost += ofSelections(selection.selectionSet, type, pageSize);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        cost += ofFragment(selection.name.value, pageSize);
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
      const multiplier = isList ? (requested ?? pageSize ?? input.defaultListSize) : 1;
      cost += multiplier * (1 + ofSelections(selection.selectionSet, namedType, isList ? undefined : requested));
    }
    return cost;
  }
  return (selectionSet: SelectionSetNode, rootType: GraphQLCompositeType) => ofSelections(selectionSet, rootType, undefined);
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
