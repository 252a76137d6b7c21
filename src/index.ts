export * from './catalog';
export * from './cis-trail';
export * from './alarm-topic';
export * from './cis-monitoring';
export * from './filter-pattern';
export * from './scanners';
