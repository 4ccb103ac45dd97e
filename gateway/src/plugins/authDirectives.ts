/**
 * Router-side enforcement of the federation directives `@authenticated` and `@requiresScopes`,
 * modelled on Apollo Router's authorization plugin. `@apollo/gateway` rejects supergraphs that
 * link these SECURITY specs, so the policy is read out of the supergraph, the directives are
 * stripped before the gateway sees it, unauthorized fields are removed from each operation before
 * planning, and `null` plus an error is put back at their paths in the result.
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
  isTypeDefinitionNode,
  isTypeExtensionNode,
  isUnionType,
  parse,
  print,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  visit,
} from 'graphql';
import type {
  ConstDirectiveNode,
  ConstValueNode,
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

export interface AuthRequirement {
  authenticated: boolean;
  /** OR of AND-sets; [] = none */
  scopes: string[][];
}

export interface AuthPolicy {
  /** 'Type.field' -> requirement */
  fields: Map<string, AuthRequirement>;
  /** 'Type' -> requirement for type-level directives */
  types: Map<string, AuthRequirement>;
}

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
export const UNAUTHORIZED_MESSAGE = 'Unauthorized field or type';
export const UNAUTHORIZED_CODE = 'UNAUTHORIZED_FIELD_OR_TYPE';

// ---------------------------------------------------------------------------------------------
// Supergraph: policy extraction and stripping
// ---------------------------------------------------------------------------------------------

const AUTH_SPEC_URL = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes)\/v(\d+\.\d+)$/;
const SUPPORTED_AUTH_SPEC_VERSION = '0.1';

type AuthSpec = 'authenticated' | 'requiresScopes';

interface AuthLink {
  spec: AuthSpec;
  /** `as:` of the link, else the spec name: prefix of the elements that were not imported. */
  namespace: string;
  /** Imported element ('@requiresScopes', 'Scope') -> local name (with '@' for directives). */
  imports: Map<string, string>;
}

/** The names this supergraph uses for the auth specs' elements. */
interface AuthNames {
  authenticated?: string;
  requiresScopes?: string;
  scopeScalar?: string;
}

export function extractAuthPolicy(supergraphSdl: string): { policy: AuthPolicy; strippedSupergraphSdl: string } {
  const document = parse(supergraphSdl);
  const linkNodes = new Set<ConstDirectiveNode>();
  const names: AuthNames = {};
  for (const directive of schemaDirectives(document)) {
    const link = parseAuthLink(directive);
    if (!link) continue;
    linkNodes.add(directive);
    Object.assign(names, elementNames(link));
  }
  const policy = collectPolicy(document, names);
  if (linkNodes.size === 0) return { policy, strippedSupergraphSdl: supergraphSdl };
  return { policy, strippedSupergraphSdl: print(stripAuthSpecs(document, linkNodes, names)) };
}

function schemaDirectives(document: DocumentNode): readonly ConstDirectiveNode[] {
  return document.definitions.flatMap((definition) =>
    definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION
      ? (definition.directives ?? [])
      : [],
  );
}

/** Recognised by its `url:` argument, so a renamed `@link` works too. */
function parseAuthLink(directive: ConstDirectiveNode): AuthLink | undefined {
  const url = stringArgument(directive, 'url');
  const match = url === undefined ? null : AUTH_SPEC_URL.exec(url);
  if (!match) return undefined;
  const spec = match[1] as AuthSpec;
  const version = match[2];
  // Silently ignoring a newer spec would drop security checks, so refuse it instead.
  if (version !== SUPPORTED_AUTH_SPEC_VERSION) throw new Error(`Unsupported auth spec version: ${url}`);
  return { spec, namespace: stringArgument(directive, 'as') ?? spec, imports: linkImports(argument(directive, 'import')) };
}

function linkImports(value: ConstValueNode | undefined): Map<string, string> {
  const imports = new Map<string, string>();
  for (const item of value?.kind === Kind.LIST ? value.values : []) {
    if (item.kind === Kind.STRING) imports.set(item.value, item.value);
    if (item.kind !== Kind.OBJECT) continue;
    const field = (name: string) => item.fields.find((f) => f.name.value === name)?.value;
    const name = field('name');
    const as = field('as');
    if (name?.kind === Kind.STRING) imports.set(name.value, as?.kind === Kind.STRING ? as.value : name.value);
  }
  return imports;
}

/** Naming rules of the link spec: imported name, else `@namespace` for the spec's own directive, else `namespace__Element`. */
function elementName(link: AuthLink, element: string): string {
  const imported = link.imports.get(element);
  if (imported !== undefined) return imported.replace(/^@/, '');
  const bare = element.replace(/^@/, '');
  return bare === link.spec ? link.namespace : `${link.namespace}__${bare}`;
}

function elementNames(link: AuthLink): AuthNames {
  return link.spec === 'authenticated'
    ? { authenticated: elementName(link, '@authenticated') }
    : { requiresScopes: elementName(link, '@requiresScopes'), scopeScalar: elementName(link, 'Scope') };
}

function collectPolicy(document: DocumentNode, names: AuthNames): AuthPolicy {
  const policy: AuthPolicy = { fields: new Map(), types: new Map() };
  for (const definition of document.definitions) {
    if (!isTypeDefinitionNode(definition) && !isTypeExtensionNode(definition)) continue;
    const typeName = definition.name.value;
    addRequirement(policy.types, typeName, requirementOf(definition.directives, names));
    const fields = 'fields' in definition ? (definition.fields ?? []) : [];
    for (const field of fields) {
      addRequirement(policy.fields, `${typeName}.${field.name.value}`, requirementOf(field.directives, names));
    }
  }
  return policy;
}

function requirementOf(directives: readonly ConstDirectiveNode[] | undefined, names: AuthNames): AuthRequirement | undefined {
  let authenticated = false;
  let scopes: string[][] = [];
  for (const directive of directives ?? []) {
    if (directive.name.value === names.authenticated) authenticated = true;
    if (directive.name.value === names.requiresScopes) scopes = scopesArgument(directive);
  }
  return authenticated || scopes.length > 0 ? { authenticated, scopes } : undefined;
}

/** `scopes: [[Scope!]!]!` with GraphQL list coercion (a bare item stands for a one-item list). */
function scopesArgument(directive: ConstDirectiveNode): string[][] {
  const asList = (value: ConstValueNode | undefined): readonly ConstValueNode[] =>
    value === undefined ? [] : value.kind === Kind.LIST ? value.values : [value];
  return asList(argument(directive, 'scopes')).map((set) =>
    asList(set).flatMap((scope) => (scope.kind === Kind.STRING ? [scope.value] : [])),
  );
}

/** A type defined and extended carries both requirements: both must hold. */
function addRequirement(map: Map<string, AuthRequirement>, key: string, requirement: AuthRequirement | undefined): void {
  if (!requirement) return;
  const existing = map.get(key);
  map.set(key, existing ? bothRequirements(existing, requirement) : requirement);
}

function bothRequirements(a: AuthRequirement, b: AuthRequirement): AuthRequirement {
  const scopes =
    a.scopes.length === 0 ? b.scopes
    : b.scopes.length === 0 ? a.scopes
    : a.scopes.flatMap((x) => b.scopes.map((y) => [...new Set([...x, ...y])]));
  return { authenticated: a.authenticated || b.authenticated, scopes };
}

function stripAuthSpecs(document: DocumentNode, linkNodes: Set<ConstDirectiveNode>, names: AuthNames): DocumentNode {
  const directiveNames = new Set([names.authenticated, names.requiresScopes].filter((n) => n !== undefined));
  return visit(document, {
    Directive: (node) => (linkNodes.has(node as ConstDirectiveNode) || directiveNames.has(node.name.value) ? null : undefined),
    DirectiveDefinition: (node) => (directiveNames.has(node.name.value) ? null : undefined),
    ScalarTypeDefinition: (node) => (node.name.value === names.scopeScalar ? null : undefined),
  });
}

function argument(directive: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return directive.arguments?.find((arg) => arg.name.value === name)?.value;
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.STRING ? value.value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Operation filtering
// ---------------------------------------------------------------------------------------------

const TYPENAME = '__typename';
/**
 * Response key under which the filter asks for `__typename` when it removes a field inside a
 * narrowing type condition, so restoration knows which objects the fragment applied to.
 * restoreRemovedFields deletes it again.
 */
const RUNTIME_TYPE_KEY = '__authRuntimeType';

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
function asInlineFragment(
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

function fragmentsByName(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(
    document.definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
}

function fieldDefinition(schema: GraphQLSchema, parentType: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> {
  const isQueryRoot = parentType === schema.getQueryType();
  if (isQueryRoot && name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (isQueryRoot && name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  const definition = isUnionType(parentType) ? undefined : parentType.getFields()[name];
  if (!definition) throw new GraphQLError(`Cannot query field "${name}" on type "${parentType.name}"`);
  return definition;
}

function compositeType(schema: GraphQLSchema, name: string): GraphQLCompositeType {
  const type = schema.getType(name);
  if (!isCompositeType(type)) throw new GraphQLError(`Unknown composite type "${name}"`);
  return type;
}

// ---------------------------------------------------------------------------------------------
// Result restoration
// ---------------------------------------------------------------------------------------------

/** A removed field with the nullability of every segment of its path (fields and list items). */
interface NullTarget {
  path: string[];
  nonNull: boolean[];
  runtimeTypes?: string[];
}

/**
 * `document` is the original or the filtered one; it only serves to look up the types along the
 * removed paths. A missing `data` without errors means nothing was executed (`nothingLeft`), so
 * the nulls go into an empty object.
 */
export function restoreRemovedFields(
  result: { data?: Record<string, unknown> | null; errors?: readonly unknown[] },
  removed: RemovedField[],
  schema: GraphQLSchema,
  document: DocumentNode,
): { data: Record<string, unknown> | null; errors: unknown[] } {
  const errors = [...(result.errors ?? []), ...unauthorizedErrors(removed)];
  const initial = result.data === undefined && !result.errors?.length ? {} : result.data;
  if (!initial) return { data: null, errors };

  const data = structuredClone(initial);
  for (const target of nullTargets(schema, document, removed)) {
    // A non-null root field's null wipes out the whole response.
    if (nullAt(data, target, 0)) return { data: null, errors };
  }
  for (const field of removed) {
    if (field.runtimeTypes) deleteRuntimeType(data, field.path.slice(0, -1), 0);
  }
  return { data, errors };
}

function unauthorizedErrors(removed: RemovedField[]): unknown[] {
  const paths = new Map(removed.map((field) => [JSON.stringify(field.path), field.path]));
  return [...paths.values()].map((path) => ({
    message: UNAUTHORIZED_MESSAGE,
    path,
    extensions: { code: UNAUTHORIZED_CODE },
  }));
}

/** Sets null at the target below `value`; true when that null must replace `value` itself. */
function nullAt(value: unknown, target: NullTarget, depth: number): boolean {
  const segment = target.path[depth] as string;
  const nonNull = target.nonNull[depth] as boolean;
  if (segment === LIST_MARKER) {
    if (!Array.isArray(value)) return false;
    let propagate = false;
    value.forEach((item, index) => {
      if (!nullAt(item, target, depth + 1)) return;
      value[index] = null;
      propagate ||= nonNull;
    });
    return propagate;
  }
  // A null or absent parent never had the field.
  if (!isRecord(value)) return false;
  const isTarget = depth === target.path.length - 1;
  if (isTarget && target.runtimeTypes && !target.runtimeTypes.includes(value[RUNTIME_TYPE_KEY] as string)) return false;
  if (!isTarget && !nullAt(value[segment], target, depth + 1)) return false;
  value[segment] = null;
  return nonNull;
}

function deleteRuntimeType(value: unknown, parentPath: string[], depth: number): void {
  if (depth === parentPath.length) {
    if (isRecord(value)) delete value[RUNTIME_TYPE_KEY];
    return;
  }
  const segment = parentPath[depth] as string;
  const children = segment === LIST_MARKER ? (Array.isArray(value) ? value : []) : isRecord(value) ? [value[segment]] : [];
  for (const child of children) deleteRuntimeType(child, parentPath, depth + 1);
}

/**
 * The restore targets in the executed operation. The operation name is not passed in, so that is
 * the first operation of the document in which every removed path exists.
 */
function nullTargets(schema: GraphQLSchema, document: DocumentNode, removed: RemovedField[]): NullTarget[] {
  const fragments = fragmentsByName(document);
  for (const operation of document.definitions) {
    if (operation.kind !== Kind.OPERATION_DEFINITION) continue;
    const targets = removed.map((field) => nullTarget(schema, fragments, operation, field));
    if (targets.every((target) => target !== undefined)) return targets;
  }
  throw new Error(`No operation in the document selects ${removed.map((field) => field.path.join('.')).join(', ')}`);
}

/** Looks up the types along the removed field's path to know where its null stops; undefined if the path is not there. */
function nullTarget(
  schema: GraphQLSchema,
  fragments: Map<string, FragmentDefinitionNode>,
  operation: OperationDefinitionNode,
  field: RemovedField,
): NullTarget | undefined {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return undefined;
  const nonNull: boolean[] = [];
  let parentType: GraphQLCompositeType = rootType;
  let selectionSets: readonly SelectionSetNode[] = [operation.selectionSet];
  let type: GraphQLOutputType | undefined;
  for (const segment of field.path.slice(0, -1)) {
    if (segment === LIST_MARKER) {
      const list = getNullableType(type);
      if (!isListType(list)) return undefined;
      type = list.ofType as GraphQLOutputType;
    } else {
      const occurrences = selectionSets.flatMap((set) => fieldsWithResponseKey(schema, fragments, set, parentType, segment));
      const [first] = occurrences;
      if (!first) return undefined;
      type = fieldDefinition(schema, first.parentType, first.field.name.value).type;
      parentType = getNamedType(type) as GraphQLCompositeType;
      selectionSets = occurrences.flatMap((occurrence) => occurrence.field.selectionSet ?? []);
    }
    nonNull.push(isNonNullType(type));
  }
  return { ...field, nonNull: [...nonNull, field.nonNull] };
}

/** All fields answering under `responseKey`, through fragments, with the type each is selected on. */
function fieldsWithResponseKey(
  schema: GraphQLSchema,
  fragments: Map<string, FragmentDefinitionNode>,
  selectionSet: SelectionSetNode,
  parentType: GraphQLCompositeType,
  responseKey: string,
): { field: FieldNode; parentType: GraphQLCompositeType }[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) {
      return (selection.alias ?? selection.name).value === responseKey ? [{ field: selection, parentType }] : [];
    }
    const fragment = asInlineFragment(fragments, selection);
    const type = fragment.typeCondition ? compositeType(schema, fragment.typeCondition.name.value) : parentType;
    return fieldsWithResponseKey(schema, fragments, fragment.selectionSet, type, responseKey);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
