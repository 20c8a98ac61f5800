"""The model lifecycle: training data, retraining on triggers, the promotion gate."""
