export { main } from './main.ts';
export * from './command.ts';
export * from './i18n.ts';
