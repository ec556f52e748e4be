"""The core every face and family builds on: answer types, concept files, problems, files, rendering."""
