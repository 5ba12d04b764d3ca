"""The moto server fixture (moto_endpoint) lives in tests/conftest.py: credential tests use its STS."""
