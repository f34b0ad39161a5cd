// Runs before the first paint (not deferred) so a saved theme never flashes the other one.
try {
  const saved = localStorage.getItem("billygoat-console-theme");
  if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
} catch (_) {
  // Storage can be unavailable (private mode): the system theme applies.
}
