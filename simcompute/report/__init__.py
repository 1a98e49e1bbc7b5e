"""Reports of results: terminal tables and figures."""
