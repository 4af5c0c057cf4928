-- 自動搭載 presets name the area too: a card AP registered for both areas needs
-- it. Entries become objects {"cardApId": …, "area"?: …}; the area may be left
-- out when the card AP has only one.
UPDATE terminals
   SET auto_load = (
     SELECT COALESCE(jsonb_agg(CASE WHEN jsonb_typeof(e) = 'string'
                                    THEN jsonb_build_object('cardApId', e) ELSE e END), '[]'::jsonb)
       FROM jsonb_array_elements(auto_load) AS e);

-- Finding a card's live instances by card AP (delete, move-in, diagnose).
CREATE INDEX card_ap_instances_card ON card_ap_instances (card_id, card_ap_id);
