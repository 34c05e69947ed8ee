"""Reading municipal data: raw readers, mapped tables, the importer and the processed dataset."""
