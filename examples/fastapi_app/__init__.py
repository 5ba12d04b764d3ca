"""A FastAPI service for private IVS channels: see app.py and README.md."""
