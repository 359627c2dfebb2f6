/**
 * @module dashboard
 *
 * The web dashboard: overview of sagas, instance list with shareable filters and live updates, instance
 * pages (timeline, data, compensation stack, state diagram), dead letters with replay. It is a static
 * single page over the HTTP API (`/api`); `serveSagaflow` mounts both. See docs/operations.md, "Dashboard".
 */
export { dashboardRoutes } from './dashboard-routes.ts';
