"""Evidence in the database: items, acquisition records, custody events, pages, commands."""
