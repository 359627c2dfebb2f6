export { WorkerHost, WorkerStoppingError, WORKER_STOPPING } from './worker-host.ts';
export type { WorkerHostOptions, BackgroundService, StopReport, Transport } from './worker-host.ts';
export { jsonLogger } from './logger.ts';
export type { Logger, LogLevel, LogFields, JsonLoggerOptions } from './logger.ts';
export { ConcurrencyLimit } from './concurrency-limit.ts';
export type { HealthReport } from './health-server.ts';
