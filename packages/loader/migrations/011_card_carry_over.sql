-- 再交付・更新時のカードAP引継ぎ (cardops/carryOver.ts): after a renewal or a
-- reissue the old card's card APs are loaded onto the new card in one step at
-- the counter, each as a new instance with a new user ID that names the one it
-- carries on (carried_from). A provider allows it per card AP (carry_over); the
-- providers concerned get a `card_ap_carried` notice with the old and new user
-- IDs when the new instance is loaded.
ALTER TABLE card_aps ADD COLUMN carry_over boolean NOT NULL DEFAULT false;
ALTER TABLE card_ap_instances ADD COLUMN carried_from text REFERENCES card_ap_instances (id);
-- An old instance is carried on by at most one live instance.
CREATE UNIQUE INDEX card_ap_instances_carried ON card_ap_instances (carried_from)
  WHERE carried_from IS NOT NULL AND state IN ('pending', 'loaded', 'deleting');
ALTER TABLE provider_notices DROP CONSTRAINT provider_notices_kind_check;
ALTER TABLE provider_notices ADD CONSTRAINT provider_notices_kind_check
  CHECK (kind IN ('move_in_removed', 'card_status', 'card_info_change', 'card_ap_carried'));
