/**
 * Validation of the other core/v1 kinds and the small API groups (Kubernetes
 * `pkg/apis/core/validation` and friends, v1.32): Service, Node, Namespace, ConfigMap, Secret,
 * ServiceAccount, Event (core and events.k8s.io), PersistentVolumeClaim, PersistentVolume,
 * Endpoints, EndpointSlice and Lease.
 */
import type { ConfigMap, Endpoints, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Secret, Service, ServiceAccount, ServicePort, Taint } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { KubeObject } from '../object.js';
import { validateLabelName, validateLabelSelector, validateLabels } from '../labels.js';
import { Quantity } from '../quantity.js';
import { FieldPath, duplicate, forbidden, goQuote, goRaw, goStringSlice, invalid, notSupported, required, tooLong, tooMany, type FieldError } from './field-errors.js';
import { isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isIPv4, isIPv6, isQualifiedName, isValidIP, isValidLabelValue, isValidPortNum } from './names.js';
import {
  immutableField,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  validateDNS1123LabelField,
  validateFinalizers,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './object-meta.js';
import { validatePortNumOrName, validateResourceQuantity, validateTaintEffect } from './pod-spec.js';
import { semanticEqual } from './equality.js';

const spec = FieldPath.root('spec');
const SUPPORTED_PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
/** core.MaxSecretSize: 1 MiB of data per ConfigMap or Secret. */
export const MAX_SECRET_SIZE = 1024 * 1024;

// ---- Service ----

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
/** core.MaxClientIPServiceAffinitySeconds */
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

function goServicePortKey(p: ServicePort): ReturnType<typeof goRaw> {
  return goRaw(`core.ServicePort{Name:"", Protocol:${goQuote(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`);
}

function validateServiceSpec(svc: Service): FieldError[] {
  const s = svc.spec ?? {};
  const errs: FieldError[] = [];
  const headless = s.clusterIP === 'None';
  const ports = s.ports ?? [];
  if (ports.length === 0 && !headless && s.type !== 'ExternalName') errs.push(required(spec.child('ports'), ''));
  if (s.type === 'ExternalName') {
    if (s.clusterIP) errs.push(forbidden(spec.child('clusterIP'), 'may not be set for ExternalName services'));
    const ext = (s.externalName ?? '').replace(/\.$/, '');
    if (!s.externalName) errs.push(required(spec.child('externalName'), ''));
    else for (const m of isDNS1123Subdomain(ext)) errs.push(invalid(spec.child('externalName'), s.externalName, m));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = spec.child('ports').index(i);
    if (ports.length > 1 && !p.name) errs.push(required(pp.child('name'), ''));
    else if (p.name) {
      errs.push(...validateDNS1123LabelField(p.name, pp.child('name')));
      if (names.has(p.name)) errs.push(duplicate(pp.child('name'), p.name));
      else names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push(invalid(pp.child('port'), p.port, m));
    if (!p.protocol) errs.push(required(pp.child('protocol'), ''));
    else if (!SUPPORTED_PORT_PROTOCOLS.includes(p.protocol)) errs.push(notSupported(pp.child('protocol'), p.protocol, SUPPORTED_PORT_PROTOCOLS));
    errs.push(...validatePortNumOrName(p.targetPort, pp.child('targetPort')));
  });
  errs.push(...validateLabels(s.selector, spec.child('selector')));
  if (!s.sessionAffinity) errs.push(required(spec.child('sessionAffinity'), ''));
  else if (!SESSION_AFFINITIES.includes(s.sessionAffinity)) errs.push(notSupported(spec.child('sessionAffinity'), s.sessionAffinity, SESSION_AFFINITIES));
  if (s.sessionAffinity === 'ClientIP') {
    const t = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t === undefined) errs.push(required(spec.child('sessionAffinityConfig', 'clientIP', 'timeoutSeconds'), ''));
    else if (t <= 0 || t > MAX_CLIENT_IP_AFFINITY_SECONDS) {
      errs.push(invalid(spec.child('sessionAffinityConfig', 'clientIP', 'timeoutSeconds'), t, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`));
    }
  } else if (s.sessionAffinity === 'None' && s.sessionAffinityConfig) {
    errs.push(forbidden(spec.child('sessionAffinityConfig'), 'must not be set when session affinity is None'));
  }
  if (!s.type) errs.push(required(spec.child('type'), ''));
  else if (!SERVICE_TYPES.includes(s.type)) errs.push(notSupported(spec.child('type'), s.type, SERVICE_TYPES));
  // clusterIP / clusterIPs
  const ips = s.clusterIPs ?? [];
  if (ips.length > 0 && s.clusterIP !== ips[0]) errs.push(invalid(spec.child('clusterIPs').index(0), ips[0] ?? '', 'first value must match `clusterIP`'));
  const all = s.clusterIP && ips.length === 0 ? [s.clusterIP] : ips;
  all.forEach((ip, i) => {
    if (i === 0 && ip === 'None') return;
    if (ip === 'None') errs.push(invalid(spec.child('clusterIPs').index(i), ip, "'None' must be the first and only value"));
    else if (ip) for (const m of isValidIP(ip)) errs.push(invalid(spec.child('clusterIPs').index(i), ip, m));
  });
  if (s.type !== 'NodePort' && s.type !== 'LoadBalancer') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(forbidden(spec.child('ports').index(i).child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<number>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const pp = spec.child('ports').index(i);
    if (p.nodePort) {
      const k = `${p.protocol}/${p.nodePort}`;
      if (nodePorts.has(p.nodePort) && keys.has(k)) errs.push(duplicate(pp.child('nodePort'), p.nodePort));
      nodePorts.add(p.nodePort);
      keys.add(k);
    }
  });
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${p.protocol}/${p.port}`;
    if (seen.has(k)) errs.push(duplicate(spec.child('ports').index(i), goServicePortKey(p)));
    seen.add(k);
  });
  const external = s.type === 'NodePort' || s.type === 'LoadBalancer';
  if (external) {
    if (!s.externalTrafficPolicy) errs.push(required(spec.child('externalTrafficPolicy'), ''));
    else if (!['Cluster', 'Local'].includes(s.externalTrafficPolicy)) errs.push(notSupported(spec.child('externalTrafficPolicy'), s.externalTrafficPolicy, ['Cluster', 'Local']));
  } else if (s.externalTrafficPolicy) {
    errs.push(invalid(spec.child('externalTrafficPolicy'), s.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  }
  if (s.type !== 'ExternalName') {
    if (!s.internalTrafficPolicy) errs.push(required(spec.child('internalTrafficPolicy'), ''));
    else if (!['Cluster', 'Local'].includes(s.internalTrafficPolicy)) errs.push(notSupported(spec.child('internalTrafficPolicy'), s.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (s.ipFamilyPolicy !== undefined && !['PreferDualStack', 'RequireDualStack', 'SingleStack'].includes(s.ipFamilyPolicy)) {
    errs.push(notSupported(spec.child('ipFamilyPolicy'), s.ipFamilyPolicy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  (s.ipFamilies ?? []).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(notSupported(spec.child('ipFamilies').index(i), f, ['IPv4', 'IPv6']));
  });
  (s.externalIPs ?? []).forEach((ip, i) => {
    for (const m of isValidIP(ip)) errs.push(invalid(spec.child('externalIPs').index(i), ip, m));
  });
  return errs;
}

export function validateService(svc: Service): FieldError[] {
  return [...validateObjectMeta(svc.metadata, { namespaced: true, nameValidator: nameIsDNS1035Label }), ...validateServiceSpec(svc)];
}

/**
 * validateUpgradeDowngradeClusterIPs: allocated cluster IPs never change (unless the Service is or
 * becomes ExternalName, or stays headless); the bad value printed is the whole new clusterIPs list.
 */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = [...validateObjectMetaUpdate(svc.metadata), ...validateServiceSpec(svc)];
  const s = svc.spec ?? {};
  const o = old.spec ?? {};
  if (s.type === 'ExternalName' || o.type === 'ExternalName') return errs;
  if (s.clusterIP === 'None' && o.clusterIP === 'None') return errs;
  const n = s.clusterIPs ?? [];
  const p = o.clusterIPs ?? [];
  const bad = goStringSlice(s.clusterIPs ?? null);
  const at = (i: number) => spec.child('clusterIPs').index(i);
  if (p.length === n.length) {
    p.forEach((ip, i) => {
      if (ip !== n[i]) errs.push(invalid(at(i), bad, 'may not change once set'));
    });
  } else if (p.length > n.length) {
    if (n.length === 0) errs.push(invalid(at(0), bad, 'primary clusterIP can not be unset'));
    else if (n[0] !== p[0]) errs.push(invalid(at(0), bad, 'may not change once set'));
    if (n.length === 1 && s.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid(spec.child('ipFamilyPolicy'), s.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (p.length > 0 && n[0] !== p[0]) {
    errs.push(invalid(at(0), bad, 'may not change once set'));
  }
  return errs;
}

export function validateServiceStatusUpdate(svc: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata);
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    if (ing.ip) for (const m of isValidIP(ing.ip)) errs.push(invalid(FieldPath.root('status').child('loadBalancer', 'ingress').index(i).child('ip'), ing.ip, m));
  });
  return errs;
}

// ---- Node ----

function validateTaints(taints: Taint[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (taints ?? []).forEach((t, i) => {
    const p = path.index(i);
    errs.push(...validateLabelName(t.key, p.child('key')));
    if (t.value) for (const m of isValidLabelValue(t.value)) errs.push(invalid(p.child('value'), t.value, m));
    errs.push(...validateTaintEffect(t.effect, false, p.child('effect')));
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) errs.push(duplicate(p, goRaw(`core.Taint{Key:${goQuote(t.key)}, Value:${goQuote(t.value ?? '')}, Effect:${goQuote(t.effect)}, TimeAdded:<nil>}`)));
    seen.add(k);
  });
  return errs;
}

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameValidator: nameIsDNSSubdomain });
  errs.push(...validateTaints(node.spec?.taints, spec.child('taints')));
  const cidrs = node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []);
  cidrs.forEach((c, i) => {
    const [ip, bits, extra] = c.split('/');
    const n = Number(bits);
    const okIP = ip !== undefined && (isIPv4(ip) || isIPv6(ip));
    if (!okIP || extra !== undefined || !/^\d+$/.test(bits ?? '') || n > (isIPv4(ip ?? '') ? 32 : 128)) {
      errs.push(invalid(spec.child('podCIDRs').index(i), c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    }
  });
  return errs;
}

/** Node spec changes are limited to unschedulable, taints, configSource, and setting unset CIDRs/providerID. */
export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const errs = [...validateObjectMetaUpdate(node.metadata), ...validateTaints(node.spec?.taints, spec.child('taints'))];
  const a: Record<string, unknown> = { ...(node.spec ?? {}) };
  const b: Record<string, unknown> = { ...(old.spec ?? {}) };
  for (const f of ['unschedulable', 'taints', 'configSource']) {
    delete a[f];
    delete b[f];
  }
  for (const f of ['podCIDR', 'podCIDRs', 'providerID', 'externalID']) {
    if (semanticEqual(b[f], undefined)) {
      delete a[f];
      delete b[f];
    }
  }
  if (!semanticEqual(a, b)) {
    errs.push({ type: 'FieldValueForbidden', field: '', message: 'Forbidden: node updates may only change labels, taints, or capacity (or configSource, if the DynamicKubeletConfig feature gate is enabled)' });
  }
  return errs;
}

export function validateNodeStatusUpdate(node: Node): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata);
  const st = FieldPath.root('status');
  (node.status?.addresses ?? []).forEach((a, i) => {
    if (!a.type) errs.push(required(st.child('addresses').index(i).child('type'), ''));
  });
  for (const f of ['capacity', 'allocatable'] as const) {
    const list = (node.status?.[f] ?? {}) as Record<string, string>;
    for (const k of Object.keys(list).sort()) errs.push(...validateResourceQuantity(k, list[k] ?? '', st.child(f).key(k)));
  }
  return errs;
}

// ---- Namespace ----

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, nameValidator: nameIsDNSLabel });
  errs.push(...validateFinalizers(ns.spec?.finalizers, spec.child('finalizers')));
  return errs;
}

export function validateNamespaceUpdate(ns: Namespace): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata);
}

/** The phase must agree with deletionTimestamp (upstream's path really is `status.Phase`). */
export function validateNamespaceStatusUpdate(ns: Namespace): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata);
  const phase = ns.status?.phase ?? '';
  const p = FieldPath.root('status').child('Phase');
  if (!ns.metadata?.deletionTimestamp) {
    if (phase !== 'Active') errs.push(invalid(p, phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating') errs.push(invalid(p, phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  return errs;
}

// ---- ConfigMap, Secret, ServiceAccount ----

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  let total = 0;
  for (const key of Object.keys(cm.data ?? {}).sort()) {
    for (const m of isConfigMapKey(key)) errs.push(invalid(FieldPath.root('data').key(key), key, m));
    total += Buffer.byteLength(cm.data?.[key] ?? '');
  }
  for (const key of Object.keys(cm.binaryData ?? {}).sort()) {
    for (const m of isConfigMapKey(key)) errs.push(invalid(FieldPath.root('binaryData').key(key), key, m));
    if (cm.data && key in cm.data) errs.push(invalid(FieldPath.root('binaryData').key(key), key, 'duplicate of key present in data'));
    total += Buffer.from(cm.binaryData?.[key] ?? '', 'base64').length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(FieldPath.root(''), MAX_SECRET_SIZE));
  return errs;
}

function immutableDataErrors(obj: { immutable?: boolean; data?: unknown; binaryData?: unknown }, old: { immutable?: boolean; data?: unknown; binaryData?: unknown }, fields: Array<'data' | 'binaryData'>): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden(FieldPath.root('immutable'), 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!semanticEqual(obj[f], old[f])) errs.push(forbidden(FieldPath.root(f), 'field is immutable when `immutable` is set'));
  return errs;
}

export function validateConfigMapUpdate(cm: ConfigMap, old: ConfigMap): FieldError[] {
  return [...validateObjectMetaUpdate(cm.metadata), ...immutableDataErrors(cm, old, ['data', 'binaryData']), ...validateConfigMap(cm).filter((e) => !e.field.startsWith('metadata.'))];
}

const dataKey = (k: string) => FieldPath.root('data').key(k);

export function validateSecret(secret: Secret): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const data = secret.data ?? {};
  let total = 0;
  for (const key of Object.keys(data).sort()) {
    for (const m of isConfigMapKey(key)) errs.push(invalid(dataKey(key), key, m));
    total += Buffer.from(data[key] ?? '', 'base64').length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(FieldPath.root('data'), MAX_SECRET_SIZE));
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  const decoded = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
  switch (secret.type ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required(FieldPath.root('metadata').child('annotations').key('kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) errs.push(required(dataKey(key), ''));
      else {
        try {
          const v: unknown = JSON.parse(decoded(key));
          if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
        } catch (e) {
          errs.push(invalid(dataKey(key), '<secret contents redacted>', (e as Error).message));
        }
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required(dataKey('username'), ''));
        errs.push(required(dataKey('password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(required(dataKey('ssh-privatekey'), ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(dataKey('tls.crt'), ''));
      if (!has('tls.key')) errs.push(required(dataKey('tls.key'), ''));
      break;
    default:
      break;
  }
  return errs;
}

export function validateSecretUpdate(secret: Secret, old: Secret): FieldError[] {
  const errs = validateObjectMetaUpdate(secret.metadata);
  if ((secret.type ?? '') !== (old.type ?? '')) errs.push(immutableField(FieldPath.root('type'), secret.type ?? ''));
  errs.push(...immutableDataErrors(secret, old, ['data']));
  errs.push(...validateSecret(secret).filter((e) => !e.field.startsWith('metadata.') || e.field.startsWith('metadata.annotations[')));
  return errs;
}

export function validateServiceAccount(sa: ServiceAccount): FieldError[] {
  return validateObjectMeta(sa.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
}

// ---- Events ----

/** Limits from core validation's events.go. */
export const EVENT_REASON_LENGTH_LIMIT = 128;
export const EVENT_ACTION_LENGTH_LIMIT = 128;
export const EVENT_REPORTING_INSTANCE_LENGTH_LIMIT = 128;
export const EVENT_NOTE_LENGTH_LIMIT = 1024;

interface EventView {
  namespace: string;
  involvedNamespace: string;
  eventTime: unknown;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  message: string;
  type: string;
  series: { count?: number; lastObservedTime?: unknown } | undefined;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  count: number;
  source: { component?: string; host?: string } | undefined;
}

function coreEventView(e: Record<string, unknown>): EventView {
  const io = (e.involvedObject ?? {}) as Record<string, string>;
  return {
    namespace: (e.metadata as { namespace?: string } | undefined)?.namespace ?? '',
    involvedNamespace: io.namespace ?? '',
    eventTime: e.eventTime,
    reportingController: String(e.reportingComponent ?? ''),
    reportingInstance: String(e.reportingInstance ?? ''),
    action: String(e.action ?? ''),
    reason: String(e.reason ?? ''),
    message: String(e.message ?? ''),
    type: String(e.type ?? ''),
    series: e.series as EventView['series'],
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    count: Number(e.count ?? 0),
    source: e.source as EventView['source'],
  };
}

function eventsV1View(e: Record<string, unknown>): EventView {
  const reg = (e.regarding ?? {}) as Record<string, string>;
  return {
    namespace: (e.metadata as { namespace?: string } | undefined)?.namespace ?? '',
    involvedNamespace: reg.namespace ?? '',
    eventTime: e.eventTime,
    reportingController: String(e.reportingController ?? ''),
    reportingInstance: String(e.reportingInstance ?? ''),
    action: String(e.action ?? ''),
    reason: String(e.reason ?? ''),
    message: String(e.note ?? ''),
    type: String(e.type ?? ''),
    series: e.series as EventView['series'],
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    count: Number(e.deprecatedCount ?? 0),
    source: e.deprecatedSource as EventView['source'],
  };
}

/** legacyValidateEvent: what every Event must pass (the only checks for core/v1 writes). */
function legacyValidateEvent(e: EventView, controllerField: string): FieldError[] {
  const errs: FieldError[] = [];
  const nsPath = FieldPath.root('involvedObject').child('namespace');
  if (!e.eventTime) {
    if (!e.involvedNamespace) {
      if (e.namespace !== '' && e.namespace !== 'default') errs.push(invalid(nsPath, e.involvedNamespace, 'does not match event.namespace'));
    } else if (e.namespace !== e.involvedNamespace) errs.push(invalid(nsPath, e.involvedNamespace, 'does not match event.namespace'));
  } else {
    if (!e.involvedNamespace && e.namespace !== 'default' && e.namespace !== 'kube-system') errs.push(invalid(nsPath, e.involvedNamespace, 'does not match event.namespace'));
    const rc = FieldPath.root(controllerField);
    if (!e.reportingController) errs.push(required(rc, ''));
    for (const m of isQualifiedName(e.reportingController)) errs.push(invalid(rc, e.reportingController, m));
    if (!e.reportingInstance) errs.push(required(FieldPath.root('reportingInstance'), ''));
    if (e.reportingInstance.length > EVENT_REPORTING_INSTANCE_LENGTH_LIMIT) errs.push(invalid(FieldPath.root('reportingInstance'), '', `can have at most ${EVENT_REPORTING_INSTANCE_LENGTH_LIMIT} characters`));
    if (!e.action) errs.push(required(FieldPath.root('action'), ''));
    if (e.action.length > EVENT_ACTION_LENGTH_LIMIT) errs.push(invalid(FieldPath.root('action'), '', `can have at most ${EVENT_ACTION_LENGTH_LIMIT} characters`));
    if (!e.reason) errs.push(required(FieldPath.root('reason'), ''));
    if (e.reason.length > EVENT_REASON_LENGTH_LIMIT) errs.push(invalid(FieldPath.root('reason'), '', `can have at most ${EVENT_REASON_LENGTH_LIMIT} characters`));
    if (e.message.length > EVENT_NOTE_LENGTH_LIMIT) errs.push(invalid(FieldPath.root('message'), '', `can have at most ${EVENT_NOTE_LENGTH_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(e.namespace)) errs.push(invalid(FieldPath.root('namespace'), e.namespace, m));
  return errs;
}

/** core/v1 Events: legacy validation only, for backwards compatibility (as upstream). */
export function validateCoreEvent(ev: KubeObject): FieldError[] {
  return legacyValidateEvent(coreEventView(ev as Record<string, unknown>), 'reportingComponent');
}

/** events.k8s.io/v1 Events: legacy validation plus the strict rules for new-style events. */
export function validateEventsV1Event(ev: KubeObject): FieldError[] {
  const e = eventsV1View(ev as Record<string, unknown>);
  const errs = legacyValidateEvent(e, 'reportingController');
  errs.push(...validateObjectMeta(ev.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain }));
  if (e.series) {
    if ((e.series.count ?? 0) < 2) errs.push(invalid(FieldPath.root('series').child('count'), '', 'should be at least 2'));
    if (!e.series.lastObservedTime) errs.push(required(FieldPath.root('series').child('lastObservedTime'), ''));
  }
  if (!e.eventTime) errs.push(required(FieldPath.root('eventTime'), ''));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(invalid(FieldPath.root('type'), '', `has invalid value: ${e.type}`));
  if (e.firstTimestamp) errs.push(invalid(FieldPath.root('firstTimestamp'), '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(invalid(FieldPath.root('lastTimestamp'), '', 'needs to be unset'));
  if (e.count !== 0) errs.push(invalid(FieldPath.root('count'), '', 'needs to be unset'));
  if (e.source?.component || e.source?.host) errs.push(invalid(FieldPath.root('source'), '', 'needs to be unset'));
  return errs;
}

// ---- PersistentVolumeClaim / PersistentVolume ----

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];

function validateAccessModes(modes: string[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!modes || modes.length === 0) return [required(path, 'at least 1 access mode is required')];
  let rwop = false;
  let other = false;
  for (const m of modes) {
    if (!ACCESS_MODES.includes(m)) errs.push(notSupported(path, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else other = true;
  }
  if (rwop && other) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function positiveStorage(raw: string | undefined, path: FieldPath): FieldError[] {
  const q = Quantity.tryParse(raw);
  if (!q) return validateResourceQuantity('storage', raw ?? '', path);
  if (q.sign() <= 0) return [invalid(path, q.toString(), 'must be greater than zero')];
  return validateResourceQuantity('storage', raw ?? '', path);
}

function validatePVCSpec(pvc: PersistentVolumeClaim): FieldError[] {
  const s = pvc.spec ?? {};
  const errs = validateAccessModes(s.accessModes, spec.child('accessModes'));
  if (s.selector) errs.push(...validateLabelSelector(s.selector, spec.child('selector')));
  const storage = (s.resources?.requests as Record<string, string> | undefined)?.storage;
  const sp = spec.child('resources').key('storage');
  if (storage === undefined) errs.push(required(sp, ''));
  else errs.push(...positiveStorage(storage, sp));
  if (s.storageClassName) for (const m of isDNS1123Subdomain(s.storageClassName)) errs.push(invalid(spec.child('storageClassName'), s.storageClassName, m));
  if (s.volumeMode !== undefined && !VOLUME_MODES.includes(s.volumeMode)) errs.push(notSupported(spec.child('volumeMode'), s.volumeMode, VOLUME_MODES));
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  return [...validateObjectMeta(pvc.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain }), ...validatePVCSpec(pvc)];
}

/** The spec is immutable except that a bound claim's storage request may grow. */
export function validatePersistentVolumeClaimUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pvc.metadata), ...validatePVCSpec(pvc)];
  const a = structuredClone(pvc.spec ?? {});
  const b = structuredClone(old.spec ?? {});
  // A claim bound by the controller gets volumeName filled in: allowed once.
  if (!b.volumeName) delete a.volumeName;
  // RetroactiveDefaultStorageClass (GA in 1.28): an unset storageClassName may be set once.
  if (b.storageClassName === undefined || b.storageClassName === null) delete a.storageClassName;
  if (old.spec?.volumeName) {
    if (a.resources) a.resources.requests = b.resources?.requests;
    a.volumeAttributesClassName = b.volumeAttributesClassName;
    const newSize = Quantity.tryParse((pvc.spec?.resources?.requests as Record<string, string> | undefined)?.storage);
    const oldSize = Quantity.tryParse((old.spec?.resources?.requests as Record<string, string> | undefined)?.storage);
    if (newSize && oldSize && newSize.cmp(oldSize) < 0) errs.push(forbidden(spec.child('resources', 'requests', 'storage'), 'field can not be less than previous value'));
  }
  if (!semanticEqual(a, b)) errs.push(forbidden(spec, 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  return errs;
}

export function validatePersistentVolumeClaimStatusUpdate(pvc: PersistentVolumeClaim): FieldError[] {
  const errs = validateObjectMetaUpdate(pvc.metadata);
  const cap = (pvc.status?.capacity ?? {}) as Record<string, string>;
  for (const k of Object.keys(cap).sort()) errs.push(...validateResourceQuantity(k, cap[k] ?? '', FieldPath.root('status').child('capacity').key(k)));
  return errs;
}

const PV_SOURCES = ['gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi'];

function validatePVSpec(pv: PersistentVolume): FieldError[] {
  const s = (pv.spec ?? {}) as Record<string, unknown> & NonNullable<PersistentVolume['spec']>;
  const errs = validateAccessModes(s.accessModes, spec.child('accessModes'));
  const cap = (s.capacity ?? {}) as Record<string, string>;
  if (Object.keys(cap).length === 0) errs.push(required(spec.child('capacity'), ''));
  else if (!('storage' in cap) || Object.keys(cap).length > 1) errs.push(notSupported(spec.child('capacity'), goRaw(`core.ResourceList{${Object.keys(cap).sort().map((k) => `${goQuote(k)}:${goQuote(cap[k] ?? '')}`).join(', ')}}`), ['storage']));
  for (const k of Object.keys(cap).sort()) errs.push(...positiveStorage(cap[k], spec.child('capacity').key(k)));
  const policy = s.persistentVolumeReclaimPolicy;
  if (policy !== undefined && !['Delete', 'Recycle', 'Retain'].includes(policy)) errs.push(notSupported(spec.child('persistentVolumeReclaimPolicy'), policy, ['Delete', 'Recycle', 'Retain']));
  if (s.storageClassName) for (const m of isDNS1123Subdomain(s.storageClassName)) errs.push(invalid(spec.child('storageClassName'), s.storageClassName, m));
  if (s.volumeMode !== undefined && !VOLUME_MODES.includes(s.volumeMode)) errs.push(notSupported(spec.child('volumeMode'), s.volumeMode, VOLUME_MODES));
  const sources = PV_SOURCES.filter((k) => s[k] !== undefined && s[k] !== null);
  if (sources.length === 0) errs.push(required(spec, 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(forbidden(spec.child(extra), 'may not specify more than 1 volume type'));
  if (s.hostPath && !s.hostPath.path) errs.push(required(spec.child('hostPath', 'path'), ''));
  if (s.local && !s.local.path) errs.push(required(spec.child('local', 'path'), ''));
  return errs;
}

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  return [...validateObjectMeta(pv.metadata, { namespaced: false, nameValidator: nameIsDNSSubdomain }), ...validatePVSpec(pv)];
}

export function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pv.metadata), ...validatePVSpec(pv)];
  const src = (o: PersistentVolume) => Object.fromEntries(PV_SOURCES.map((k) => [k, (o.spec as Record<string, unknown> | undefined)?.[k]]));
  if (!semanticEqual(src(pv), src(old))) errs.push(forbidden(spec.child('persistentvolumesource'), 'spec.persistentvolumesource is forbidden.'));
  if (!semanticEqual(pv.spec?.volumeMode, old.spec?.volumeMode)) errs.push(immutableField(spec.child('volumeMode'), pv.spec?.volumeMode ?? null));
  return errs;
}

// ---- Endpoints / EndpointSlice ----

export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = FieldPath.root('subsets').index(i);
    if ((ss.addresses ?? []).length === 0 && (ss.notReadyAddresses ?? []).length === 0) {
      errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const [list, name] of [[ss.addresses, 'addresses'], [ss.notReadyAddresses, 'notReadyAddresses']] as const) {
      (list ?? []).forEach((a, j) => {
        const ap = p.child(name).index(j);
        for (const m of isValidIP(a.ip)) errs.push(invalid(ap.child('ip'), a.ip, m));
        if (a.hostname) errs.push(...validateDNS1123LabelField(a.hostname, ap.child('hostname')));
        if (a.nodeName) for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(invalid(ap.child('nodeName'), a.nodeName, m));
      });
    }
    const ports = ss.ports ?? [];
    ports.forEach((port, j) => {
      const pp = p.child('ports').index(j);
      if (ports.length > 1 && !port.name) errs.push(required(pp.child('name'), ''));
      else if (port.name) errs.push(...validateDNS1123LabelField(port.name, pp.child('name')));
      for (const m of isValidPortNum(port.port)) errs.push(invalid(pp.child('port'), port.port, m));
      if (!port.protocol) errs.push(required(pp.child('protocol'), ''));
      else if (!SUPPORTED_PORT_PROTOCOLS.includes(port.protocol)) errs.push(notSupported(pp.child('protocol'), port.protocol, SUPPORTED_PORT_PROTOCOLS));
    });
  });
  return errs;
}

/** Upstream EndpointSlice limits. */
export const MAX_ENDPOINTSLICE_ENDPOINTS = 1000;
export const MAX_ENDPOINTSLICE_PORTS = 20000;
export const MAX_ENDPOINT_ADDRESSES = 100;
const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

export function validateEndpointSlice(eps: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(eps.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const type = eps.addressType;
  if (!type) errs.push(required(FieldPath.root('addressType'), ''));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported(FieldPath.root('addressType'), type, ADDRESS_TYPES));
  const endpoints = eps.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTSLICE_ENDPOINTS) errs.push(tooMany(FieldPath.root('endpoints'), endpoints.length, MAX_ENDPOINTSLICE_ENDPOINTS));
  endpoints.forEach((ep, i) => {
    const p = FieldPath.root('endpoints').index(i);
    const ap = p.child('addresses');
    if (ep.addresses.length === 0) errs.push(required(ap, 'must contain at least 1 address'));
    else if (ep.addresses.length > MAX_ENDPOINT_ADDRESSES) errs.push(tooMany(ap, ep.addresses.length, MAX_ENDPOINT_ADDRESSES));
    ep.addresses.forEach((a, j) => {
      if (type === 'IPv4' && !isIPv4(a)) errs.push(invalid(ap.index(j), a, 'must be a valid IPv4 address'));
      else if (type === 'IPv6' && !isIPv6(a)) errs.push(invalid(ap.index(j), a, 'must be a valid IPv6 address'));
      else if (type === 'FQDN') for (const m of isDNS1123Subdomain(a)) errs.push(invalid(ap.index(j), a, m));
    });
    if (ep.hostname) errs.push(...validateDNS1123LabelField(ep.hostname, p.child('hostname')));
    if (ep.nodeName) for (const m of isDNS1123Subdomain(ep.nodeName)) errs.push(invalid(p.child('nodeName'), ep.nodeName, m));
  });
  const ports = eps.ports ?? [];
  if (ports.length > MAX_ENDPOINTSLICE_PORTS) errs.push(tooMany(FieldPath.root('ports'), ports.length, MAX_ENDPOINTSLICE_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = FieldPath.root('ports').index(i);
    const name = port.name ?? '';
    if (name) for (const m of isDNS1123Label(name)) errs.push(invalid(p.child('name'), name, m));
    if (names.has(name)) errs.push(duplicate(p.child('name'), name));
    names.add(name);
    if (port.port !== undefined) for (const m of isValidPortNum(port.port)) errs.push(invalid(p.child('port'), port.port, m));
    if (port.protocol === undefined) errs.push(required(p.child('protocol'), ''));
    else if (!SUPPORTED_PORT_PROTOCOLS.includes(port.protocol)) errs.push(notSupported(p.child('protocol'), port.protocol, SUPPORTED_PORT_PROTOCOLS));
  });
  return errs;
}

export function validateEndpointSliceUpdate(eps: EndpointSlice, old: EndpointSlice): FieldError[] {
  const errs = [...validateObjectMetaUpdate(eps.metadata), ...validateEndpointSlice(eps).filter((e) => !e.field.startsWith('metadata.'))];
  if (eps.addressType !== old.addressType) errs.push(immutableField(FieldPath.root('addressType'), eps.addressType ?? ''));
  return errs;
}

// ---- Lease ----

export function validateLease(lease: Lease): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const s = lease.spec ?? {};
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds <= 0) errs.push(invalid(spec.child('leaseDurationSeconds'), s.leaseDurationSeconds, 'must be greater than 0'));
  if (s.leaseTransitions !== undefined && s.leaseTransitions < 0) errs.push(invalid(spec.child('leaseTransitions'), s.leaseTransitions, 'must be greater than or equal to 0'));
  return errs;
}

/** Names only need to be valid path segments (Events are keyed by `<object>.<hex>`). */
export { nameIsPathSegment, validateNonnegative };
