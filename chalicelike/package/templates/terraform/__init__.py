"""The deployment as Terraform JSON (`chalicelike.tf.json`, the hashicorp/aws provider).
Imports `.._model`, `.._write`, `.._aws` and `.._openapi` only; never `..cloudformation`."""

from ._writer import terraform_template

__all__ = ["terraform_template"]
