"""Default assumption tables (CSV files in this folder); see README.md."""
