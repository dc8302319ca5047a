/**
 * The Skiff API client: transports, resource clients, informers, work queue, workers, event
 * recorder, leader election, logger and clock. Components import from here.
 */
export { Client, type ClientOptions } from './client.js';
export { httpTransport, type HttpTransportOptions, DEFAULT_REQUEST_TIMEOUT_MS } from './http-transport.js';
export { inProcessTransport, type InProcessTransportOptions } from './in-process-transport.js';
export { TransportError, type Transport, type TransportRequest, type BufferedResponse, type StreamedResponse } from './transport.js';
export { RestClient, type RestRequest } from './rest-client.js';
export { ResourceClient, resolveResource, PATCH_CONTENT_TYPES, DEFAULT_PAGE_SIZE, type PatchType, type ResourceRef, type ResolvedResource } from './resource-client.js';
export { PodClient, type PodLogOptions } from './pod-client.js';
export {
  formatLabelSelector,
  formatFieldSelector,
  escapeFieldValue,
  type ListOptions,
  type WatchOptions,
  type WriteOptions,
  type PatchOptions,
  type DeleteOptions,
  type Preconditions,
  type LabelSelectorInput,
  type FieldSelectorInput,
} from './query.js';
export type { ObjectLike, ObjectList, WatchEvent, WatchEventType } from './types.js';
export { WatchDecodeError } from './watch-decoder.js';
export { responseError } from './response-error.js';
export { retryOnConflict, DEFAULT_RETRY, type RetryBackoff, type RetryOptions } from './retry-on-conflict.js';
export { Backoff, jitter, type BackoffOptions } from './backoff.js';
export { Indexer, keyOf, indexByNodeName, indexByOwnerUid, indexByControllerUid, NAMESPACE_INDEX, type IndexFunc, type Lister } from './indexer.js';
export { SharedInformer, waitForCacheSync, type EventHandlers, type HandlerRegistration, type InformerOptions, type DeleteInfo } from './informer.js';
export { SharedInformerFactory, type FactoryOptions, type InformerRequest } from './informer-factory.js';
export { Reflector, REFLECTOR_BACKOFF } from './reflector.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
export {
  ItemExponentialFailureRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
} from './rate-limiter.js';
export { runWorkers, processKey, TerminalError, type SyncResult, type SyncFn, type WorkerOptions } from './workers.js';
export { EventRecorder, referenceOf, type EventRecorderOptions, type EventType } from './event-recorder.js';
export { EventCorrelator, COMBINED_PREFIX } from './event-correlator.js';
export { LeaderElector, type LeaderElectionOptions, type LeaderCallbacks } from './leader-election.js';
export { createLogger, captureLogger, silentLogger, formatLogEntry, defaultLogLevel, type Logger, type LogLevel, type LogFields, type LogEntry, type LogSink, type CapturingLogger } from './log.js';
export { realClock, FakeClock, sleep, sleepUnlessAborted, timeoutSignal, formatTime, formatMicroTime, parseTime, TimeoutError, type Clock, type TimerHandle } from './clock.js';
