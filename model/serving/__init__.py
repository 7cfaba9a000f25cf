"""The model server: lean ONNX inference behind a raw-ASGI app (see app.py)."""
