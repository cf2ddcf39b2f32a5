"""Reading crawl dumps and writing Parquet shards."""
