export * from './rollout';
export * from './security-account';
