-- Knowledge base search and the indexes behind every filter and sort of its list.
--
-- Full text: a stored tsvector kept by the database (a generated column, so every writer —
-- console, SQL editor, PostgREST — keeps it right), title weighted A above content B, and a
-- GIN index on it. Ranking reads the stored vector instead of parsing the text again.
-- "Title matches first" needs the title on its own: an expression index finds title matches
-- without touching the content. A half-typed title word ("pipel") is matched by pg_trgm.

create extension if not exists pg_trgm with schema extensions;

alter table public.knowledge_base_entries
  add column if not exists search_vector tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(content, '')), 'B')
  ) stored;

create index if not exists idx_kb_entries_search
  on public.knowledge_base_entries using gin (search_vector);
create index if not exists idx_kb_entries_title_search
  on public.knowledge_base_entries using gin (to_tsvector('english'::regconfig, title));
-- The operator class lives where pg_trgm is installed: `extensions` here, but a project may
-- have had it elsewhere (e.g. public) before, and then `create extension` above skipped.
do $$
declare
  trgm_schema text := (select n.nspname from pg_extension e
                       join pg_namespace n on n.oid = e.extnamespace
                       where e.extname = 'pg_trgm');
begin
  execute format('create index if not exists idx_kb_entries_title_trgm'
                 ' on public.knowledge_base_entries using gin (lower(title) %I.gin_trgm_ops)',
                 trgm_schema);
end
$$;

-- The list's orderings (each ends with the primary key) and filters. Category is served by
-- idx_kb_entries_category_active and tags (any of: &&, all of: @>) by idx_kb_entries_tags,
-- both from the first migration.
create index if not exists idx_kb_entries_updated_id
  on public.knowledge_base_entries (updated_at desc, id desc);
create index if not exists idx_kb_entries_active_updated_id
  on public.knowledge_base_entries (is_active, updated_at desc, id desc);
create index if not exists idx_kb_entries_title_id
  on public.knowledge_base_entries (title, id);
create index if not exists idx_kb_entries_created_by_updated_id
  on public.knowledge_base_entries (created_by, updated_at desc, id desc);
