/**
 * Subresources: `status` (spec and status written separately), `scale` (autoscaling/v1 Scale for
 * ReplicaSets, Deployments and StatefulSets — not DaemonSets, exactly as Kubernetes), pod
 * `binding` and `eviction`, namespace `finalize`, and pod `log`/`exec`/`attach`/`portforward`
 * which are served by node agents through a pluggable provider.
 */
import type { ApiHandler, ApiRequest, ApiResponse } from '../../api/http.js';
import type { UpgradeListener } from '../https-server.js';
import type { KubeObject, StoredObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { StatusError, badRequest, conflict, invalid, methodNotAllowed, notFoundPath } from '../../api/errors.js';
import { formatLabelSelector } from '../../api/labels.js';
import type { ResourceRequest } from '../request-info.js';
import type { Registry } from '../registry/registry.js';
import { deleteObject } from '../registry/deletion.js';
import { decodeObjectBody, decodePatchBody, type ProtobufDecoder } from './body.js';
import { jsonResponse, successStatus } from './respond.js';
import { patchObject, applyPatchToObject } from './patch-object.js';
import { withWarnings } from './resources.js';
import { clone } from '../../api/object.js';

/** Serves pod logs, exec, attach and port-forward by reaching the pod's node agent. */
export interface PodStreamProvider {
  handle(req: ApiRequest, pod: StoredObject, subresource: 'log' | 'exec' | 'attach' | 'portforward'): Promise<ApiResponse>;
  /** The HTTPS front end's upgrade listener (exec/attach/portforward), routing through `handler`. */
  upgradeHandler?(handler: ApiHandler): UpgradeListener;
}

export interface SubresourceHandlers {
  handle(req: ApiRequest, ri: ResourceRequest, info: ResourceInfo): Promise<ApiResponse>;
}

export interface SubresourceDeps {
  registry: Registry;
  protobuf?: ProtobufDecoder;
  podStreams?: PodStreamProvider;
}

const SCALABLE = new Set(['apps/replicasets', 'apps/deployments', 'apps/statefulsets']);

export function subresourceHandlers(deps: SubresourceDeps): SubresourceHandlers {
  return {
    async handle(req, ri, info) {
      const sub = info.subresources.find((s) => s.name === ri.subresource);
      if (!sub || ri.rest.length > 0 || !ri.name) throw notFoundPath();
      switch (sub.name) {
        case 'status':
          return status(deps, req, ri, info);
        case 'scale':
          if (!SCALABLE.has(`${info.group}/${info.resource}`)) throw notFoundPath();
          return scale(deps, req, ri, info);
        case 'binding':
          return bind(deps, req, ri, info);
        case 'eviction':
          return evict(deps, req, ri, info);
        case 'finalize':
          return finalize(deps, req, ri, info);
        case 'log':
        case 'exec':
        case 'attach':
        case 'portforward': {
          const pod = deps.registry.get(info, ri.namespace, ri.name).obj;
          if (!deps.podStreams) {
            throw new StatusError(503, 'ServiceUnavailable', `no node agent can serve pods/${sub.name} for pod ${ri.name}: this server runs without node agents`);
          }
          return deps.podStreams.handle(req, pod, sub.name);
        }
      }
      throw notFoundPath();
    },
  };
}

function dryRun(req: ApiRequest): boolean {
  return req.query.getAll('dryRun').length > 0;
}

function fieldManager(req: ApiRequest): string {
  return req.query.get('fieldManager') || (req.headers['user-agent'] ?? '').split('/')[0] || 'unknown';
}

async function status(deps: SubresourceDeps, req: ApiRequest, ri: ResourceRequest, info: ResourceInfo): Promise<ApiResponse> {
  const reg = deps.registry;
  switch (req.method) {
    case 'GET':
      return jsonResponse(200, reg.get(info, ri.namespace, ri.name).obj);
    case 'PUT': {
      const body = decodeObjectBody(req, deps.protobuf);
      const { obj } = await reg.update(info, ri.namespace, ri.name, body, { dryRun: dryRun(req), fieldManager: fieldManager(req), subresource: 'status' });
      return jsonResponse(200, obj);
    }
    case 'PATCH': {
      const warnings: string[] = [];
      const decoded = decodePatchBody(req);
      const r = await patchObject(reg, info, ri.namespace, ri.name, decoded, {
        dryRun: dryRun(req),
        fieldManager: req.query.get('fieldManager') || fieldManager(req),
        force: req.query.get('force') === 'true',
        fieldValidation: 'Ignore',
        subresource: 'status',
        warnings,
      });
      return withWarnings(jsonResponse(200, r.obj), warnings);
    }
  }
  throw methodNotAllowed(req.method, `${info.resource}/status`);
}

/** The Scale view of a scalable object. */
export function scaleOf(obj: StoredObject): KubeObject {
  const spec = (obj as { spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } } }).spec ?? {};
  const st = (obj as { status?: { replicas?: number } }).status ?? {};
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: st.replicas ?? 0, selector: formatLabelSelector(spec.selector) },
  };
}

async function scale(deps: SubresourceDeps, req: ApiRequest, ri: ResourceRequest, info: ResourceInfo): Promise<ApiResponse> {
  const reg = deps.registry;
  if (req.method === 'GET') return jsonResponse(200, scaleOf(reg.get(info, ri.namespace, ri.name).obj));
  if (req.method !== 'PUT' && req.method !== 'PATCH') throw methodNotAllowed(req.method, `${info.resource}/scale`);
  const decodedPut = req.method === 'PUT' ? decodeObjectBody(req, deps.protobuf) : undefined;
  const decodedPatch = req.method === 'PATCH' ? decodePatchBody(req) : undefined;
  const updated = await reg.guaranteedUpdate(
    info,
    ri.namespace,
    ri.name,
    (cur) => {
      const current = scaleOf(cur);
      const wanted = decodedPut ?? applyPatchToObject(current, decodedPatch!, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
      const replicas = (wanted as { spec?: { replicas?: unknown } }).spec?.replicas ?? 0;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw invalid('autoscaling', 'Scale', ri.name, [
          { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
        ]);
      }
      const rv = wanted.metadata?.resourceVersion;
      if (rv && rv !== cur.metadata.resourceVersion) throw conflict(info, ri.name, 'the object has been modified; please apply your changes to the latest version and try again');
      const next = clone(cur) as StoredObject & { spec: { replicas?: number } };
      next.spec = { ...(next.spec ?? {}), replicas };
      return next;
    },
    { dryRun: dryRun(req), fieldManager: fieldManager(req) },
  );
  return jsonResponse(200, scaleOf(updated));
}

async function bind(deps: SubresourceDeps, req: ApiRequest, ri: ResourceRequest, info: ResourceInfo): Promise<ApiResponse> {
  if (req.method !== 'POST') throw methodNotAllowed(req.method, 'pods/binding');
  const body = decodeObjectBody(req, deps.protobuf) as KubeObject & { target?: { kind?: string; name?: string } };
  await bindPod(deps.registry, info, ri.namespace, body.metadata?.name || ri.name, body, dryRun(req));
  return jsonResponse(201, successStatus(undefined));
}

/** Assigns a pod to a node (Kubernetes' BindingREST.assignPod). */
export async function bindPod(reg: Registry, info: ResourceInfo, namespace: string, name: string, binding: KubeObject & { target?: { kind?: string; name?: string } }, dry: boolean): Promise<void> {
  const node = binding.target?.name;
  if (!node) {
    throw invalid('', 'Binding', name, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  }
  if (binding.target?.kind && binding.target.kind !== 'Node') {
    throw invalid('', 'Binding', name, [{ reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${binding.target.kind}": supported values: "Node"` }]);
  }
  const bindingConflict = (why: string) => new StatusError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": ${why}`, { name, kind: 'pods/binding' });
  await reg.guaranteedUpdate(
    info,
    namespace,
    name,
    (cur) => {
      // Shallow copies of what changes; guaranteedUpdate deep-copies the result once.
      const cp = cur as StoredObject & { spec?: { nodeName?: string }; status?: { conditions?: Array<Record<string, unknown>> } };
      if (cp.metadata.deletionTimestamp) throw bindingConflict(`pod ${name} is being deleted, cannot be assigned to a host`);
      if (cp.spec?.nodeName) throw bindingConflict(`pod ${name} is already assigned to node "${cp.spec.nodeName}"`);
      const uid = binding.metadata?.uid;
      if (uid && uid !== cp.metadata.uid) throw bindingConflict(`Precondition failed: UID in precondition: ${uid}, UID in object meta: ${cp.metadata.uid}`);
      const annotations = binding.metadata?.annotations;
      const conditions = (cp.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      const prev = cp.status?.conditions?.find((c) => c.type === 'PodScheduled');
      const now = new Date(reg.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      conditions.push({
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: prev?.status === 'True' ? prev.lastTransitionTime : now,
      });
      return {
        ...cp,
        metadata: annotations ? { ...cp.metadata, annotations: { ...(cp.metadata.annotations ?? {}), ...annotations } } : cp.metadata,
        spec: { ...(cp.spec ?? {}), nodeName: node },
        status: { ...(cp.status ?? {}), conditions },
      };
    },
    // Binding changes spec.nodeName and status together: write the whole object as the system.
    { dryRun: dry, fieldManager: 'kube-scheduler', subresource: 'binding' },
  );
}

async function evict(deps: SubresourceDeps, req: ApiRequest, ri: ResourceRequest, info: ResourceInfo): Promise<ApiResponse> {
  if (req.method !== 'POST') throw methodNotAllowed(req.method, 'pods/eviction');
  const body = decodeObjectBody(req, deps.protobuf) as KubeObject & { deleteOptions?: Record<string, unknown> };
  if (body.metadata?.name && body.metadata.name !== ri.name) {
    throw badRequest(`name in URL does not match name in Eviction object`);
  }
  // No PodDisruptionBudgets are served, so every eviction is allowed: delete with the given options.
  const opts = body.deleteOptions ?? {};
  await deleteObject(deps.registry, info, ri.namespace, ri.name, {
    ...(typeof opts.gracePeriodSeconds === 'number' ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    ...(opts.preconditions ? { preconditions: opts.preconditions as { uid?: string; resourceVersion?: string } } : {}),
    ...(Array.isArray(opts.dryRun) ? { dryRun: opts.dryRun as string[] } : dryRun(req) ? { dryRun: ['All'] } : {}),
  });
  return jsonResponse(201, successStatus(undefined));
}

/**
 * PUT namespaces/<name>/finalize (the namespace FinalizeREST): an update of the whole namespace
 * except its status — the only way to change spec.finalizers — with the usual resourceVersion
 * precondition. A terminating namespace left with no finalizers of either kind is deleted by
 * that same update (ShouldDeleteNamespaceDuringUpdate), and the response is the deleted object.
 */
async function finalize(deps: SubresourceDeps, req: ApiRequest, ri: ResourceRequest, info: ResourceInfo): Promise<ApiResponse> {
  if (req.method !== 'PUT') throw methodNotAllowed(req.method, 'namespaces/finalize');
  const body = decodeObjectBody(req, deps.protobuf);
  const { obj } = await deps.registry.update(info, '', ri.name, body, { dryRun: dryRun(req), fieldManager: fieldManager(req), subresource: 'finalize' });
  return jsonResponse(200, obj);
}
