"""Train the reference MNIST MLP (`python -m train`)."""
