import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, Source, type GraphQLError } from 'graphql';
import YAML from 'yaml';

/** The subset of rover's supergraph config we read. */
export interface SupergraphConfig {
  federation_version: string;
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

export type CompositionResult =
  | { ok: true; supergraphSdl: string; config: SupergraphConfig }
  | { ok: false; errors: string[] };

export async function readSupergraphConfig(configPath: string): Promise<SupergraphConfig> {
  const config = YAML.parse(await readFile(configPath, 'utf8')) as SupergraphConfig;
  if (!config?.subgraphs || typeof config.subgraphs !== 'object') {
    throw new Error(`${configPath}: expected a "subgraphs" map, as rover's supergraph config has`);
  }
  for (const [name, subgraph] of Object.entries(config.subgraphs)) {
    if (!subgraph?.routing_url || !subgraph.schema?.file) {
      throw new Error(`${configPath}: subgraph "${name}" needs routing_url and schema.file`);
    }
  }
  return config;
}

/** "file:line:column" for each place an error points at. */
function locate(error: GraphQLError): string {
  const places = (error.nodes ?? [])
    .map((node) => node.loc && `${node.loc.source.name}:${node.loc.startToken.line}:${node.loc.startToken.column}`)
    .filter(Boolean);
  return places.length ? ` (at ${places.join(', ')})` : '';
}

export async function composeSupergraph(configPath: string): Promise<CompositionResult> {
  const config = await readSupergraphConfig(configPath);
  const base = path.dirname(configPath);
  const errors: string[] = [];
  const services = [];
  for (const [name, subgraph] of Object.entries(config.subgraphs)) {
    const file = path.resolve(base, subgraph.schema.file);
    const sdl = await readFile(file, 'utf8');
    try {
      services.push({ name, url: subgraph.routing_url, typeDefs: parse(new Source(sdl, path.relative(process.cwd(), file))) });
    } catch (error) {
      errors.push(`[${name}] ${(error as GraphQLError).message}${locate(error as GraphQLError)}`);
    }
  }
  if (errors.length) return { ok: false, errors };
  const result = composeServices(services);
  if (result.errors) {
    return { ok: false, errors: result.errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}${locate(error)}`) };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl, config };
}
