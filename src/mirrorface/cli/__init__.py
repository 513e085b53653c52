"""The `mirrorface` command line: parse, validate, call the library, write results."""
