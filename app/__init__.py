"""Composition root and use-case services of Aliquot, shared by the GUI and the command line."""
