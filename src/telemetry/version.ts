/**
 * @module telemetry/version
 * The version the tracer and meter report as their instrumentation scope's. A test keeps it equal to
 * `package.json`'s, so a release cannot forget it.
 */
export const SAGAFLOW_VERSION = '0.1.0';
