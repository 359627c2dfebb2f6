/**
 * @module graph
 * Dependency graphs of commands, compiled onto sagas.
 */
export { defineGraph, Graph } from './define-graph.ts';
export { GRAPH_STATES } from './compile-graph.ts';
export type { GraphState } from './compile-graph.ts';
export type { GraphProgress } from './graph-progress.ts';
export { DEFAULT_STEP_TIMEOUT_MS } from './graph-step.ts';
export type { StepOptions, StepInputContext, StepUndoContext, StepCompensation } from './graph-step.ts';
