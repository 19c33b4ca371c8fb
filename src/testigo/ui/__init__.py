"""The look of the staff pages: base template, styles, vendored htmx, template helpers."""
