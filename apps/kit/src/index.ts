/**
 * @myna-ap/app-kit — what the business systems (apps/*) share, so each keeps only
 * its own domain: the server scaffolding (`appServer`: form bodies, the answer to a
 * refusal as a page or JSON, 404, /healthz) and the page helpers; the error class
 * over an app's catalogue (`appErrorClass`); the status feed poll
 * (`pollLoaderFeed`). Its tests' worlds are `@myna-ap/app-kit/testing`.
 */
export {
  AppError,
  appErrorClass,
  KIT_ERRORS,
  KIT_ERRORS_LISTED,
  KitError,
  type KitErrorCode,
} from './errors.ts';
export {
  answerPage,
  appServer,
  esc,
  fromForm,
  htmlPage,
  said,
  type AppServerOptions,
} from './server.ts';
export { pollLoaderFeed, type FeedPageOf, type LoaderLink } from './feed.ts';
export { catalogueSection, sectionHeading, sectionIn, type ListedCatalogue } from './errorsDoc.ts';
