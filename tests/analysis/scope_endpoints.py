"""分析研判 endpoints return aggregates, not rows of a model: their scope is tested in tests/analysis/test_scope.py."""

LIST_ENDPOINTS: dict = {}
DETAIL_ENDPOINTS: dict = {}
SEPARATELY_TESTED: set = {"/api/analysis/hotspots", "/api/analysis/addresses", "/api/analysis/callers", "/api/analysis/clusters",
                          "/api/analysis/workload", "/api/analysis/forecast"}
