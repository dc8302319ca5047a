/**
 * OpenAPI documents for discovery-driven clients: `kubectl explain`, client-side and server-side
 * field validation, `kubectl apply` patch metadata. Pure functions over the schema tables, cached.
 */
export {
  OPENAPI_INFO_VERSION,
  OPENAPI_V2_PROTOBUF_TYPE,
  groupVersionKey,
  openApiV2,
  openApiV2Protobuf,
  openApiV3Document,
  openApiV3Root,
  resetOpenApiCache,
  type SerializedDocument,
} from './documents.js';
export { loadSchemaDocs, setSchemaDocs, type SchemaDocs } from './docs.js';
export { encodeOpenApiV2 } from './v2-proto.js';
