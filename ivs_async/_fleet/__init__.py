"""What workers share through Redis or in one process: rate limiters, the API rate tables, the
event ledger."""
