/**
 * Object shapes the client is generic over. The `kubernetes-types` interfaces (Pod, Node, …) have
 * no index signature, so they are not `KubeObject`s; the client accepts anything with optional
 * TypeMeta and ObjectMeta, which both satisfy.
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../api/object.js';

/** Any API object: typed `kubernetes-types` kinds and generic KubeObjects alike. */
export interface ObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A list as returned by the API (`PodList`, …). */
export interface ObjectList<T extends ObjectLike = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number; selfLink?: string };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/**
 * A watch event as delivered by `ResourceClient.watch`. `ERROR` events never appear here: they
 * end the watch by throwing the StatusError they carry.
 */
export interface WatchEvent<T extends ObjectLike = KubeObject> {
  type: WatchEventType;
  object: T;
}
