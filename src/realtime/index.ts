// Public API of the real-time path. Internal helpers (pattern translation,
// topic access, global-events check) are imported by path, not from here.
export * from './event-rules';
