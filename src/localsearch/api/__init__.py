"""The local HTTP service: other programs on this computer search the same index (FastAPI, uvicorn,
Prometheus metrics). A layer over `localsearch.core.service.Service`, like the CLI and the window."""
