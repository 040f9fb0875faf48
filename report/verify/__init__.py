"""The verifier: it runs the engines on a case, compares every witness with torch in computation order,
finds each witness's first wrong number and the mistake that explains it, checks the published
numbers and the finite differences, and gathers the tables. It never imports the writer
(report/write/); the writer reads what it computed."""
