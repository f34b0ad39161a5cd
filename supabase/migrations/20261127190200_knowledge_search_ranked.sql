-- Knowledge search in fewer steps (issue 15: a rare word's search spent more on counting its
-- matches than on finding them).
--
-- private.kb_search_ranked is private.kb_search_pool's pool, ready to use: each entry once, in
-- relevance order, with whether the pool holds every match and how many matches there are.
-- The pool's "any match" part asks for one row more than it keeps: when that row does not
-- come, the pool holds every match, and their number is the pool's size, so the planner's
-- estimate (EXPLAIN) and the exact count are skipped. Only a bigger search pays for them.
--
-- Same candidates, same order, same visibility rule (private.kb_visible_condition) and
-- filters as kb_search_pool (supabase/migrations/20261122020200_knowledge_search_functions.sql),
-- which stays for its callers. Ids only: the console reads the rows as the user, under RLS.

create or replace function private.kb_search_ranked(
  p_text text, p_head text, p_prefix text, p_filters jsonb,
  p_title_pool int default 100, p_pool int default 100, p_exact_below int default 2000
) returns table (id uuid, complete boolean, matches bigint, exact boolean)
-- volatile: EXPLAIN (for the estimate) is not allowed in a stable function
language plpgsql volatile security definer set search_path = ''
-- the pool of a common word comes from a scan of the table: from its start, so that the same
-- search gives the same pool every time (a synchronized scan starts wherever another one is,
-- parallel workers return rows in any order)
set synchronize_seqscans = off set max_parallel_workers_per_gather = 0 as $$
declare
  c record := private.kb_search_conditions(p_text, p_head, p_prefix);
  f jsonb := coalesce(p_filters, '{}');
  tags text[] := array(select jsonb_array_elements_text(coalesce(f -> 'tags', '[]')));
  base text := 'from public.knowledge_base_entries e where ' || private.kb_visible_condition()
               || private.kb_filter_condition(f);
  columns text := 'e.id, %s as source, %s as title_hit,'
                  ' ts_rank_cd(e.search_vector, $3) as rank, e.updated_at ';
  pool int := greatest(p_pool, 0);
  title_pool int := greatest(p_title_pool, 0);
  head_check text := case when coalesce(numnode(c.head) > 0, false)
                          then ' and coalesce(e.search_vector @@ $2, false)' else '' end;
  in_title uuid[];  -- the titles with the half-typed word (at most title_pool of them)
  matching text := c.matching;
  sources text[] := '{}';
  ranked uuid[];
  any_matches bigint;
  plan json;
  estimate bigint;
  exact_count boolean := true;
begin
  if not c.has_terms and c.prefix_like is null then
    return;  -- nothing to look for (only stop words or punctuation)
  end if;
  if c.has_terms then
    sources := sources || (format('(select ' || columns || ', 0 as k ', 0, 'true') || base
      || ' and to_tsvector(''english'', e.title) @@ $1'
      || case when c.excludes then ' and e.search_vector @@ $1' else '' end
      || format(' limit %s)', title_pool));
  end if;
  if c.prefix_like is not null then
    -- The titles with the half-typed word, looked up once. When they are fewer than
    -- title_pool, the "any match" part takes them by id instead of searching the trigram
    -- index again: the same rows in the same order (a scan without ORDER BY, sequential or
    -- bitmap, returns them in the table's physical order whichever index found them).
    execute 'select array(select e.id ' || base || ' and ' || c.prefix_in_title
      -- checked on the trigram index's rows, not ANDed with a bitmap of every head match
      || head_check || format(' limit %s)', title_pool) into in_title
      using c.q, c.head, c.rank_q, c.prefix_like, f ->> 'category', tags,
            (f ->> 'is_active')::boolean, (f ->> 'author')::uuid,
            (f ->> 'updated_from')::timestamptz, (f ->> 'updated_before')::timestamptz;
    sources := sources || (format('(select ' || columns || ', 0 as k ', 1, 'true')
      || 'from public.knowledge_base_entries e where e.id = any($12))');
    if c.has_terms and cardinality(in_title) < title_pool then
      matching := '(e.search_vector @@ $1 or e.id = any($12))';
    end if;
  end if;
  -- Any match: numbered in the order the scan gives them, one more than the pool keeps (the
  -- numbering follows the limited scan, so the first `pool` rows are kb_search_pool's).
  sources := sources || ('(select a.*, row_number() over () as k from ('
    || format('select ' || columns, 2, c.title_hit) || base
    || ' and ' || matching || format(' limit %s) as a)', pool + 1));
  execute
    'select array_agg(p.id order by p.title_hit desc, p.rank desc, p.updated_at desc nulls last,'
    || ' p.id) filter (where p.source < 2 or p.k <= $11), count(*) filter (where p.source = 2)'
    || ' from (' || array_to_string(sources, ' union all ') || ') as p'
    into ranked, any_matches
    using c.q, c.head, c.rank_q, c.prefix_like, f ->> 'category', tags,
          (f ->> 'is_active')::boolean, (f ->> 'author')::uuid,
          (f ->> 'updated_from')::timestamptz, (f ->> 'updated_before')::timestamptz, pool,
          in_title;
  -- An entry found by two sources comes twice, side by side (same sort key): keep the first.
  ranked := array(select u.id from unnest(ranked) with ordinality as u (id, n)
                  group by u.id order by min(u.n));
  if any_matches <= pool then
    estimate := cardinality(ranked);  -- every match is in the pool
  else
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
  end if;
  return query select u.id, any_matches <= pool, estimate, exact_count
    from unnest(ranked) with ordinality as u (id, n) order by u.n;
end
$$;

revoke all on function private.kb_search_ranked(text, text, text, jsonb, int, int, int) from public, anon;
grant execute on function private.kb_search_ranked(text, text, text, jsonb, int, int, int) to authenticated, service_role;
