"""Counting without a full COUNT(*) on a big result.

The planner says how many rows the filtered query will return (EXPLAIN, which also sees Row
Level Security). Below EXACT_COUNT_LIMIT the count is made exact; above it the estimate is
shown as "about N", as Supabase Studio does.
"""

import json
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections

EXACT_COUNT_LIMIT = 50_000


def planner_estimate(queryset) -> int:
    sql, params = queryset.order_by().query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"explain (format json) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def estimated_count(queryset) -> tuple[int, bool]:
    """(count, approximate): exact below EXACT_COUNT_LIMIT, the planner's estimate above."""
    estimate = planner_estimate(queryset)
    if estimate < EXACT_COUNT_LIMIT:
        return queryset.count(), False
    return estimate, True


class EstimatedCountPaginator(Paginator):
    approximate = False

    @cached_property
    def count(self) -> int:
        if not hasattr(self.object_list, "query"):
            return len(self.object_list)
        count, self.approximate = estimated_count(self.object_list)
        return count
