-- How long `events` keeps rows ({ttl} in events.sql, and the ALTER of events_modify_ttl.sql).
TTL toDateTime(timestamp) + INTERVAL {ttl_days} DAY
