"""Read handwritten digits from camera frames with a TFLite model (no TensorFlow needed)."""
