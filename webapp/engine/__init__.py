"""The only code that imports SpiffWorkflow: parse, run, serialize. No Flask, no SQLAlchemy."""
