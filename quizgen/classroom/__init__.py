"""The classroom: quiz files, rosters, worksheets, answer sheets, grading and reports."""
