"""JiXiao's domain: plain Python, never imports streamlit."""

import os

# Polars allocates through jemalloc; by default jemalloc keeps freed pages for seconds, so a 1M-row
# import's passing peaks pile up in the server's resident memory. Return them at once (must be set
# before polars is first imported; an operator's own setting wins).
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
