"""The deployment as a CloudFormation stack, SAM (`sam=True`) or plain, by one writer.
Imports `.._model`, `.._write`, `.._aws` and `.._openapi` only; never `..terraform`."""

from ._writer import cloudformation_template

__all__ = ["cloudformation_template"]
