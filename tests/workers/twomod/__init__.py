"""A package of two modules that keep known bytes: memgate explain --by module (tests)."""
