export * from './exclusion';
