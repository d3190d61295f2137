"""Query functions of the dashboard: ``f(con, viewer, ...)``, each scoping its own WHERE clause."""
