// Public API of the extended detection set. Internal helpers (patterns) are imported by path.
export * from './extended-detection';
export * from './extended-detections';
