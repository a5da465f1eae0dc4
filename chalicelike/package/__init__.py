"""`chalicelike package`: a project as AWS runs it, deployment.zip (`_archive`) and its templates.

Never imported on the Lambda path; `_runtime_files` decides which of our modules ship there.
"""
