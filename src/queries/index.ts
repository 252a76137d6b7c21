// Public API of the saved queries. Internal helpers (Insights translation,
// insightsQueryFor for alarm descriptions) are imported by path, not from here.
export * from './investigation-queries';
export * from './athena-queries';
