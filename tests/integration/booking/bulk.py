from backend.devtools import BulkResident, bulk_residents  # noqa: F401  (shared with the benchmarks)
