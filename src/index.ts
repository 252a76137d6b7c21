// The package's public (jsii) API. Modules that also hold internal helpers
// are re-exported by name, so no function or const leaks into the API
// (test/api-surface.test.ts enforces it).
export * from './catalog';
export * from './cis-trail';
export * from './alarm-topic';
export * from './cis-monitoring';
export * from './filter-pattern';
export * from './scanners';
export * from './exclusions';
export { CisSeverity, CisSeverityDefaults } from './severity';
export type { SeverityOverrideOptions, SeverityRouteOptions } from './severity';
export type { AlarmDescriptionOptions } from './alarm-description';
export * from './realtime';
export * from './queries';
export type { CisDashboardOptions } from './dashboard';
export { CisChatDelivery } from './chat-delivery';
export type { ChatDeliveryOptions, CisChatDeliveryProps, MicrosoftTeamsChannelOptions, SlackChannelOptions } from './chat-delivery';
export * from './extended';
export * from './organization';
