export * from './errors.ts';
export * from './digestInfo.ts';
export * from './basicInfo.ts';
export * from './session.ts';
export * from './myna.ts';
export * from './cardAp.ts';
