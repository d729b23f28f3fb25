"""extractor: evidence-grounded records from Chinese government performance self-evaluation reports."""

__version__ = "0.1.0"
SCHEMA_VERSION = "1.0"
