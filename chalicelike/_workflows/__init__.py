"""Step Functions workflows declared beside the app's functions (`app.workflow`): the
declaration the app keeps (light: it is on the Lambda path), and the builder of ASL states
(`chalicelike.workflows`). Checking, packaging and running them is tooling's."""
