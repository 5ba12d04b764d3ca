"""What every service's client shares: configuration, endpoints, the middleware stack and its
context, transport, signing, retries, deadlines, clock, lazy loading and public homes."""
