export * from './cis-catalog';
