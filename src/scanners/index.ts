export * from './scanner';
export * from './scanner-plan';
