"""Turn a trained Keras model into gated TFLite variants (float32, float16, dynamic, int8)."""
