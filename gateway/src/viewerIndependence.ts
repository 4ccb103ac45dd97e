import { getNamedType, isCompositeType, Kind, parse, type FragmentDefinitionNode, type GraphQLCompositeType, type GraphQLSchema, type SelectionSetNode } from 'graphql';

/** What a subgraph puts on a field whose value is the same for every caller (composed with @composeDirective). */
export const VIEWER_INDEPENDENT = 'viewerIndependent';

/**
 * An entity fetch whose every field (besides `__typename`) the supergraph marks @viewerIndependent.
 * Anything else — a root field, an unknown type, one field without the mark — is per viewer.
 */
export function asksViewerIndependentOnly(query: string, schema: GraphQLSchema): boolean {
  const document = parse(query);
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.operation !== 'query') return false;
  const fragments = new Map(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const [entities, ...others] = operation.selectionSet.selections;
  if (others.length || entities?.kind !== Kind.FIELD || entities.name.value !== '_entities' || !entities.selectionSet) return false;
  return allViewerIndependent(entities.selectionSet, undefined, schema, fragments);
}

function allViewerIndependent(
  selectionSet: SelectionSetNode,
  parent: GraphQLCompositeType | undefined,
  schema: GraphQLSchema,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__typename') return true;
      if (!parent || !('getFields' in parent)) return false;
      const field = parent.getFields()[selection.name.value];
      if (!field?.astNode?.directives?.some((directive) => directive.name.value === VIEWER_INDEPENDENT)) return false;
      if (!selection.selectionSet) return true;
      const type = getNamedType(field.type);
      return isCompositeType(type) && allViewerIndependent(selection.selectionSet, type, schema, fragments);
    }
    const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
    if (!fragment) return false;
    const type = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
    return !!type && isCompositeType(type) && allViewerIndependent(fragment.selectionSet, type, schema, fragments);
  });
}
