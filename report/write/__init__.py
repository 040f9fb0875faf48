"""The writer: the pages, tables, pictures, HTML and notebook view of what the verifier computed
(report/verify/), and the report folder they are written into. It computes nothing about the model:
every number it shows was computed in the run."""
