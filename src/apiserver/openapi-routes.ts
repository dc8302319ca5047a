/**
 * Serves the OpenAPI documents: `/openapi/v2` as the gnostic protobuf kubectl 1.27/1.28 require
 * (labelled application/octet-stream: kubectl cannot parse the media type's own name) or JSON,
 * `/openapi/v3` (the root listing every group-version with a content hash) and
 * `/openapi/v3/<group-version>` with ETags so clients can revalidate cheaply.
 */
import type { ApiRequest, ApiResponse } from '../api/http.js';
import { methodNotAllowed } from '../api/errors.js';
import { OPENAPI_V2_PROTOBUF_TYPE, openApiV2, openApiV2Protobuf, openApiV3Document, openApiV3Root, type SerializedDocument } from './openapi/index.js';
import type { OpenAPIServer } from './handler.js';

function docResponse(req: ApiRequest, doc: SerializedDocument, contentType: string, immutable: boolean): ApiResponse {
  const headers: Record<string, string> = {
    'content-type': contentType,
    etag: doc.etag,
    'cache-control': immutable ? 'public, immutable' : 'no-cache, private',
  };
  if (req.headers['if-none-match'] === doc.etag) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: doc.body };
}

export function openapiServer(): OpenAPIServer {
  return {
    handle(req) {
      if (req.path !== '/openapi/v2' && req.path !== '/swagger-2.0.0.pb-v1' && !req.path.startsWith('/openapi/v3')) return undefined;
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method, req.path);
      if (req.path === '/openapi/v2' || req.path === '/swagger-2.0.0.pb-v1') {
        const accept = req.headers.accept ?? '';
        if (req.path === '/swagger-2.0.0.pb-v1' || accept.includes(OPENAPI_V2_PROTOBUF_TYPE) || accept.includes('application/com.github.proto-openapi')) {
          return docResponse(req, openApiV2Protobuf(), 'application/octet-stream', false);
        }
        return docResponse(req, openApiV2().doc, 'application/json', false);
      }
      if (req.path === '/openapi/v3') return docResponse(req, openApiV3Root().doc, 'application/json', false);
      const key = req.path.slice('/openapi/v3/'.length);
      const found = openApiV3Document(key);
      if (!found) return undefined;
      // A `?hash=` URL names one immutable version of the document.
      return docResponse(req, found.doc, 'application/json', req.query.get('hash') === found.doc.hash);
    },
  };
}
