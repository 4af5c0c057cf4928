export * from './channel.ts';
export * from './errors.ts';
export * from './inProcess.ts';
export * from './vpcdProtocol.ts';
export * from './vpcdBridge.ts';
export * from './pcsc.ts';
export * from './loopback.ts';
export * from './pcscStack.ts';
