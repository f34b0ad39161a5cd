-- Knowledge search finds tags and categories too (issue 8: a word that was only a tag found
-- nothing). The stored search vector gains the tags and the category at weight C, below the
-- title (A) and the content (B). A generated column needs immutable parts, and
-- array_to_string is only stable, so a small immutable function joins the words.
--
-- Re-running is a no-op: the column is rebuilt only while its expression lacks the tags.
-- Rebuilding rewrites the table once (about a second per 100,000 entries) and its GIN index.

create or replace function private.kb_extra_words(p_tags text[], p_category text) returns text
language sql immutable parallel safe set search_path = '' as $$
  select coalesce(pg_catalog.array_to_string(p_tags, ' '), '') || ' ' || coalesce(p_category, '')
$$;
-- Evaluated for whoever writes an entry (the generated column), so the writers may execute it.
revoke all on function private.kb_extra_words(text[], text) from public, anon;
grant execute on function private.kb_extra_words(text[], text) to authenticated, service_role;

do $$
begin
  if not exists (
    select 1 from pg_attribute a
    join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = 'public.knowledge_base_entries'::regclass
      and a.attname = 'search_vector'
      and pg_get_expr(d.adbin, d.adrelid) like '%kb_extra_words%'
  ) then
    alter table public.knowledge_base_entries drop column if exists search_vector;
    alter table public.knowledge_base_entries
      add column search_vector tsvector generated always as (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(content, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, private.kb_extra_words(tags, category)), 'C')
      ) stored;
    create index if not exists idx_kb_entries_search
      on public.knowledge_base_entries using gin (search_vector);
  end if;
end
$$;
