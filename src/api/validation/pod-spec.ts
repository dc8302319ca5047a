/**
 * PodSpec validation from Kubernetes' `pkg/apis/core/validation` (v1.32): containers, init
 * containers, ports, env, volume mounts, resources, probes, volumes, tolerations, affinity, DNS and
 * scheduling fields. Messages and field paths are upstream's; enumerations list their supported
 * values as upstream does (sorted where upstream uses a set).
 */
import type { Container, PodSpec, Probe, ResourceRequirements, Toleration, Volume, EnvVar, EnvFromSource, NodeSelectorTerm, NodeSelectorRequirement, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { validateLabelName, validateLabels, validateLabelSelector } from '../labels.js';
import { Quantity } from '../quantity.js';
import { FieldPath, duplicate, forbidden, goQuote, goRaw, invalid, notSupported, required, IS_NEGATIVE_MSG, type FieldError } from './field-errors.js';
import { inclusiveRangeError, isConfigMapKey, isDNS1123Subdomain, isQualifiedName, isRelaxedEnvVarName, isValidLabelValue, isValidPortName, isValidPortNum, regexError } from './names.js';
import { validateDNS1123LabelField, validateNonnegative } from './object-meta.js';

const MAX_INT32 = 2147483647;

/** `Not found: <value>` — FieldValueNotFound (not in errors.ts' union yet, hence the cast). */
export function notFoundError(path: FieldPath, value: string): FieldError {
  return { type: 'FieldValueNotFound' as FieldError['type'], field: path.toString(), message: `Not found: ${goQuote(value)}` };
}

const SUPPORTED_RESTART_POLICIES = ['Always', 'Never', 'OnFailure'];
const SUPPORTED_DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const SUPPORTED_PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const SUPPORTED_PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SUPPORTED_TERMINATION_MESSAGE_POLICIES = ['FallbackToLogsOnError', 'File'];
const SUPPORTED_HTTP_SCHEMES = ['HTTP', 'HTTPS'];
const SUPPORTED_HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

/** restartPolicy of a pod. */
export function validateRestartPolicy(policy: string | undefined, path: FieldPath): FieldError[] {
  if (!policy) return [required(path, '')];
  return SUPPORTED_RESTART_POLICIES.includes(policy) ? [] : [notSupported(path, policy, SUPPORTED_RESTART_POLICIES)];
}

function validateDNSPolicy(policy: string | undefined, path: FieldPath): FieldError[] {
  if (!policy) return [required(path, '')];
  return SUPPORTED_DNS_POLICIES.includes(policy) ? [] : [notSupported(path, policy, SUPPORTED_DNS_POLICIES)];
}

/** ValidatePortNumOrName for an IntOrString port. */
export function validatePortNumOrName(port: number | string | undefined, path: FieldPath): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return isValidPortNum(0).map((m) => invalid(path, 0, m));
}

function validateProbeHandler(h: Probe | undefined, path: FieldPath, lifecycle: boolean): FieldError[] {
  const errs: FieldError[] = [];
  let handlers = 0;
  const one = (name: string, check: () => FieldError[]) => {
    if (handlers > 0) errs.push(forbidden(path.child(name), 'may not specify more than 1 handler type'));
    else {
      handlers++;
      errs.push(...check());
    }
  };
  const hh = (h ?? {}) as Probe & { sleep?: { seconds?: number } };
  if (hh.exec) one('exec', () => ((hh.exec?.command ?? []).length === 0 ? [required(path.child('exec', 'command'), '')] : []));
  if (hh.httpGet) {
    one('httpGet', () => {
      const g = hh.httpGet!;
      const p = path.child('httpGet');
      const out: FieldError[] = [];
      if (!g.path) out.push(required(p.child('path'), ''));
      out.push(...validatePortNumOrName(g.port, p.child('port')));
      if (g.scheme && !SUPPORTED_HTTP_SCHEMES.includes(g.scheme)) out.push(notSupported(p.child('scheme'), g.scheme, SUPPORTED_HTTP_SCHEMES));
      (g.httpHeaders ?? []).forEach((hdr, i) => {
        if (!/^[-A-Za-z0-9]+$/.test(hdr.name)) {
          out.push(invalid(p.child('httpHeaders').index(i).child('name'), hdr.name, regexError("a valid HTTP header must consist of alphanumeric characters or '-'", '[-A-Za-z0-9]+', 'X-Header-Name')));
        }
      });
      return out;
    });
  }
  if (hh.tcpSocket) one('tcpSocket', () => validatePortNumOrName(hh.tcpSocket?.port, path.child('tcpSocket', 'port')));
  if (hh.grpc && !lifecycle) one('grpc', () => isValidPortNum(hh.grpc?.port ?? 0).map((m) => invalid(path.child('grpc', 'port'), hh.grpc?.port ?? 0, m)));
  if (lifecycle && hh.sleep) one('sleep', () => (hh.sleep?.seconds ?? 0) < 0 ? [invalid(path.child('sleep', 'seconds'), hh.sleep?.seconds ?? 0, IS_NEGATIVE_MSG)] : []);
  if (handlers === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: Probe | undefined, path: FieldPath): FieldError[] {
  if (!probe) return [];
  const errs = validateProbeHandler(probe, path, false);
  errs.push(...validateNonnegative(probe.initialDelaySeconds, path.child('initialDelaySeconds')));
  errs.push(...validateNonnegative(probe.timeoutSeconds, path.child('timeoutSeconds')));
  errs.push(...validateNonnegative(probe.periodSeconds, path.child('periodSeconds')));
  errs.push(...validateNonnegative(probe.successThreshold, path.child('successThreshold')));
  errs.push(...validateNonnegative(probe.failureThreshold, path.child('failureThreshold')));
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(path.child('terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return errs;
}

const isNativeResource = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');
const isHugePages = (name: string) => name.startsWith('hugepages-');
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers']);
/** Overcommit is allowed for native resources except hugepages; extended resources need request = limit. */
const overcommitAllowed = (name: string) => isNativeResource(name) && !isHugePages(name);
const isIntegerResource = (name: string) => !isNativeResource(name) || ['pods', 'services', 'secrets', 'configmaps', 'persistentvolumeclaims'].includes(name);

/** %#v of a resource.Quantity value, as Kubernetes prints one that is not an integer. */
function goQuantity(raw: string): ReturnType<typeof goRaw> {
  const q = Quantity.tryParse(raw);
  let value = q?.nanos ?? 0n;
  let scale = -9;
  while (value !== 0n && value % 10n === 0n) {
    value /= 10n;
    scale++;
  }
  return goRaw(`resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${goQuote(raw)}, Format:"DecimalSI"}`);
}

/** ValidateResourceQuantityValue: non-negative, integral for integer resources. */
export function validateResourceQuantity(name: string, raw: string | number, path: FieldPath): FieldError[] {
  const q = Quantity.tryParse(raw);
  if (!q) return [invalid(path, String(raw), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")];
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(path, q.toString(), IS_NEGATIVE_MSG));
  if (isIntegerResource(name) && q.milliValue() % 1000 !== 0) errs.push(invalid(path, goQuantity(String(raw)), 'must be an integer'));
  return errs;
}

function validateContainerResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes('/')) {
    if (!STANDARD_RESOURCES.has(name) && !isHugePages(name)) return [invalid(path, name, 'must be a standard resource type or fully qualified')];
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) return [invalid(path, name, 'must be a standard resource for containers')];
  } else if (!isNativeResource(name) && name.startsWith('requests.')) {
    return [invalid(path, name, "doesn't follow extended resource name standard")];
  }
  return [];
}

/** ValidateResourceRequirements for a container. */
export function validateResourceRequirements(r: ResourceRequirements | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = (r?.limits ?? {}) as Record<string, string | number>;
  const requests = (r?.requests ?? {}) as Record<string, string | number>;
  for (const name of Object.keys(limits).sort()) {
    errs.push(...validateContainerResourceName(name, limPath.key(name)));
    errs.push(...validateResourceQuantity(name, limits[name] ?? '', limPath.key(name)));
  }
  for (const name of Object.keys(requests).sort()) {
    errs.push(...validateContainerResourceName(name, reqPath.key(name)));
    errs.push(...validateResourceQuantity(name, requests[name] ?? '', reqPath.key(name)));
    const req = Quantity.tryParse(requests[name]);
    const lim = name in limits ? Quantity.tryParse(limits[name]) : undefined;
    if (name in limits) {
      if (req && lim) {
        if (req.cmp(lim) !== 0 && !overcommitAllowed(name)) {
          errs.push(invalid(reqPath, req.toString(), `must be equal to ${name} limit of ${lim.toString()}`));
        } else if (req.cmp(lim) > 0) {
          errs.push(invalid(reqPath, req.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
        }
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

function validateKeySelector(kind: 'configMap' | 'secret', sel: { name?: string; key: string }, path: FieldPath): FieldError[] {
  const errs = isDNS1123Subdomain(sel.name ?? '').map((m) => invalid(path.child('name'), sel.name ?? '', m));
  if (!sel.key) errs.push(required(path.child('key'), ''));
  else errs.push(...isConfigMapKey(sel.key).map((m) => invalid(path.child('key'), sel.key, m)));
  void kind;
  return errs;
}

/** validateObjectFieldSelector for env (`expressions` = the supported fieldPaths). */
function validateFieldRef(ref: { apiVersion?: string; fieldPath: string }, expressions: string[], path: FieldPath): FieldError[] {
  if (!ref.apiVersion) return [required(path.child('apiVersion'), '')];
  if (!ref.fieldPath) return [required(path.child('fieldPath'), '')];
  if (ref.apiVersion !== 'v1') return [invalid(path.child('fieldPath'), ref.fieldPath, `error converting fieldPath: unsupported pod version: ${ref.apiVersion}`)];
  const m = /^(metadata\.(?:annotations|labels))\['(.*)'\]$/.exec(ref.fieldPath) ?? /^([^[]+)\[(.*)\]$/.exec(ref.fieldPath);
  if (m) {
    const [, p = '', sub = ''] = m;
    if (p === 'metadata.annotations') return isQualifiedName(sub.toLowerCase()).map((msg) => invalid(path, sub.toLowerCase(), msg));
    if (p === 'metadata.labels') return isQualifiedName(sub).map((msg) => invalid(path, sub, msg));
    return [invalid(path, p, 'does not support subscript')];
  }
  if (!expressions.includes(ref.fieldPath)) return [notSupported(path.child('fieldPath'), ref.fieldPath, expressions)];
  return [];
}

function validateResourceFieldRef(ref: { containerName?: string; resource: string }, path: FieldPath, volume: boolean): FieldError[] {
  if (volume && !ref.containerName) return [required(path.child('containerName'), '')];
  if (!ref.resource) return [required(path.child('resource'), '')];
  if (!RESOURCE_FIELD_PATHS.includes(ref.resource) && !/^(limits|requests)\.hugepages-/.test(ref.resource)) {
    return [notSupported(path.child('resource'), ref.resource, RESOURCE_FIELD_PATHS)];
  }
  return [];
}

/** ValidateEnv (relaxed names: RelaxedEnvironmentVariableValidation is on in v1.32). */
export function validateEnv(vars: EnvVar[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (vars ?? []).forEach((ev, i) => {
    const p = path.index(i);
    if (!ev.name) errs.push(required(p.child('name'), ''));
    for (const m of isRelaxedEnvVarName(ev.name ?? '')) errs.push(invalid(p.child('name'), ev.name ?? '', m));
    const vf = ev.valueFrom;
    if (!vf) return;
    const vp = p.child('valueFrom');
    let sources = 0;
    if (vf.fieldRef) {
      sources++;
      errs.push(...validateFieldRef(vf.fieldRef, ENV_FIELD_PATHS, vp.child('fieldRef')));
    }
    if (vf.resourceFieldRef) {
      sources++;
      errs.push(...validateResourceFieldRef(vf.resourceFieldRef, vp.child('resourceFieldRef'), false));
    }
    if (vf.configMapKeyRef) {
      sources++;
      errs.push(...validateKeySelector('configMap', vf.configMapKeyRef, vp.child('configMapKeyRef')));
    }
    if (vf.secretKeyRef) {
      sources++;
      errs.push(...validateKeySelector('secret', vf.secretKeyRef, vp.child('secretKeyRef')));
    }
    if (sources === 0) errs.push(invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (ev.value) errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(list: EnvFromSource[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (list ?? []).forEach((ev, i) => {
    const p = path.index(i);
    if (ev.prefix) for (const m of isRelaxedEnvVarName(ev.prefix)) errs.push(invalid(p.child('prefix'), ev.prefix, m));
    let sources = 0;
    if (ev.configMapRef) {
      sources++;
      for (const m of isDNS1123Subdomain(ev.configMapRef.name ?? '')) errs.push(invalid(p.child('configMapRef', 'name'), ev.configMapRef.name ?? '', m));
    }
    if (ev.secretRef) {
      sources++;
      for (const m of isDNS1123Subdomain(ev.secretRef.name ?? '')) errs.push(invalid(p.child('secretRef', 'name'), ev.secretRef.name ?? '', m));
    }
    if (sources === 0) errs.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(invalid(p, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validatePathNoBacksteps(target: string, path: FieldPath): FieldError[] {
  return target.split('/').includes('..') ? [invalid(path, target, "must not contain '..'")] : [];
}

function validateLocalDescendingPath(target: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(path, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: FieldPath): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(invalid(path, target, "must not start with '..'"));
  return errs;
}

function validateKeyToPaths(items: Array<{ key: string; path: string; mode?: number }> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (items ?? []).forEach((kp, i) => {
    const p = path.index(i);
    if (!kp.key) errs.push(required(p.child('key'), ''));
    if (!kp.path) errs.push(required(p.child('path'), ''));
    errs.push(...validateLocalNonReservedPath(kp.path ?? '', p.child('path')));
    if (kp.mode !== undefined && (kp.mode > 0o777 || kp.mode < 0)) errs.push(invalid(p.child('mode'), kp.mode, FILE_MODE_ERROR));
  });
  return errs;
}

function validateDefaultMode(mode: number | undefined, path: FieldPath): FieldError[] {
  return mode !== undefined && (mode > 0o777 || mode < 0) ? [invalid(path, mode, FILE_MODE_ERROR)] : [];
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs', 'persistentVolumeClaim',
  'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk',
  'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
] as const;

function validateVolumeSource(vol: Volume, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const src = vol as unknown as Record<string, Record<string, unknown> | undefined>;
  let count = 0;
  for (const kind of VOLUME_SOURCES) {
    const s = src[kind];
    if (s === undefined || s === null) continue;
    const p = path.child(kind);
    if (count > 0) {
      errs.push(forbidden(p, 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    switch (kind) {
      case 'hostPath': {
        const hp = vol.hostPath!;
        if (!hp.path) errs.push(required(p.child('path'), ''));
        errs.push(...validatePathNoBacksteps(hp.path ?? '', p.child('path')));
        if (hp.type !== undefined && !SUPPORTED_HOST_PATH_TYPES.includes(hp.type)) errs.push(notSupported(p.child('type'), hp.type, SUPPORTED_HOST_PATH_TYPES));
        break;
      }
      case 'emptyDir': {
        const size = vol.emptyDir?.sizeLimit;
        if (size !== undefined && (Quantity.tryParse(size)?.sign() ?? -1) < 0) errs.push(forbidden(p.child('sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
        break;
      }
      case 'secret':
        if (!vol.secret?.secretName) errs.push(required(p.child('secretName'), ''));
        errs.push(...validateDefaultMode(vol.secret?.defaultMode, p.child('defaultMode')));
        errs.push(...validateKeyToPaths(vol.secret?.items, p.child('items')));
        break;
      case 'configMap':
        if (!vol.configMap?.name) errs.push(required(p.child('name'), ''));
        errs.push(...validateDefaultMode(vol.configMap?.defaultMode, p.child('defaultMode')));
        errs.push(...validateKeyToPaths(vol.configMap?.items, p.child('items')));
        break;
      case 'persistentVolumeClaim':
        if (!vol.persistentVolumeClaim?.claimName) errs.push(required(p.child('claimName'), ''));
        break;
      case 'downwardAPI':
        errs.push(...validateDefaultMode(vol.downwardAPI?.defaultMode, p.child('defaultMode')));
        (vol.downwardAPI?.items ?? []).forEach((item, i) => {
          const ip = p.child('items').index(i);
          if (!item.path) errs.push(required(ip.child('path'), ''));
          errs.push(...validateLocalNonReservedPath(item.path ?? '', ip.child('path')));
          if (item.mode !== undefined && (item.mode > 0o777 || item.mode < 0)) errs.push(invalid(ip.child('mode'), item.mode, FILE_MODE_ERROR));
          if (item.fieldRef) {
            errs.push(...validateFieldRef(item.fieldRef, VOLUME_FIELD_PATHS, ip.child('fieldRef')));
            if (item.resourceFieldRef) errs.push(invalid(ip, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
          } else if (item.resourceFieldRef) {
            errs.push(...validateResourceFieldRef(item.resourceFieldRef, ip.child('resourceFieldRef'), true));
          } else errs.push(required(ip, 'one of fieldRef and resourceFieldRef is required'));
        });
        break;
      case 'projected':
        errs.push(...validateDefaultMode(vol.projected?.defaultMode, p.child('defaultMode')));
        (vol.projected?.sources ?? []).forEach((s2, i) => {
          const sp = p.child('sources').index(i);
          if (s2.secret) errs.push(...validateKeyToPaths(s2.secret.items, sp.child('secret', 'items')));
          if (s2.configMap) errs.push(...validateKeyToPaths(s2.configMap.items, sp.child('configMap', 'items')));
          if (s2.serviceAccountToken) {
            const t = s2.serviceAccountToken;
            if (!t.path) errs.push(required(sp.child('serviceAccountToken', 'path'), ''));
            if (t.expirationSeconds !== undefined && t.expirationSeconds < 600) {
              errs.push(invalid(sp.child('serviceAccountToken', 'expirationSeconds'), t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
            }
          }
        });
        break;
      case 'nfs':
        if (!vol.nfs?.server) errs.push(required(p.child('server'), ''));
        if (!vol.nfs?.path) errs.push(required(p.child('path'), ''));
        else if (!vol.nfs.path.startsWith('/')) errs.push(invalid(p.child('path'), vol.nfs.path, 'must be an absolute path'));
        break;
      default:
        break;
    }
  }
  if (count === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

/** ValidateVolumes; returns the valid volume names for mount checks. */
export function validateVolumes(volumes: Volume[] | undefined, path: FieldPath): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const errs: FieldError[] = [];
  (volumes ?? []).forEach((vol, i) => {
    const p = path.index(i);
    const sourceErrs = validateVolumeSource(vol, p);
    if (!vol.name) errs.push(required(p.child('name'), ''));
    else errs.push(...validateDNS1123LabelField(vol.name, p.child('name')));
    if (names.has(vol.name)) errs.push(duplicate(p.child('name'), vol.name));
    if (sourceErrs.length === 0) names.add(vol.name);
    else errs.push(...sourceErrs);
  });
  return { names, errs };
}

function validateVolumeMounts(c: Container, volumes: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mountpoints = new Set<string>();
  (c.volumeMounts ?? []).forEach((mnt, i) => {
    const p = path.index(i);
    if (!mnt.name) errs.push(required(p.child('name'), ''));
    if (!volumes.has(mnt.name)) errs.push(notFoundError(p.child('name'), mnt.name ?? ''));
    if (!mnt.mountPath) errs.push(required(p.child('mountPath'), ''));
    if (mountpoints.has(mnt.mountPath)) errs.push(invalid(p.child('mountPath'), mnt.mountPath, 'must be unique'));
    mountpoints.add(mnt.mountPath);
    if (mnt.subPath) errs.push(...validateLocalDescendingPath(mnt.subPath, path.child('subPath')));
    if (mnt.subPath && mnt.subPathExpr) errs.push(invalid(p.child('subPathExpr'), mnt.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
    const prop = mnt.mountPropagation;
    if (prop !== undefined && !['Bidirectional', 'HostToContainer', 'None'].includes(prop)) {
      errs.push(notSupported(p.child('mountPropagation'), prop, ['Bidirectional', 'HostToContainer', 'None']));
    }
  });
  return errs;
}

function validatePorts(c: Container, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = path.index(i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(p.child('name'), port.name, m));
      else if (names.has(port.name)) errs.push(duplicate(p.child('name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(p.child('containerPort'), ''));
    else for (const m of isValidPortNum(port.containerPort)) errs.push(invalid(p.child('containerPort'), port.containerPort, m));
    if (port.hostPort) for (const m of isValidPortNum(port.hostPort)) errs.push(invalid(p.child('hostPort'), port.hostPort, m));
    if (!port.protocol) errs.push(required(p.child('protocol'), ''));
    else if (!SUPPORTED_PORT_PROTOCOLS.includes(port.protocol)) errs.push(notSupported(p.child('protocol'), port.protocol, SUPPORTED_PORT_PROTOCOLS));
  });
  return errs;
}

/** Checks shared by containers and init containers (validateContainerCommon). */
function validateContainerCommon(c: Container, volumes: Set<string>, path: FieldPath, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(path.child('name'), ''));
  else errs.push(...validateDNS1123LabelField(c.name, path.child('name')));
  if (c.name && names.has(c.name)) errs.push(duplicate(path.child('name'), c.name));
  else names.add(c.name);
  // Kubernetes requires an image even in templates (a pod cannot be started without one).
  if (!c.image) errs.push(required(path.child('image'), ''));
  const policy = c.terminationMessagePolicy;
  if (!policy) errs.push(required(path.child('terminationMessagePolicy'), ''));
  else if (!SUPPORTED_TERMINATION_MESSAGE_POLICIES.includes(policy)) errs.push(notSupported(path.child('terminationMessagePolicy'), policy, SUPPORTED_TERMINATION_MESSAGE_POLICIES));
  if (c.workingDir && c.workingDir.length > 4096) errs.push(invalid(path.child('workingDir'), c.workingDir, 'must be no more than 4096 characters'));
  errs.push(...validatePorts(c, path.child('ports')));
  errs.push(...validateEnv(c.env, path.child('env')));
  errs.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  errs.push(...validateVolumeMounts(c, volumes, path.child('volumeMounts')));
  const pull = c.imagePullPolicy;
  if (!pull) errs.push(required(path.child('imagePullPolicy'), ''));
  else if (!SUPPORTED_PULL_POLICIES.includes(pull)) errs.push(notSupported(path.child('imagePullPolicy'), pull, SUPPORTED_PULL_POLICIES));
  errs.push(...validateResourceRequirements(c.resources, path.child('resources')));
  return errs;
}

function validateLifecycle(c: Container, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (c.lifecycle?.postStart) errs.push(...validateProbeHandler(c.lifecycle.postStart as Probe, path.child('lifecycle', 'postStart'), true));
  if (c.lifecycle?.preStop) errs.push(...validateProbeHandler(c.lifecycle.preStop as Probe, path.child('lifecycle', 'preStop'), true));
  return errs;
}

function validateContainers(containers: Container[] | undefined, volumes: Set<string>, path: FieldPath, names: Set<string>): FieldError[] {
  const list = containers ?? [];
  if (list.length === 0) return [required(path, '')];
  const errs: FieldError[] = [];
  list.forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, volumes, p, names));
    errs.push(...validateLifecycle(c, p));
    errs.push(...validateProbe(c.livenessProbe, p.child('livenessProbe')));
    errs.push(...validateProbe(c.readinessProbe, p.child('readinessProbe')));
    errs.push(...validateProbe(c.startupProbe, p.child('startupProbe')));
    if (c.livenessProbe && c.livenessProbe.successThreshold !== 1) errs.push(invalid(p.child('livenessProbe', 'successThreshold'), c.livenessProbe.successThreshold ?? 0, 'must be 1'));
    if (c.startupProbe && c.startupProbe.successThreshold !== 1) errs.push(invalid(p.child('startupProbe', 'successThreshold'), c.startupProbe.successThreshold ?? 0, 'must be 1'));
    if (c.readinessProbe?.terminationGracePeriodSeconds !== undefined) {
      errs.push(invalid(p.child('readinessProbe', 'terminationGracePeriodSeconds'), c.readinessProbe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    }
    if (c.restartPolicy !== undefined) errs.push(forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
  });
  return errs;
}

function validateInitContainers(containers: Container[] | undefined, volumes: Set<string>, path: FieldPath, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  (containers ?? []).forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, volumes, p, names));
    const sidecar = c.restartPolicy === 'Always';
    if (c.restartPolicy !== undefined && !sidecar) errs.push(notSupported(p.child('restartPolicy'), c.restartPolicy, ['Always']));
    if (sidecar) {
      errs.push(...validateLifecycle(c, p));
      errs.push(...validateProbe(c.livenessProbe, p.child('livenessProbe')));
      errs.push(...validateProbe(c.readinessProbe, p.child('readinessProbe')));
      errs.push(...validateProbe(c.startupProbe, p.child('startupProbe')));
    } else {
      if (c.lifecycle) errs.push(forbidden(p.child('lifecycle'), 'may not be set for init containers without restartPolicy=Always'));
      if (c.livenessProbe) errs.push(forbidden(p.child('livenessProbe'), 'may not be set for init containers without restartPolicy=Always'));
      if (c.readinessProbe) errs.push(forbidden(p.child('readinessProbe'), 'may not be set for init containers without restartPolicy=Always'));
      if (c.startupProbe) errs.push(forbidden(p.child('startupProbe'), 'may not be set for init containers without restartPolicy=Always'));
    }
  });
  return errs;
}

/** `%#v` of a core.Toleration, as upstream prints it for an Exists toleration with a value. */
function goToleration(t: Toleration): ReturnType<typeof goRaw> {
  const secs = t.tolerationSeconds === undefined ? '(*int64)(nil)' : `(*int64)(${t.tolerationSeconds})`;
  return goRaw(`core.Toleration{Key:${goQuote(t.key ?? '')}, Operator:${goQuote(t.operator ?? '')}, Value:${goQuote(t.value ?? '')}, Effect:${goQuote(t.effect ?? '')}, TolerationSeconds:${secs}}`);
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** validateTaintEffect */
export function validateTaintEffect(effect: string | undefined, allowEmpty: boolean, path: FieldPath): FieldError[] {
  if (!allowEmpty && !effect) return [required(path, '')];
  return TAINT_EFFECTS.includes(effect ?? '') ? [] : [notSupported(path, effect ?? '', TAINT_EFFECTS)];
}

/** ValidateTolerations */
export function validateTolerations(tolerations: Toleration[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = path.index(i);
    if (t.key) errs.push(...validateLabelName(t.key, p.child('key')));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalid(p.child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(invalid(p.child('effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length) errs.push(invalid(p.child('operator'), t.value ?? '', msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value) errs.push(invalid(p.child('operator'), goToleration(t), "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(p.child('operator'), t.operator ?? '', ['Equal', 'Exists']));
    }
    if (t.effect) errs.push(...validateTaintEffect(t.effect, true, p.child('effect')));
  });
  return errs;
}

function validateNodeSelectorRequirement(r: NodeSelectorRequirement, path: FieldPath, field: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(path.child('values'), 'must be specified when `operator` is \'In\' or \'NotIn\''));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(path.child('operator'), r.operator, 'not a valid selector operator'));
  }
  if (field) {
    if (r.key !== 'metadata.name') errs.push(notSupported(path.child('key'), r.key, ['metadata.name']));
  } else errs.push(...validateLabelName(r.key, path.child('key')));
  return errs;
}

function validateNodeSelectorTerm(t: NodeSelectorTerm, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (t.matchExpressions ?? []).forEach((r, i) => errs.push(...validateNodeSelectorRequirement(r, path.child('matchExpressions').index(i), false)));
  (t.matchFields ?? []).forEach((r, i) => {
    const p = path.child('matchFields').index(i);
    errs.push(...validateNodeSelectorRequirement(r, p, true));
    if ((r.operator === 'In' || r.operator === 'NotIn') && (r.values ?? []).length !== 1) {
      errs.push(required(p.child('values'), 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
    }
  });
  return errs;
}

function validatePodAffinityTerm(t: PodAffinityTerm, path: FieldPath): FieldError[] {
  const errs = validateLabelSelector(t.labelSelector as LabelSelector | undefined, path.child('labelSelector'));
  errs.push(...validateLabelSelector(t.namespaceSelector as LabelSelector | undefined, path.child('namespaceSelector')));
  (t.namespaces ?? []).forEach((ns) => {
    for (const m of validateDNS1123LabelField(ns, path.child('namespace'))) errs.push(m);
  });
  if (!t.topologyKey) errs.push(required(path.child('topologyKey'), 'can not be empty'));
  else errs.push(...validateLabelName(t.topologyKey, path.child('topologyKey')));
  return errs;
}

/** validateAffinity: node affinity terms, pod (anti-)affinity terms and weights. */
export function validateAffinity(affinity: PodSpec['affinity'], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!affinity) return errs;
  const na = affinity.nodeAffinity;
  if (na) {
    const np = path.child('nodeAffinity');
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      const rp = np.child('requiredDuringSchedulingIgnoredDuringExecution');
      if ((req.nodeSelectorTerms ?? []).length === 0) errs.push(required(rp.child('nodeSelectorTerms'), 'must have at least one node selector term'));
      req.nodeSelectorTerms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, rp.child('nodeSelectorTerms').index(i))));
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = np.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      if (t.weight <= 0 || t.weight > 100) errs.push(invalid(p.child('weight'), t.weight, 'must be in the range 1-100'));
      errs.push(...validateNodeSelectorTerm(t.preference, p.child('preference')));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = affinity[kind];
    if (!pa) continue;
    const pp = path.child(kind);
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => errs.push(...validatePodAffinityTerm(t, pp.child('requiredDuringSchedulingIgnoredDuringExecution').index(i))));
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = pp.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      if (t.weight <= 0 || t.weight > 100) errs.push(invalid(p.child('weight'), t.weight, 'must be in the range 1-100'));
      errs.push(...validatePodAffinityTerm(t.podAffinityTerm, p.child('podAffinityTerm')));
    });
  }
  return errs;
}

/** ValidatePodSpec */
export function validatePodSpec(spec: PodSpec | undefined, path: FieldPath): FieldError[] {
  const s = spec ?? ({ containers: [] } as PodSpec);
  const errs: FieldError[] = [];
  const { names: volumes, errs: volErrs } = validateVolumes(s.volumes, path.child('volumes'));
  errs.push(...volErrs);
  const containerNames = new Set<string>();
  errs.push(...validateContainers(s.containers, volumes, path.child('containers'), containerNames));
  errs.push(...validateInitContainers(s.initContainers, volumes, path.child('initContainers'), containerNames));
  if (s.hostNetwork) {
    for (const [list, field] of [[s.containers, 'containers'], [s.initContainers, 'initContainers']] as const) {
      (list ?? []).forEach((c, i) =>
        (c.ports ?? []).forEach((port, j) => {
          // Pods get hostPort defaulted to containerPort; templates may leave it 0.
          if (port.hostPort && port.hostPort !== port.containerPort) {
            errs.push(invalid(path.child(field).index(i).child('ports').index(j).child('containerPort'), port.containerPort, 'must match `hostPort` when `hostNetwork` is true'));
          }
        }),
      );
    }
  }
  errs.push(...validateRestartPolicy(s.restartPolicy, path.child('restartPolicy')));
  errs.push(...validateDNSPolicy(s.dnsPolicy, path.child('dnsPolicy')));
  errs.push(...validateLabels(s.nodeSelector, path.child('nodeSelector')));
  (s.imagePullSecrets ?? []).forEach((ref, i) => {
    if (!ref.name) errs.push(required(path.child('imagePullSecrets').index(i).child('name'), ''));
  });
  errs.push(...validateAffinity(s.affinity, path.child('affinity')));
  if (s.dnsPolicy === 'None' && !s.dnsConfig) errs.push(required(path.child('dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  if (s.serviceAccountName) for (const m of isDNS1123Subdomain(s.serviceAccountName)) errs.push(invalid(path.child('serviceAccountName'), s.serviceAccountName, m));
  if (s.nodeName) for (const m of isDNS1123Subdomain(s.nodeName)) errs.push(invalid(path.child('nodeName'), s.nodeName, m));
  if (s.activeDeadlineSeconds !== undefined && (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > MAX_INT32)) {
    errs.push(invalid(path.child('activeDeadlineSeconds'), s.activeDeadlineSeconds, inclusiveRangeError(1, MAX_INT32)));
  }
  if (s.hostname) errs.push(...validateDNS1123LabelField(s.hostname, path.child('hostname')));
  if (s.subdomain) errs.push(...validateDNS1123LabelField(s.subdomain, path.child('subdomain')));
  errs.push(...validateTolerations(s.tolerations, path.child('tolerations')));
  if (s.priorityClassName) for (const m of isDNS1123Subdomain(s.priorityClassName)) errs.push(invalid(path.child('priorityClassName'), s.priorityClassName, m));
  if (s.preemptionPolicy !== undefined && !['Never', 'PreemptLowerPriority'].includes(s.preemptionPolicy)) {
    errs.push(notSupported(path.child('preemptionPolicy'), s.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  }
  (s.schedulingGates ?? []).forEach((g, i) => errs.push(...isQualifiedName(g.name).map((m) => invalid(path.child('schedulingGates').index(i).child('name'), g.name, m))));
  (s.topologySpreadConstraints ?? []).forEach((c, i) => {
    const p = path.child('topologySpreadConstraints').index(i);
    if (c.maxSkew <= 0) errs.push(invalid(p.child('maxSkew'), c.maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(p.child('topologyKey'), 'can not be empty'));
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(c.whenUnsatisfiable)) errs.push(notSupported(p.child('whenUnsatisfiable'), c.whenUnsatisfiable, ['DoNotSchedule', 'ScheduleAnyway']));
  });
  return errs;
}
