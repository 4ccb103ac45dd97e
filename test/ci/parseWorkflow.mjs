// Parses a GitHub Actions workflow (path in argv[2]) with GitHub's own workflow parser (the schema and
// expression checks of its editor tooling) and prints {errors, jobs} as JSON. A module of its own: the
// parser is ESM only, and imports its JSON schema without `with { type: 'json' }` (it is built for
// bundlers), which the load hook below adds.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`export function load(url, context, next) {
      return next(url, url.endsWith('.json') ? { ...context, importAttributes: { type: 'json' } } : context);
    }`),
);
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = await import('@actions/workflow-parser');

const name = process.argv[2];
const parsed = parseWorkflow({ name, content: readFileSync(name, 'utf8') }, new NoOperationTraceWriter());
const errors = parsed.context.errors.getErrors().map((error) => error.message);
const template = parsed.value ? await convertWorkflowTemplate(parsed.context, parsed.value) : undefined;
for (const error of template?.errors ?? []) if (!errors.includes(error.Message)) errors.push(error.Message);
console.log(JSON.stringify({ errors, jobs: (template?.jobs ?? []).map((job) => job.id.value) }));
