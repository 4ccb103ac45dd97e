/**
 * Removes from an operation the fields its viewer may not see under the policy (policy.ts), before
 * planning; restore.ts puts `null` and an error back at their paths in the result.
 */
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isUnionType,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  visit,
} from 'graphql';
import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  FragmentSpreadNode,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLObjectType,
  GraphQLOutputType,
  GraphQLSchema,
  InlineFragmentNode,
  OperationDefinitionNode,
  SelectionNode,
  SelectionSetNode,
} from 'graphql';
import type { AuthPolicy, AuthRequirement } from './policy';

/** null viewer = anonymous */
export interface Viewer {
  scopes: ReadonlySet<string>;
}

export interface RemovedField {
  /** Response keys from the root, with '@' standing for a list level, like Apollo Router. */
  path: string[];
  /** The removed field is non-null, so its null propagates to the parent. */
  nonNull: boolean;
  /**
   * Set when the field was selected under a type condition narrower than its parent field's type:
   * the concrete types the null applies to (an object of another type never had the field).
   */
  runtimeTypes?: string[];
}

export interface FilteredOperation {
  /** The operation with unauthorized fields removed, fragments inlined and unused variables dropped. */
  document: DocumentNode;
  /** One per removed field occurrence. */
  removed: RemovedField[];
  /** Every root field was removed: do not execute. */
  nothingLeft: boolean;
}

export const LIST_MARKER = '@';

const TYPENAME = '__typename';
/**
 * Response key under which the filter asks for `__typename` when it removes a field inside a
 * narrowing type condition, so restoration knows which objects the fragment applied to.
 * restoreRemovedFields deletes it again.
 */
export const RUNTIME_TYPE_KEY = '__authRuntimeType';

const TYPENAME_FIELD: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: TYPENAME } };
const RUNTIME_TYPE_FIELD: FieldNode = { ...TYPENAME_FIELD, alias: { kind: Kind.NAME, value: RUNTIME_TYPE_KEY } };

interface FilterContext {
  schema: GraphQLSchema;
  policy: AuthPolicy;
  viewer: Viewer | null;
  fragments: Map<string, FragmentDefinitionNode>;
  removed: RemovedField[];
}

/** Where a selection set sits: its static type, the object types it can be at runtime, its response path. */
interface Scope {
  parentType: GraphQLCompositeType;
  possibleTypes: readonly GraphQLObjectType[];
  /** A type condition excluded some of the enclosing field's possible types. */
  narrowed: boolean;
  path: string[];
}

interface FilteredSelections {
  selections: SelectionNode[];
  needsRuntimeType: boolean;
}

/** Expects `document` to be valid against `schema`. */
export function filterOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  policy: AuthPolicy,
  viewer: Viewer | null,
): FilteredOperation {
  const operation = getOperationAST(document, operationName);
  if (!operation) throw new GraphQLError(`Unknown or ambiguous operation "${operationName ?? ''}"`);
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new GraphQLError(`Schema has no ${operation.operation} type`);

  const context: FilterContext = { schema, policy, viewer, fragments: fragmentsByName(document), removed: [] };
  const root = filterSelections(context, operation.selectionSet, fieldScope(schema, rootType, []));
  const filtered: OperationDefinitionNode = {
    ...operation,
    selectionSet: { ...operation.selectionSet, selections: orTypename(root.selections) },
  };
  return {
    document: { kind: Kind.DOCUMENT, definitions: [withoutUnusedVariables(filtered)] },
    removed: context.removed,
    nothingLeft: root.selections.length === 0 && context.removed.length > 0,
  };
}

function filterSelections(context: FilterContext, selectionSet: SelectionSetNode, scope: Scope): FilteredSelections {
  const selections: SelectionNode[] = [];
  let needsRuntimeType = false;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const field = filterField(context, selection, scope);
      if (field) selections.push(field);
      else needsRuntimeType ||= scope.narrowed;
      continue;
    }
    const fragment = asInlineFragment(context.fragments, selection);
    const inner = filterSelections(context, fragment.selectionSet, fragmentScope(context.schema, scope, fragment));
    needsRuntimeType ||= inner.needsRuntimeType;
    if (inner.selections.length > 0) {
      selections.push({ ...fragment, selectionSet: { ...fragment.selectionSet, selections: inner.selections } });
    }
  }
  return { selections, needsRuntimeType };
}

/** The field with its sub-selections filtered, or undefined when the viewer may not see it. */
function filterField(context: FilterContext, field: FieldNode, scope: Scope): FieldNode | undefined {
  if (field.name.value === TYPENAME) return field;
  const definition = fieldDefinition(context.schema, scope.parentType, field.name.value);
  const responseKey = field.alias?.value ?? field.name.value;
  if (!isFieldAuthorized(context, definition, scope)) {
    context.removed.push({
      path: [...scope.path, responseKey],
      nonNull: isNonNullType(definition.type),
      ...(scope.narrowed && { runtimeTypes: scope.possibleTypes.map((type) => type.name) }),
    });
    return undefined;
  }
  if (!field.selectionSet) return field;

  const childPath = [...scope.path, responseKey, ...listMarkers(definition.type)];
  const childType = getNamedType(definition.type) as GraphQLCompositeType;
  const inner = filterSelections(context, field.selectionSet, fieldScope(context.schema, childType, childPath));
  const selections = inner.needsRuntimeType ? [...inner.selections, RUNTIME_TYPE_FIELD] : inner.selections;
  return { ...field, selectionSet: { ...field.selectionSet, selections: orTypename(selections) } };
}

/**
 * The field's own requirement, its return type's and its parent type's must all be met. Interfaces
 * need no special case: composition copies the implementations' requirements onto them.
 */
function isFieldAuthorized(context: FilterContext, definition: GraphQLField<unknown, unknown>, scope: Scope): boolean {
  const { policy, viewer } = context;
  const requirements = [
    policy.fields.get(`${scope.parentType.name}.${definition.name}`),
    policy.types.get(scope.parentType.name),
    policy.types.get(getNamedType(definition.type).name),
  ];
  return requirements.every((requirement) => requirement === undefined || isRequirementMet(requirement, viewer));
}

function isRequirementMet(requirement: AuthRequirement, viewer: Viewer | null): boolean {
  if (!requirement.authenticated && requirement.scopes.length === 0) return true;
  if (!viewer) return false;
  // @authenticated means a signed-in person (scope `user`): the batch service's account, which has
  // only `service`, reaches its maintenance fields and nothing a person may do.
  if (requirement.authenticated && !viewer.scopes.has('user')) return false;
  return requirement.scopes.length === 0 || requirement.scopes.some((set) => set.every((scope) => viewer.scopes.has(scope)));
}

function fieldScope(schema: GraphQLSchema, type: GraphQLCompositeType, path: string[]): Scope {
  return { parentType: type, possibleTypes: possibleTypesOf(schema, type), narrowed: false, path };
}

function fragmentScope(schema: GraphQLSchema, scope: Scope, fragment: InlineFragmentNode): Scope {
  if (!fragment.typeCondition) return scope;
  const type = compositeType(schema, fragment.typeCondition.name.value);
  const allowed = new Set(possibleTypesOf(schema, type));
  const possibleTypes = scope.possibleTypes.filter((possible) => allowed.has(possible));
  const narrowed = scope.narrowed || possibleTypes.length < scope.possibleTypes.length;
  return { parentType: type, possibleTypes, narrowed, path: scope.path };
}

function possibleTypesOf(schema: GraphQLSchema, type: GraphQLCompositeType): readonly GraphQLObjectType[] {
  return isAbstractType(type) ? schema.getPossibleTypes(type) : [type];
}

function orTypename(selections: SelectionNode[]): SelectionNode[] {
  return selections.length > 0 ? selections : [TYPENAME_FIELD];
}

/** One '@' per list level of a field's type. */
function listMarkers(type: GraphQLOutputType): string[] {
  const nullable = getNullableType(type);
  return isListType(nullable) ? [LIST_MARKER, ...listMarkers(nullable.ofType)] : [];
}

/** Inlining keeps each fragment use filtered in its own context (paths differ per use). */
export function asInlineFragment(
  fragments: Map<string, FragmentDefinitionNode>,
  selection: InlineFragmentNode | FragmentSpreadNode,
): InlineFragmentNode {
  if (selection.kind === Kind.INLINE_FRAGMENT) return selection;
  const fragment = fragments.get(selection.name.value);
  if (!fragment) throw new GraphQLError(`Unknown fragment "${selection.name.value}"`);
  return {
    kind: Kind.INLINE_FRAGMENT,
    typeCondition: fragment.typeCondition,
    directives: selection.directives,
    selectionSet: fragment.selectionSet,
  };
}

function withoutUnusedVariables(operation: OperationDefinitionNode): OperationDefinitionNode {
  const used = new Set<string>();
  visit({ ...operation, variableDefinitions: [] }, { Variable: (node) => void used.add(node.name.value) });
  return {
    ...operation,
    variableDefinitions: operation.variableDefinitions?.filter((definition) => used.has(definition.variable.name.value)),
  };
}

export function fragmentsByName(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(
    document.definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
}

export function fieldDefinition(schema: GraphQLSchema, parentType: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> {
  const isQueryRoot = parentType === schema.getQueryType();
  if (isQueryRoot && name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (isQueryRoot && name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  const definition = isUnionType(parentType) ? undefined : parentType.getFields()[name];
  if (!definition) throw new GraphQLError(`Cannot query field "${name}" on type "${parentType.name}"`);
  return definition;
}

export function compositeType(schema: GraphQLSchema, name: string): GraphQLCompositeType {
  const type = schema.getType(name);
  if (!isCompositeType(type)) throw new GraphQLError(`Unknown composite type "${name}"`);
  return type;
}

