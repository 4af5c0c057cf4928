/** docs/errors.md has this system's codes as its catalogue says (`npm run errors-doc`). */
import { errorsDocTest } from '@myna-ap/app-kit/testing';
import { STAFF_ERRORS_LISTED } from '../src/errors.ts';

errorsDocTest(STAFF_ERRORS_LISTED);
