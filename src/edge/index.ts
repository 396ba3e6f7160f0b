// The embedded drachtio-compatible SIP edge: a SIP UA core with drachtio-server's app protocol,
// for local development and tests (production runs drachtio-server). See docs/edge.md.
export { startEdge, EDGE_VERSION, type RunningEdge } from './edge.js';
export { DEFAULT_LIMITS, type EdgeLimits, type EdgeOptions } from './options.js';
