/**
 * Puts `null` and an UNAUTHORIZED_FIELD_OR_TYPE error back where filter.ts removed a field, with
 * the null propagating as the field's nullability says.
 */
import { Kind, getNamedType, getNullableType, isListType, isNonNullType } from 'graphql';
import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLOutputType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import { LIST_MARKER, RUNTIME_TYPE_KEY, asInlineFragment, compositeType, fieldDefinition, fragmentsByName, type RemovedField } from './filter';

export const UNAUTHORIZED_MESSAGE = 'Unauthorized field or type';
export const UNAUTHORIZED_CODE = 'UNAUTHORIZED_FIELD_OR_TYPE';

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

