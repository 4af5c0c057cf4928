/**
 * The city's マイタク staff roles (app-kit's staffAuth): the clerk (窓口職員)
 * registers holders and terminals; the settlement staff (精算担当) settle per
 * company and export the CSVs; the administrator manages the accounts.
 */
import { defineRoles } from '@myna-ap/app-kit';

export const TAXI_ROLES = defineRoles(
  {
    clerk: { ja: '窓口職員', en: 'city clerk' },
    settlement: { ja: '精算担当', en: 'settlement staff' },
    admin: { ja: '管理者', en: 'administrator' },
  },
  'admin',
);
