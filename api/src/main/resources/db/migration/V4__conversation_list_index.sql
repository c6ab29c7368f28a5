-- The conversation list is read newest first, by (updated_at, id): an index in exactly that order,
-- so that a page is read from the index instead of sorting every conversation of the user. H2
-- preferred the foreign key's own index on user_id to the old (user_id, updated_at) and sorted;
-- an index in the query's own directions it chooses. The new index is made before the old one
-- goes, so the list always has one. On PostgreSQL, CREATE INDEX blocks writes to conversations
-- while it builds (about a second per million rows).
CREATE INDEX conversations_recent ON conversations (user_id DESC, updated_at DESC, id DESC);
DROP INDEX IF EXISTS conversations_user;
