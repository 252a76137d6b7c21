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
export { CisSeverity, CisSeverityDefaults, SeverityOverrideOptions, SeverityRouteOptions } from './severity';
export { AlarmDescriptionOptions } from './alarm-description';
export * from './realtime';
export * from './queries';
export { CisDashboardOptions } from './dashboard';
export { ChatDeliveryOptions, CisChatDelivery, CisChatDeliveryProps, MicrosoftTeamsChannelOptions, SlackChannelOptions } from './chat-delivery';
export * from './extended';
