-- Users search: a fragment anywhere in the email or the display name ("example.com", "velac"
-- in "Ada Lovelace"), served at 100,000 users by a trigram index.
--
-- The users list reads private.user_accounts, a view that runs as its owner (see
-- 20261122010300_user_accounts_view.sql), so the planner may use this index for LIKE, which
-- is not leakproof and would get no index under the Row Level Security of profiles.
-- The list's search (console/users/filters.py, SEARCH_TEXT) uses exactly this expression: the
-- email and the name in one lower-case text, a space between (a word typed never holds a
-- space, so no match spans the two), each word typed as `like '%word%'`.
-- One or two characters give pg_trgm no trigram to look up: such a search matches the start
-- of the email (idx_profiles_email_lower) or of a name word (idx_profiles_display_name_words).

create extension if not exists pg_trgm with schema extensions;

-- The operator class lives where pg_trgm is installed (see 20261122020000_knowledge_search.sql).
do $$
declare
  trgm_schema text := (select n.nspname from pg_extension e
                       join pg_namespace n on n.oid = e.extnamespace
                       where e.extname = 'pg_trgm');
begin
  execute format(
    $sql$create index if not exists idx_profiles_search_trgm on public.profiles using gin
         ((lower(coalesce(email, '') || ' ' || coalesce(display_name, ''))) %I.gin_trgm_ops)$sql$,
    trgm_schema);
end
$$;

analyze public.profiles;
