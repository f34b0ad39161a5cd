"""The users app (label `users`, URL namespace `users:`, pages under /users/): profiles and
their Supabase Auth state (`models`), the list (`tables`, `filters`), the admin actions
(`actions`: Supabase Auth's admin API with the audited write), their forms and views, a user's
recent activity, and everyone's own profile. Templates live in templates/users/.

The core (console/ outside this package) imports nothing from here; other apps that name a
user use `console.users.models.Profile`."""
