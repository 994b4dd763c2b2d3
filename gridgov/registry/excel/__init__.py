"""Excel in and out for the people-and-housing registry.

``columns`` fixes the sheet layouts, ``templates`` builds the downloadable templates,
``reader`` opens and checks an upload (zip, merged cells, headers, row limit) with
python-calamine, ``report`` writes the row-by-row error report and ``writer`` the exports,
both with openpyxl. The rules and the writes live in ``registry.services.imports`` and
``registry.services.exports``.
"""
