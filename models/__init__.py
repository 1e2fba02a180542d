"""The clinical core of Aliquot: tables, migrations and pure domain rules. No Qt here."""
