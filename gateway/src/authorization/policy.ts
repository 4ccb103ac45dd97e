/**
 * The policy of `@authenticated` and `@requiresScopes`, read out of the supergraph. `@apollo/gateway`
 * rejects supergraphs that link these SECURITY specs, so the router strips them before the gateway
 * sees it and enforces them itself (filter.ts, restore.ts, enforce.ts), as Apollo Router's
 * authorization plugin does.
 */
import { Kind, isTypeDefinitionNode, isTypeExtensionNode, parse, print, visit } from 'graphql';
import type { ConstDirectiveNode, ConstValueNode, DocumentNode } from 'graphql';

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

