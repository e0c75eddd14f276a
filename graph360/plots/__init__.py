"""Pictures of the analytics answers (matplotlib, headless): one module per question."""

import matplotlib

matplotlib.use("Agg")  # never a window: plots are written to files
