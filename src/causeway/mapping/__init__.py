"""The YAML mapping language, compiled once into plain functions.

Entry points: `loader.load_mappings` / `loader.shipped_mappings` (a catalogue of compiled
mappings), `validate.validate_configuration` (every issue of a folder) and
`xref.XrefLookup` (what a mapping asks the cross-reference store).
"""
