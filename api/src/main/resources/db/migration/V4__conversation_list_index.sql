-- The conversation list is read newest first, by (updated_at, id): an index in exactly that order,
-- so that a page is read from the index instead of sorting every conversation of the user. (H2
-- costs an index as sorted only when its columns' directions are the query's; with the old
-- (user_id, updated_at) it preferred the foreign key's own index and sorted.)
DROP INDEX conversations_user;
CREATE INDEX conversations_user ON conversations (user_id DESC, updated_at DESC, id DESC);
