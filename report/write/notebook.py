"""The tables in a notebook: `report.compare(...)` returns them shown as the HTML index shows them."""

from report.verify.tables import Tables
from report.verify.tables import compare as run_and_compare
from report.write.html import summary_table


class ShownTables(Tables):
    """Tables that a notebook displays: the summary, verdicts coloured (as index.html)."""

    def _repr_html_(self) -> str:
        return summary_table(self.summary)


def compare(*paths, **options) -> ShownTables:
    """report.verify.tables.compare (the same arguments), its tables shown in a notebook."""
    tables = run_and_compare(*paths, **options)
    return ShownTables(**vars(tables))
