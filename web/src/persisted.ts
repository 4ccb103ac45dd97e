import type { DocumentNode } from 'graphql';
import documents from './__generated__/persisted-documents.json';

/**
 * Each generated document carries its id in the router's persisted-query manifest
 * (web/persisted-query-manifest.json); the body under that id is the exact text the router knows.
 */
export const persistedId = (document: DocumentNode): string | undefined => (document as { __meta__?: { hash?: string } }).__meta__?.hash;

export const persistedBody = (document: DocumentNode): string | undefined => {
  const id = persistedId(document);
  return id ? (documents as Record<string, string>)[id] : undefined;
};
