export * from './applet.ts';
export * from './card.ts';
export * from './image.ts';
