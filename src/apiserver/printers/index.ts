/**
 * Server-side `kubectl get` output: `meta.k8s.io/v1` Table printers for every served resource,
 * plus the pod status and duration helpers other parts of Skiff show to people.
 */
export { buildTable, defaultPrinter, printTable, printerFor, rowObject } from './print-table.js';
export type { BuildTableOptions, PrintOptions, PrintedTable } from './print-table.js';
export { ageSince, humanDuration, objectAge, parseTime, translateTimestampSince } from './duration.js';
export {
  formatRestarts,
  podReadyString,
  podRestartsString,
  podStatusReason,
  readinessGatesString,
  summarizePod,
} from './pod.js';
export type { PodSummary } from './pod.js';
export { jobCompletions, jobDuration, jobStatus } from './batch.js';
export { nodeRoles, nodeStatus } from './node.js';
export type {
  IncludeObjectPolicy,
  PartialObjectMetadata,
  PrintContext,
  ResourcePrinter,
  Table,
  TableColumnDefinition,
  TableRow,
  TableRowCondition,
} from './types.js';
