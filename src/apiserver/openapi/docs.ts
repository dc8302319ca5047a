/**
 * Descriptions for `kubectl explain`, extracted at build time from the `kubernetes-types`
 * declarations by scripts/gen-schema-docs.mjs into dist/schema-docs.json. Loaded lazily when an
 * OpenAPI document is first built; when the file is missing every description is simply absent
 * (so are those of fields newer than the kubernetes-types release).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Per OpenAPI type name: the type's description (`d`) and its fields' (`f`, by JSON name). */
export type SchemaDocs = Record<string, { d?: string; f?: Record<string, string> }>;

/** Where the build writes the docs: dist/schema-docs.json (this module is dist/src/apiserver/openapi/). */
export const SCHEMA_DOCS_URL = new URL('../../../schema-docs.json', import.meta.url);

let docs: SchemaDocs | undefined;

/** The docs, read once per process; an empty table when the file is absent or unreadable. */
export function loadSchemaDocs(): SchemaDocs {
  if (docs) return docs;
  try {
    docs = JSON.parse(readFileSync(fileURLToPath(SCHEMA_DOCS_URL), 'utf8')) as SchemaDocs;
  } catch {
    docs = {};
  }
  return docs;
}

/** Replaces the docs (tests). */
export function setSchemaDocs(value: SchemaDocs | undefined): void {
  docs = value;
}
