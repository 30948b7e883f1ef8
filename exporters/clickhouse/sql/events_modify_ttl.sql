-- Applied on every start with a ttl, so a changed ttl reaches an existing table.
ALTER TABLE {database}.events{on_cluster} MODIFY {ttl}
