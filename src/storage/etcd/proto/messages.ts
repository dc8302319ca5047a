/**
 * The subset of etcd's v3 API (etcdserverpb/rpc.proto and mvccpb/kv.proto, stable since etcd
 * 3.0; `watch_id` and `fragment` since 3.4) that the Skiff store speaks. Field numbers are wire
 * facts taken from those files; names follow them in camelCase. Lease IDs and cluster/member IDs
 * are 64-bit and decode as bigint.
 */
import type { MessageSpec } from './codec.js';

export interface KeyValueMsg {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Buffer;
  lease: bigint;
}

export const KeyValue: MessageSpec = {
  name: 'mvccpb.KeyValue',
  fields: {
    key: { no: 1, kind: 'bytes' },
    createRevision: { no: 2, kind: 'int64' },
    modRevision: { no: 3, kind: 'int64' },
    version: { no: 4, kind: 'int64' },
    value: { no: 5, kind: 'bytes' },
    lease: { no: 6, kind: 'uint64' },
  },
};

/** mvccpb.Event.EventType */
export const EVENT_PUT = 0;
export const EVENT_DELETE = 1;

export interface EventMsg {
  type: number;
  kv?: KeyValueMsg;
  prevKv?: KeyValueMsg;
}

export const Event: MessageSpec = {
  name: 'mvccpb.Event',
  fields: {
    type: { no: 1, kind: 'enum' },
    kv: { no: 2, kind: KeyValue },
    prevKv: { no: 3, kind: KeyValue },
  },
};

export interface ResponseHeaderMsg {
  clusterId: bigint;
  memberId: bigint;
  revision: number;
  raftTerm: bigint;
}

export const ResponseHeader: MessageSpec = {
  name: 'etcdserverpb.ResponseHeader',
  fields: {
    clusterId: { no: 1, kind: 'uint64' },
    memberId: { no: 2, kind: 'uint64' },
    revision: { no: 3, kind: 'int64' },
    raftTerm: { no: 4, kind: 'uint64' },
  },
};

export interface RangeRequestMsg {
  key: Uint8Array | string;
  rangeEnd?: Uint8Array | string;
  limit?: number;
  revision?: number;
  serializable?: boolean;
  keysOnly?: boolean;
  countOnly?: boolean;
}

export const RangeRequest: MessageSpec = {
  name: 'etcdserverpb.RangeRequest',
  fields: {
    key: { no: 1, kind: 'bytes' },
    rangeEnd: { no: 2, kind: 'bytes' },
    limit: { no: 3, kind: 'int64' },
    revision: { no: 4, kind: 'int64' },
    sortOrder: { no: 5, kind: 'enum' },
    sortTarget: { no: 6, kind: 'enum' },
    serializable: { no: 7, kind: 'bool' },
    keysOnly: { no: 8, kind: 'bool' },
    countOnly: { no: 9, kind: 'bool' },
    minModRevision: { no: 10, kind: 'int64' },
    maxModRevision: { no: 11, kind: 'int64' },
    minCreateRevision: { no: 12, kind: 'int64' },
    maxCreateRevision: { no: 13, kind: 'int64' },
  },
};

export interface RangeResponseMsg {
  header?: ResponseHeaderMsg;
  kvs: KeyValueMsg[];
  more: boolean;
  count: number;
}

export const RangeResponse: MessageSpec = {
  name: 'etcdserverpb.RangeResponse',
  fields: {
    header: { no: 1, kind: ResponseHeader },
    kvs: { no: 2, kind: KeyValue, repeated: true },
    more: { no: 3, kind: 'bool' },
    count: { no: 4, kind: 'int64' },
  },
};

export interface PutRequestMsg {
  key: Uint8Array | string;
  value: Uint8Array | string;
  lease?: bigint;
  prevKv?: boolean;
}

export const PutRequest: MessageSpec = {
  name: 'etcdserverpb.PutRequest',
  fields: {
    key: { no: 1, kind: 'bytes' },
    value: { no: 2, kind: 'bytes' },
    lease: { no: 3, kind: 'uint64' },
    prevKv: { no: 4, kind: 'bool' },
    ignoreValue: { no: 5, kind: 'bool' },
    ignoreLease: { no: 6, kind: 'bool' },
  },
};

export interface PutResponseMsg {
  header?: ResponseHeaderMsg;
  prevKv?: KeyValueMsg;
}

export const PutResponse: MessageSpec = {
  name: 'etcdserverpb.PutResponse',
  fields: {
    header: { no: 1, kind: ResponseHeader },
    prevKv: { no: 2, kind: KeyValue },
  },
};

export interface DeleteRangeRequestMsg {
  key: Uint8Array | string;
  rangeEnd?: Uint8Array | string;
  prevKv?: boolean;
}

export const DeleteRangeRequest: MessageSpec = {
  name: 'etcdserverpb.DeleteRangeRequest',
  fields: {
    key: { no: 1, kind: 'bytes' },
    rangeEnd: { no: 2, kind: 'bytes' },
    prevKv: { no: 3, kind: 'bool' },
  },
};

export interface DeleteRangeResponseMsg {
  header?: ResponseHeaderMsg;
  deleted: number;
  prevKvs: KeyValueMsg[];
}

export const DeleteRangeResponse: MessageSpec = {
  name: 'etcdserverpb.DeleteRangeResponse',
  fields: {
    header: { no: 1, kind: ResponseHeader },
    deleted: { no: 2, kind: 'int64' },
    prevKvs: { no: 3, kind: KeyValue, repeated: true },
  },
};

/** One operation of a transaction: exactly one member is set (a oneof). */
export interface RequestOpMsg {
  requestRange?: RangeRequestMsg;
  requestPut?: PutRequestMsg;
  requestDeleteRange?: DeleteRangeRequestMsg;
}

export const RequestOp: MessageSpec = {
  name: 'etcdserverpb.RequestOp',
  fields: {
    requestRange: { no: 1, kind: RangeRequest, oneof: true },
    requestPut: { no: 2, kind: PutRequest, oneof: true },
    requestDeleteRange: { no: 3, kind: DeleteRangeRequest, oneof: true },
  },
};

export interface ResponseOpMsg {
  responseRange?: RangeResponseMsg;
  responsePut?: PutResponseMsg;
  responseDeleteRange?: DeleteRangeResponseMsg;
}

export const ResponseOp: MessageSpec = {
  name: 'etcdserverpb.ResponseOp',
  fields: {
    responseRange: { no: 1, kind: RangeResponse, oneof: true },
    responsePut: { no: 2, kind: PutResponse, oneof: true },
    responseDeleteRange: { no: 3, kind: DeleteRangeResponse, oneof: true },
  },
};

/** Compare.CompareResult */
export const CMP_EQUAL = 0;
export const CMP_GREATER = 1;
export const CMP_LESS = 2;
export const CMP_NOT_EQUAL = 3;
/** Compare.CompareTarget */
export const TARGET_VERSION = 0;
export const TARGET_CREATE = 1;
export const TARGET_MOD = 2;
export const TARGET_VALUE = 3;

/** A transaction guard; `version`/`createRevision`/`modRevision`/`value` form a oneof. */
export interface CompareMsg {
  result: number;
  target: number;
  key: Uint8Array | string;
  version?: number;
  createRevision?: number;
  modRevision?: number;
  value?: Uint8Array | string;
}

export const Compare: MessageSpec = {
  name: 'etcdserverpb.Compare',
  fields: {
    result: { no: 1, kind: 'enum' },
    target: { no: 2, kind: 'enum' },
    key: { no: 3, kind: 'bytes' },
    version: { no: 4, kind: 'int64', oneof: true },
    createRevision: { no: 5, kind: 'int64', oneof: true },
    modRevision: { no: 6, kind: 'int64', oneof: true },
    value: { no: 7, kind: 'bytes', oneof: true },
    lease: { no: 8, kind: 'int64', oneof: true },
    rangeEnd: { no: 64, kind: 'bytes' },
  },
};

export interface TxnRequestMsg {
  compare: CompareMsg[];
  success: RequestOpMsg[];
  failure: RequestOpMsg[];
}

export const TxnRequest: MessageSpec = {
  name: 'etcdserverpb.TxnRequest',
  fields: {
    compare: { no: 1, kind: Compare, repeated: true },
    success: { no: 2, kind: RequestOp, repeated: true },
    failure: { no: 3, kind: RequestOp, repeated: true },
  },
};

export interface TxnResponseMsg {
  header?: ResponseHeaderMsg;
  succeeded: boolean;
  responses: ResponseOpMsg[];
}

export const TxnResponse: MessageSpec = {
  name: 'etcdserverpb.TxnResponse',
  fields: {
    header: { no: 1, kind: ResponseHeader },
    succeeded: { no: 2, kind: 'bool' },
    responses: { no: 3, kind: ResponseOp, repeated: true },
  },
};

export interface CompactionRequestMsg {
  revision: number;
  physical?: boolean;
}

export const CompactionRequest: MessageSpec = {
  name: 'etcdserverpb.CompactionRequest',
  fields: {
    revision: { no: 1, kind: 'int64' },
    physical: { no: 2, kind: 'bool' },
  },
};

export const CompactionResponse: MessageSpec = {
  name: 'etcdserverpb.CompactionResponse',
  fields: { header: { no: 1, kind: ResponseHeader } },
};

export interface WatchCreateRequestMsg {
  key: Uint8Array | string;
  rangeEnd?: Uint8Array | string;
  startRevision?: number;
  progressNotify?: boolean;
  prevKv?: boolean;
  watchId?: number;
}

export const WatchCreateRequest: MessageSpec = {
  name: 'etcdserverpb.WatchCreateRequest',
  fields: {
    key: { no: 1, kind: 'bytes' },
    rangeEnd: { no: 2, kind: 'bytes' },
    startRevision: { no: 3, kind: 'int64' },
    progressNotify: { no: 4, kind: 'bool' },
    filters: { no: 5, kind: 'enum', repeated: true },
    prevKv: { no: 6, kind: 'bool' },
    watchId: { no: 7, kind: 'int64' },
    fragment: { no: 8, kind: 'bool' },
  },
};

export const WatchCancelRequest: MessageSpec = {
  name: 'etcdserverpb.WatchCancelRequest',
  fields: { watchId: { no: 1, kind: 'int64' } },
};

export const WatchProgressRequest: MessageSpec = { name: 'etcdserverpb.WatchProgressRequest', fields: {} };

export interface WatchRequestMsg {
  createRequest?: WatchCreateRequestMsg;
  cancelRequest?: { watchId: number };
  progressRequest?: Record<string, never>;
}

export const WatchRequest: MessageSpec = {
  name: 'etcdserverpb.WatchRequest',
  fields: {
    createRequest: { no: 1, kind: WatchCreateRequest, oneof: true },
    cancelRequest: { no: 2, kind: WatchCancelRequest, oneof: true },
    progressRequest: { no: 3, kind: WatchProgressRequest, oneof: true },
  },
};

export interface WatchResponseMsg {
  header?: ResponseHeaderMsg;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: EventMsg[];
}

export const WatchResponse: MessageSpec = {
  name: 'etcdserverpb.WatchResponse',
  fields: {
    header: { no: 1, kind: ResponseHeader },
    watchId: { no: 2, kind: 'int64' },
    created: { no: 3, kind: 'bool' },
    canceled: { no: 4, kind: 'bool' },
    compactRevision: { no: 5, kind: 'int64' },
    cancelReason: { no: 6, kind: 'string' },
    fragment: { no: 7, kind: 'bool' },
    events: { no: 11, kind: Event, repeated: true },
  },
};

export interface LeaseGrantRequestMsg {
  TTL: number;
  ID?: bigint;
}

export const LeaseGrantRequest: MessageSpec = {
  name: 'etcdserverpb.LeaseGrantRequest',
  fields: {
    TTL: { no: 1, kind: 'int64' },
    ID: { no: 2, kind: 'uint64' },
  },
};

export interface LeaseGrantResponseMsg {
  header?: ResponseHeaderMsg;
  ID: bigint;
  TTL: number;
  error: string;
}

export const LeaseGrantResponse: MessageSpec = {
  name: 'etcdserverpb.LeaseGrantResponse',
  fields: {
    header: { no: 1, kind: ResponseHeader },
    ID: { no: 2, kind: 'uint64' },
    TTL: { no: 3, kind: 'int64' },
    error: { no: 4, kind: 'string' },
  },
};

export const StatusRequest: MessageSpec = { name: 'etcdserverpb.StatusRequest', fields: {} };

export interface StatusResponseMsg {
  header?: ResponseHeaderMsg;
  version: string;
  dbSize: number;
  leader: bigint;
  raftIndex: bigint;
  raftTerm: bigint;
  errors: string[];
}

export const StatusResponse: MessageSpec = {
  name: 'etcdserverpb.StatusResponse',
  fields: {
    header: { no: 1, kind: ResponseHeader },
    version: { no: 2, kind: 'string' },
    dbSize: { no: 3, kind: 'int64' },
    leader: { no: 4, kind: 'uint64' },
    raftIndex: { no: 5, kind: 'uint64' },
    raftTerm: { no: 6, kind: 'uint64' },
    errors: { no: 8, kind: 'string', repeated: true },
  },
};
