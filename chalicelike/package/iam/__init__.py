"""The functions' IAM policies: boto3 calls found in the app's source (`_calls`,
`_inference`), mapped to IAM actions (`_actions`), and the policy files (`_policy`).
Imports `..templates._aws` (TemplateError) and `_tooling`; nothing imports a writer here."""
