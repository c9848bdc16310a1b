"""The operator's signature over the files of a statement (CSV, DSR) a society keeps."""
