"""Transactions: each public function is one unit of work on the database."""
