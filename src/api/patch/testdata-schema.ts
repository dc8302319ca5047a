/**
 * Hand-made schema fixtures for the patch tests: a small pod-like kind with every list and map
 * flavour the engines distinguish (merge lists by key, primitive merge lists, retainKeys, atomic
 * lists, list-map keys with a defaulted key, inline embedding, atomic struct).
 */
import type { FieldSchema, TypeSchema } from '../schema/types.js';
import { schemaFromTypes } from './patch-schema.js';

let tag = 0;
const f = (name: string, type: string, extra: Partial<FieldSchema> = {}): FieldSchema => ({ name, type, tag: ++tag, ...extra });

export const FIXTURE_TYPES: TypeSchema[] = [
  {
    name: 'test.Widget',
    fields: [f('metadata', 'test.Meta'), f('spec', 'test.Spec'), f('status', 'test.Status')],
    gvk: [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
  },
  {
    name: 'test.Meta',
    fields: [
      f('name', 'string'),
      f('namespace', 'string'),
      f('uid', 'string'),
      f('resourceVersion', 'string'),
      f('labels', 'string', { map: true }),
      f('annotations', 'string', { map: true }),
      f('finalizers', 'string', { list: true, patchStrategy: 'merge', listType: 'set' }),
      f('managedFields', 'test.ManagedFieldsEntry', { list: true, listType: 'atomic' }),
    ],
  },
  { name: 'test.ManagedFieldsEntry', fields: [f('manager', 'string'), f('operation', 'string'), f('fieldsV1', 'FieldsV1')] },
  {
    name: 'test.Spec',
    fields: [
      f('replicas', 'int32'),
      f('containers', 'test.Container', { list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] }),
      f('volumes', 'test.Volume', { list: true, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] }),
      f('strategy', 'test.Strategy', { patchStrategy: 'retainKeys' }),
      f('args', 'string', { list: true }),
      f('selector', 'test.Selector'),
      f('nodeSelector', 'string', { map: true }),
    ],
  },
  {
    name: 'test.Container',
    fields: [
      f('name', 'string'),
      f('image', 'string'),
      f('env', 'test.EnvVar', { list: true, patchStrategy: 'merge', patchMergeKey: 'name' }),
      f('ports', 'test.Port', { list: true, patchStrategy: 'merge', patchMergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] }),
      f('resources', 'test.Resources'),
    ],
  },
  { name: 'test.EnvVar', fields: [f('name', 'string'), f('value', 'string')] },
  { name: 'test.Port', fields: [f('containerPort', 'int32'), f('protocol', 'string'), f('name', 'string')] },
  { name: 'test.Resources', fields: [f('limits', 'Quantity', { map: true })] },
  { name: 'test.Volume', fields: [f('name', 'string'), f('volumeSource', 'test.VolumeSource', { inline: true })] },
  { name: 'test.VolumeSource', fields: [f('emptyDir', 'test.EmptyDir'), f('hostPath', 'test.HostPath')] },
  { name: 'test.EmptyDir', fields: [f('medium', 'string')] },
  { name: 'test.HostPath', fields: [f('path', 'string')] },
  { name: 'test.Strategy', fields: [f('type', 'string'), f('rollingUpdate', 'test.RollingUpdate')] },
  { name: 'test.RollingUpdate', fields: [f('maxSurge', 'IntOrString'), f('maxUnavailable', 'IntOrString')] },
  { name: 'test.Selector', mapType: 'atomic', fields: [f('matchLabels', 'string', { map: true })] },
  { name: 'test.Status', fields: [f('ready', 'int32')] },
];

export const FIXTURE_SCHEMA = schemaFromTypes(FIXTURE_TYPES);
export const WIDGET = FIXTURE_TYPES[0]!;
