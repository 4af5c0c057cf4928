export * from './bytes.ts';
export * from './command.ts';
export * from './response.ts';
export * from './status.ts';
export * from './aid.ts';
export * from './scp03.ts';
export * from './gp.ts';
export * from './cardap.ts';
