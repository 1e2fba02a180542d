"""Where records are kept: opening and upgrading the database, configuration, safe file
writing, recovery files and the error log."""
