"""akhbar's composition root: the command line, the settings tree and the wiring of the layers."""
