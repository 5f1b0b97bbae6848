-- Every upload attempt streams to its own R2 key (models/<name>/<version>/@<uuid>/<path>), and only a
-- verified attempt's key is recorded here. So a refused or cut upload deletes nothing but the bytes it
-- wrote itself, and a racing bad upload can never remove the good file. NULL: the bytes are at the
-- key used before this migration, models/<name>/<version>/<path>.
ALTER TABLE files ADD COLUMN object_key TEXT;
