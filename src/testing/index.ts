/**
 * @module sagaflow/testing
 * Test your sagas deterministically: `createTestHarness({ sagas })`. See docs/testing.md.
 */
export { SagaTestHarness, createTestHarness, HARNESS_TIMEOUT, HARNESS_EXPECTATION } from './saga-test-harness.ts';
export type { SagaTestHarnessOptions, CompensationRan, Captured } from './saga-test-harness.ts';
export { FakeClock } from '../clock/fake-clock.ts';
export { replayHistories } from '../replay/replay-histories.ts';
export type { ReplayOptions, ReplayReport, InstanceReplay } from '../replay/replay-histories.ts';
export { compareStep, compareStack } from '../replay/compare-step.ts';
export type { Divergence, DivergenceKind, StepRecord, ReplayedStep, StackEntry } from '../replay/compare-step.ts';
export { HistoryLine, HISTORY_FORMAT_VERSION, parseHistoryLines, parseHistoryLine, toHistoryLine } from '../replay/history-line.ts';
export type { HistoryStepLine } from '../replay/history-line.ts';
