/**
 * The staff entry system's staff roles (app-kit's staffAuth): guards (警備員) watch
 * the log; the personnel administrator (人事管理者) registers staff, doors,
 * permissions and terminals, and manages the accounts.
 */
import { defineRoles } from '@myna-ap/app-kit';

export const STAFF_ROLES = defineRoles(
  {
    guard: { ja: '警備員', en: 'guard' },
    personnel: { ja: '人事管理者', en: 'personnel administrator' },
  },
  'personnel',
);
