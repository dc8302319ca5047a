/**
 * A container's environment, built in kubelet's order (makeEnvironmentVariables): `envFrom`
 * sources (ConfigMaps and Secrets, with prefix), then `env` in order — each value `$(VAR)`-expanded
 * against what came before — with `valueFrom` resolved from the pod (fieldRef), the container's
 * resources (resourceFieldRef, defaulting to the node's allocatable), ConfigMap and Secret keys.
 * A missing non-optional source is a CreateContainerConfigError, worded as kubelet words it.
 */
import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../../api/quantity.js';
import { expand } from './expansion.js';

/** Reads ConfigMaps and Secrets a pod references (through the API: nodes may only GET them). */
export interface ObjectSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

/** A config error that blocks a container from starting (reason CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** C_IDENTIFIER-ish rule kubelet applies to envFrom keys (IsEnvVarName). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Resolves a downward-API field path of the pod (env and downwardAPI volumes). */
export function podFieldValue(pod: Pod, path: string): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((i) => i.ip).join(',');
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((i) => i.ip).join(',');
    default:
      return undefined;
  }
}

/** `key="value"` lines sorted by key, as the downward API writes label/annotation maps. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** Resolves a resourceFieldRef (limits fall back to the node's allocatable, as kubelet does). */
export function resourceFieldValue(container: Container | undefined, resource: string, divisor: string | undefined, allocatable: Record<string, string>): string {
  const [kind, name] = resource.split('.', 2) as [string, string];
  const own = (kind === 'limits' ? container?.resources?.limits : container?.resources?.requests)?.[name];
  const fallback = kind === 'limits' ? allocatable[name] : undefined;
  const q = Quantity.tryParse(own ?? fallback ?? '0') ?? Quantity.ZERO;
  const d = Quantity.tryParse(divisor ?? '1') ?? Quantity.fromInt(1);
  if (d.isZero()) return '0';
  if (name === 'cpu') return String(Math.ceil(q.milliValue() / d.milliValue()));
  return String(Math.ceil(q.asApproximateFloat() / d.asApproximateFloat()));
}

export interface EnvContext {
  pod: Pod;
  container: Container;
  objects: ObjectSource;
  allocatable: Record<string, string>;
  /** Variables set before the container's own (PATH, HOSTNAME, SKIFF_VOLUME_*): visible to `$(VAR)`. */
  base: Array<[string, string]>;
}

/** The container's environment, in order; later entries override earlier ones. */
export async function buildEnv(ctx: EnvContext): Promise<{ env: Array<[string, string]>; invalidKeys: string[] }> {
  const { pod, container, objects } = ctx;
  const ns = pod.metadata?.namespace ?? 'default';
  const values = new Map<string, string>(ctx.base);
  const invalidKeys: string[] = [];
  for (const src of container.envFrom ?? []) {
    const prefix = src.prefix ?? '';
    let data: Record<string, string> | undefined;
    if (src.configMapRef) {
      const cm = await objects.configMap(ns, src.configMapRef.name ?? '');
      if (!cm) {
        if (src.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${src.configMapRef.name}" not found`);
      }
      data = cm.data ?? {};
    } else if (src.secretRef) {
      const s = await objects.secret(ns, src.secretRef.name ?? '');
      if (!s) {
        if (src.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${src.secretRef.name}" not found`);
      }
      data = decodeSecret(s);
    }
    for (const [k, v] of Object.entries(data ?? {})) {
      const name = prefix + k;
      if (!ENV_NAME.test(name)) {
        invalidKeys.push(name);
        continue;
      }
      values.set(name, v);
    }
  }
  const lookup = (n: string): string | undefined => values.get(n);
  for (const e of container.env ?? []) {
    let v: string | undefined;
    if (e.valueFrom) {
      const f = e.valueFrom;
      if (f.fieldRef) v = podFieldValue(pod, f.fieldRef.fieldPath) ?? '';
      else if (f.resourceFieldRef) {
        const target = f.resourceFieldRef.containerName ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === f.resourceFieldRef!.containerName) : container;
        v = resourceFieldValue(target, f.resourceFieldRef.resource, f.resourceFieldRef.divisor as string | undefined, ctx.allocatable);
      } else if (f.configMapKeyRef) {
        const ref = f.configMapKeyRef;
        const cm = await objects.configMap(ns, ref.name ?? '');
        if (!cm) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`configmap "${ref.name}" not found`);
        }
        v = cm.data?.[ref.key] ?? (cm.binaryData?.[ref.key] !== undefined ? Buffer.from(cm.binaryData[ref.key]!, 'base64').toString('utf8') : undefined);
        if (v === undefined) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
        }
      } else if (f.secretKeyRef) {
        const ref = f.secretKeyRef;
        const s = await objects.secret(ns, ref.name ?? '');
        if (!s) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`secret "${ref.name}" not found`);
        }
        v = decodeSecret(s)[ref.key];
        if (v === undefined) {
          if (ref.optional) continue;
          throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
        }
      }
    } else {
      v = expand(e.value ?? '', lookup);
    }
    values.set(e.name, v ?? '');
  }
  return { env: [...values.entries()], invalidKeys };
}

/** Secret data decoded (stringData is folded into data by the API server). */
export function decodeSecret(s: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}
