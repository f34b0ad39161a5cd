// Knowledge base list: keeps the "Sort" filter in step when a column header re-sorts the
// results (htmx swaps only the results; the filter form stays as it was).
"use strict";

document.addEventListener("htmx:pushedIntoHistory", (event) => {
  const select = document.getElementById("id_sort");
  if (!select || !event.detail?.path) return;
  const sort = new URL(event.detail.path, window.location.href).searchParams.get("sort") ?? "";
  const known = Array.from(select.options).some((option) => option.value === sort);
  if (known && select.value !== sort) select.value = sort;
});
