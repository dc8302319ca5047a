/**
 * The `meta.k8s.io/v1` Table types (as on the wire) and the shape of one resource's printer.
 * kubectl reads `columnDefinitions[].name` and `.priority` (priority > 0 only with `-o wide`),
 * prints `rows[].cells` as given, and reads `rows[].object` for the NAMESPACE column,
 * `--show-labels` and `kind/name` prefixes.
 */
import type { KubeObject, ListMeta, ObjectMeta } from '../../api/object.js';

/** One column of a Table (`meta.k8s.io/v1` TableColumnDefinition). */
export interface TableColumnDefinition {
  /** Human-readable name; kubectl upper-cases it for the header. */
  name: string;
  /** OpenAPI type of the column: `string`, `integer`, `number`, `boolean`, `date`. */
  type: string;
  /** OpenAPI format; `name` marks the column that holds the object's name. */
  format: string;
  description: string;
  /** 0 = shown by default; greater = shown only with `-o wide`. */
  priority: number;
}

/** A row condition; Kubernetes marks finished pods `Completed` so clients may de-emphasise them. */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** One row of a Table. */
export interface TableRow {
  /** One cell per column definition, in order; strings, integers or booleans. */
  cells: unknown[];
  conditions?: TableRowCondition[];
  /** PartialObjectMetadata, the full object, or absent, per `includeObject`. */
  object?: unknown;
}

/** A `meta.k8s.io/v1` Table. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ListMeta;
  /** Omitted when the client asked for `noHeaders` (watch events after the first). */
  columnDefinitions?: TableColumnDefinition[];
  rows: TableRow[];
}

/** `includeObject` of TableOptions: what each row's `object` holds. Kubernetes defaults to `Metadata`. */
export type IncludeObjectPolicy = 'None' | 'Metadata' | 'Object';

/** `meta.k8s.io/v1` PartialObjectMetadata as put in rows by default. */
export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

/** What every row printer gets besides the object. */
export interface PrintContext {
  /** The time ages are measured against, in epoch milliseconds. */
  nowMs: number;
}

/**
 * A printer for one resource: its columns and how to turn one object into cells. Like the
 * Kubernetes API server (which always prints with `Wide: true`), rows carry every column; the
 * client hides priority > 0 columns unless asked for `-o wide`.
 */
export interface ResourcePrinter<T = KubeObject> {
  columns: readonly TableColumnDefinition[];
  cells(obj: T, ctx: PrintContext): unknown[];
  /** Row conditions (pods only, in Kubernetes). */
  conditions?(obj: T): TableRowCondition[] | undefined;
}
