export * from './applet.ts';
export * from './card.ts';
