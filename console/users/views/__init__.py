"""The users app's views: the list, a user's page and bulk actions (`accounts`), what admins
do to one user or to new users (`admin`), and everyone's own profile (`me`)."""
