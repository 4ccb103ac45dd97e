// Validates Kubernetes objects (a JSON array on stdin) against the Kubernetes OpenAPI schemas that
// kubernetes-models compiles (types, required fields, enums, formats); prints one line per object,
// `<kind>/<name>: ok` or `<kind>/<name>: <errors>`. A module of its own: kubernetes-models is ESM only.
import { readFileSync } from 'node:fs';

const objects = JSON.parse(readFileSync(0, 'utf8'));
for (const object of objects) {
  const group = object.apiVersion.includes('/') ? object.apiVersion : `v1`;
  const label = `${object.kind}/${object.metadata?.name}`;
  let model;
  try {
    model = (await import(`kubernetes-models/${group}/${object.kind}`))[object.kind];
  } catch {
    console.log(`${label}: no schema for ${object.apiVersion} ${object.kind}`);
    continue;
  }
  try {
    new model(object).validate();
    console.log(`${label}: ok`);
  } catch (error) {
    console.log(`${label}: ${String(error.message).replace(/\s+/g, ' ')}`);
  }
}
