"""One module per question graph360 answers; each is plain functions over a GraphStore."""
