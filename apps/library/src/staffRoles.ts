/** The library's staff roles (app-kit's staffAuth): counter staff, and the administrator. */
import { defineRoles } from '@myna-ap/app-kit';

export const LIBRARY_ROLES = defineRoles(
  {
    counter: { ja: '窓口職員', en: 'counter staff' },
    admin: { ja: '管理者', en: 'administrator' },
  },
  'admin',
);
