export * from './services';
export { useProcessCleanup } from './cleanup';
