import { GraphQLError, Kind, visit, type ArgumentNode, type DocumentNode, type ObjectFieldNode } from 'graphql';

/**
 * Text that no column can hold and no client meant: PostgreSQL refuses a NUL (U+0000) in text,
 * and half a UTF-16 surrogate pair has no UTF-8 form (it would be stored as U+FFFD, silently
 * changed). Refused where the request comes in, so that no resolver meets it.
 */
function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (U+0000)';
  if (!isWellFormed(text)) return 'half of a UTF-16 surrogate pair (invalid Unicode)';
  return undefined;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isWellFormed = (text: string) => !LONE_SURROGATE.test(text);

/** The first unusable string in a JSON value, with its path; iterative, so any depth of nesting is fine. */
function findUnusableText(value: unknown, root: string): { path: string; problem: string } | undefined {
  const pending: [unknown, string][] = [[value, root]];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item === 'string') {
      const problem = textProblem(item);
      if (problem) return { path, problem };
    } else if (Array.isArray(item)) {
      item.forEach((element, index) => pending.push([element, `${path}[${index}]`]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, element] of Object.entries(item)) {
        const keyProblem = textProblem(key);
        if (keyProblem) return { path: `${path} (a key)`, problem: keyProblem };
        pending.push([element, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}

function unusableText(field: string, where: string, problem: string): GraphQLError {
  return new GraphQLError(`${where} contains ${problem}; remove it and send the text again.`, {
    extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } },
  });
}

/** Throws BAD_USER_INPUT naming the variable (and path inside it) or the argument that holds unusable text. */
export function assertUsableText(document: DocumentNode, variables: Record<string, unknown> | undefined): void {
  for (const [name, value] of Object.entries(variables ?? {})) {
    const found = findUnusableText(value, name);
    if (found) throw unusableText(found.path, `Variable "$${name}" at ${found.path}`, found.problem);
  }
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      const problem = textProblem(node.value);
      if (!problem) return;
      const owner = [...ancestors, parent].findLast((ancestor): ancestor is ArgumentNode | ObjectFieldNode =>
        ancestor !== undefined && 'kind' in ancestor && (ancestor.kind === Kind.ARGUMENT || ancestor.kind === Kind.OBJECT_FIELD),
      );
      const name = owner?.name.value ?? 'a default value';
      throw unusableText(name, `The string given to "${name}"`, problem);
    },
  });
}
