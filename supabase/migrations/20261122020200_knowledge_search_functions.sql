-- Knowledge base search under Row Level Security.
--
-- Under RLS, PostgreSQL uses an index for a condition only if its operator is leakproof (or
-- the table has no policy condition left to check first). The comparisons of category,
-- is_active, created_by and updated_at are; `@@` (full text), `~~` (LIKE, for pg_trgm) and
-- `&&` / `@>` (tags) are not. As the signed-in user, a search or a tag filter would read the
-- whole table: at 100,000 entries, 100–500 ms instead of a few.
--
-- So these conditions are evaluated here, as the owner of the table, with the visibility rule
-- of the kb_select policy applied explicitly (the caller's role from private.app_role();
-- viewers see active entries only). They return ids only: the console then reads the rows
-- themselves as the user, under RLS, so a mistake here could never show a row's content.

-- The parts of a search, as the console sends them: the whole query (web-search syntax), the
-- words before a half-typed last word, and that word.
create or replace function private.kb_search_conditions(
  p_text text, p_head text, p_prefix text,
  out q tsquery, out head tsquery, out rank_q tsquery, out prefix_like text,
  out has_terms boolean, out excludes boolean, out matching text, out title_hit text,
  out prefix_in_title text, out matching_estimated text
)
language plpgsql stable set search_path = '' as $$
declare
  -- letters and digits only (of any script): nothing a LIKE pattern or a tsquery would read
  prefix text := case when coalesce(p_prefix, '') ~ '^[^[:space:][:punct:][:cntrl:]]{3,}$'
                      then lower(p_prefix) end;
  head_terms boolean;
begin
  -- null for a text without words (websearch_to_tsquery would say so in a NOTICE)
  q := case when p_text ~ '[[:alnum:]]' then websearch_to_tsquery('english', p_text) end;
  head := case when p_head ~ '[[:alnum:]]' then websearch_to_tsquery('english', p_head) end;
  has_terms := coalesce(numnode(q) > 0, false);
  head_terms := coalesce(numnode(head) > 0, false);
  excludes := coalesce(q::text ~ '(^|[&|(]) *!', false);
  -- $1 = q, $2 = head, $3 = rank_q, $4 = prefix_like (see the callers' USING clauses)
  if prefix is not null then
    prefix_like := '%' || prefix || '%';
    -- LIKE finds the rows through the trigram index; the regex keeps those where a word of
    -- the title starts with it ("rol" finds "Roles", not "Control").
    prefix_in_title := format('(lower(e.title) like $4 and lower(e.title) ~ %L)', '\m' || prefix);
    rank_q := to_tsquery('simple', prefix || ':*A');
    if head_terms then
      rank_q := head && rank_q;
    end if;
    if has_terms then
      rank_q := q || rank_q;
    end if;
  else
    rank_q := q;
  end if;
  matching := case when has_terms then 'e.search_vector @@ $1' end;
  -- The planner has no idea how selective the regex is: it estimates the LIKE alone.
  matching_estimated := matching;
  if prefix_like is not null then
    matching := concat_ws(' or ', matching,
      '(' || prefix_in_title || case when head_terms then ' and e.search_vector @@ $2' else '' end || ')');
    matching_estimated := concat_ws(' or ', matching_estimated,
      '(lower(e.title) like $4' || case when head_terms then ' and e.search_vector @@ $2' else '' end || ')');
  end if;
  matching := coalesce('(' || matching || ')', 'false');
  matching_estimated := coalesce('(' || matching_estimated || ')', 'false');
  title_hit := '(' || concat_ws(' or ',
    case when has_terms then 'to_tsvector(''english'', e.title) @@ $1' end,
    prefix_in_title) || ')';
end
$$;

-- Who may read which entries: the kb_select policy, spelled out for the functions below.
create or replace function private.kb_visible_condition() returns text
language plpgsql stable security definer set search_path = '' as $$
declare
  caller_role text := private.app_role();
begin
  if caller_role in ('admin', 'editor', 'auditor') then
    return 'true';
  elsif caller_role = 'viewer' then
    return 'e.is_active';
  end if;
  raise exception 'not allowed to read knowledge entries' using errcode = '42501';
end
$$;

-- The ids of the entries the caller may read that match a search and/or carry tags (any of
-- them, or all with p_all_tags). The console filters the rest (category, author, dates:
-- leakproof, so RLS keeps their indexes) and reads the rows as the user.
create or replace function private.kb_entry_ids(
  p_text text, p_head text default '', p_prefix text default '',
  p_tags text[] default null, p_all_tags boolean default false
) returns setof uuid
language plpgsql stable security definer set search_path = '' rows 5000 as $$
declare
  c record := private.kb_search_conditions(p_text, p_head, p_prefix);
  conditions text := private.kb_visible_condition();
begin
  if nullif(p_text, '') is not null then
    conditions := conditions || ' and ' || c.matching;
  end if;
  if cardinality(p_tags) > 0 then
    conditions := conditions || case when p_all_tags then ' and e.tags @> $5' else ' and e.tags && $5' end;
  end if;
  return query execute 'select e.id from public.knowledge_base_entries e where ' || conditions
    using c.q, c.head, c.rank_q, c.prefix_like, p_tags;
end
$$;

-- The list's other filters as a condition on `e`; their values travel as parameters $5..$10
-- of the callers' USING clauses, never in the SQL text.
create or replace function private.kb_filter_condition(p_filters jsonb) returns text
language sql immutable set search_path = '' as $$
  select concat(
    case when p_filters ? 'category' then ' and e.category = $5' end,
    case when jsonb_array_length(coalesce(p_filters -> 'tags', '[]')) > 0 then
      case when (p_filters ->> 'all_tags')::boolean then ' and e.tags @> $6' else ' and e.tags && $6' end
    end,
    case when p_filters ? 'is_active' then ' and e.is_active = $7' end,
    case when p_filters ? 'author' then ' and e.created_by = $8' end,
    case when p_filters ? 'updated_from' then ' and e.updated_at >= $9' end,
    case when p_filters ? 'updated_before' then ' and e.updated_at < $10' end)
$$;

-- The candidates that relevance ranks (see knowledge/search.py): up to p_title_pool entries
-- whose title matches, as many whose title has the half-typed word, and p_pool matches of
-- any kind, each within the list's filters; with their title hit and ts_rank_cd, best first.
-- `matches` (the same on every row) counts all matches: exactly when the planner expects
-- fewer than p_exact_below (a count through the indexes is cheap then), else its estimate
-- (`exact` says which).
create or replace function private.kb_search_pool(
  p_text text, p_head text, p_prefix text, p_filters jsonb,
  p_title_pool int default 300, p_pool int default 200, p_exact_below int default 2000
) returns table (id uuid, source int, title_hit boolean, rank real, updated_at timestamptz,
                 matches bigint, exact boolean)
-- volatile: EXPLAIN (for the estimate) is not allowed in a stable function
language plpgsql volatile security definer set search_path = '' as $$
declare
  c record := private.kb_search_conditions(p_text, p_head, p_prefix);
  f jsonb := coalesce(p_filters, '{}');
  tags text[] := array(select jsonb_array_elements_text(coalesce(f -> 'tags', '[]')));
  base text := 'from public.knowledge_base_entries e where ' || private.kb_visible_condition()
               || private.kb_filter_condition(f);
  columns text := 'e.id, %s as source, %s as title_hit,'
                  ' ts_rank_cd(e.search_vector, $3) as rank, e.updated_at ';
  sources text[] := '{}';
  plan json;
  estimate bigint;
  exact_count boolean;
begin
  if c.has_terms then
    sources := sources || (format('(select ' || columns, 0, 'true') || base
      || ' and to_tsvector(''english'', e.title) @@ $1'
      || case when c.excludes then ' and e.search_vector @@ $1' else '' end
      || format(' limit %s)', greatest(p_title_pool, 0)));
  end if;
  if c.prefix_like is not null then
    sources := sources || (format('(select ' || columns, 1, 'true') || base
      || ' and ' || c.prefix_in_title
      -- checked on the trigram index's rows, not ANDed with a bitmap of every head match
      || case when coalesce(numnode(c.head) > 0, false)
              then ' and coalesce(e.search_vector @@ $2, false)' else '' end
      || format(' limit %s)', greatest(p_title_pool, 0)));
  end if;
  sources := sources || (format('(select ' || columns, 2, c.title_hit) || base
    || ' and ' || c.matching || format(' limit %s)', greatest(p_pool, 0)));
  execute 'explain (format json) select 1 ' || base || ' and ' || c.matching_estimated into plan
    using c.q, c.head, c.rank_q, c.prefix_like, f ->> 'category', tags,
          (f ->> 'is_active')::boolean, (f ->> 'author')::uuid,
          (f ->> 'updated_from')::timestamptz, (f ->> 'updated_before')::timestamptz;
  estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
  exact_count := estimate < p_exact_below;
  if exact_count then
    execute 'select count(*) ' || base || ' and ' || c.matching into estimate
      using c.q, c.head, c.rank_q, c.prefix_like, f ->> 'category', tags,
            (f ->> 'is_active')::boolean, (f ->> 'author')::uuid,
            (f ->> 'updated_from')::timestamptz, (f ->> 'updated_before')::timestamptz;
  end if;
  return query execute
    'select p.id, p.source, p.title_hit, p.rank, p.updated_at, $11::bigint, $12 from ('
    || array_to_string(sources, ' union all ')
    || ') as p order by p.title_hit desc, p.rank desc, p.updated_at desc nulls last, p.id'
    using c.q, c.head, c.rank_q, c.prefix_like, f ->> 'category', tags,
          (f ->> 'is_active')::boolean, (f ->> 'author')::uuid,
          (f ->> 'updated_from')::timestamptz, (f ->> 'updated_before')::timestamptz, estimate,
          exact_count;
end
$$;

-- The matches after the pool (when it does not hold them all), newest first, a page at a
-- time: in index order here, where the planner knows how many rows match (as the user, under
-- RLS, it cannot estimate a full-text condition and sorts every match instead).
create or replace function private.kb_search_rest(
  p_text text, p_head text, p_prefix text, p_filters jsonb, p_skip uuid[],
  p_offset int, p_limit int
) returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
declare
  c record := private.kb_search_conditions(p_text, p_head, p_prefix);
  f jsonb := coalesce(p_filters, '{}');
  tags text[] := array(select jsonb_array_elements_text(coalesce(f -> 'tags', '[]')));
begin
  return query execute
    'select e.id from public.knowledge_base_entries e where ' || private.kb_visible_condition()
    || private.kb_filter_condition(f) || ' and ' || c.matching || ' and e.id <> all($11)'
    || ' order by e.updated_at desc, e.id desc offset $12 limit $13'  -- idx_kb_entries_updated_id
    using c.q, c.head, c.rank_q, c.prefix_like, f ->> 'category', tags,
          (f ->> 'is_active')::boolean, (f ->> 'author')::uuid,
          (f ->> 'updated_from')::timestamptz, (f ->> 'updated_before')::timestamptz,
          coalesce(p_skip, '{}'), greatest(p_offset, 0), least(greatest(p_limit, 0), 500);
end
$$;

revoke all on function private.kb_search_conditions(text, text, text) from public, anon;
revoke all on function private.kb_visible_condition() from public, anon;
revoke all on function private.kb_entry_ids(text, text, text, text[], boolean) from public, anon;
revoke all on function private.kb_filter_condition(jsonb) from public, anon;
revoke all on function private.kb_search_pool(text, text, text, jsonb, int, int, int) from public, anon;
revoke all on function private.kb_search_rest(text, text, text, jsonb, uuid[], int, int) from public, anon;
grant execute on function private.kb_search_conditions(text, text, text) to authenticated, service_role;
grant execute on function private.kb_visible_condition() to authenticated, service_role;
grant execute on function private.kb_entry_ids(text, text, text, text[], boolean) to authenticated, service_role;
grant execute on function private.kb_filter_condition(jsonb) to authenticated, service_role;
grant execute on function private.kb_search_pool(text, text, text, jsonb, int, int, int) to authenticated, service_role;
grant execute on function private.kb_search_rest(text, text, text, jsonb, uuid[], int, int) to authenticated, service_role;
