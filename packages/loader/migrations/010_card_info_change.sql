-- 記載事項変更 (store/infoChanges.ts): the providers whose card APs are on a card
-- whose holder's name or address was rewritten get a `card_info_change` notice.
ALTER TABLE provider_notices DROP CONSTRAINT provider_notices_kind_check;
ALTER TABLE provider_notices ADD CONSTRAINT provider_notices_kind_check
  CHECK (kind IN ('move_in_removed', 'card_status', 'card_info_change'));
