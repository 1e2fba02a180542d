"""Records leaving or entering the clinic: PDF treatment records, the patient file format
(JSON), and the recall list as CSV and calendar files."""
