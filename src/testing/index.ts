/**
 * @module sagaflow/testing
 * Test your sagas deterministically: `createTestHarness({ sagas })`. See docs/testing.md.
 */
export { SagaTestHarness, createTestHarness, HARNESS_TIMEOUT, HARNESS_EXPECTATION } from './saga-test-harness.ts';
export type { SagaTestHarnessOptions, CompensationRan, Captured } from './saga-test-harness.ts';
export { FakeClock } from '../clock/fake-clock.ts';
