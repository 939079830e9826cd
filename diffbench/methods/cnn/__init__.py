"""Neural methods (torch): paper 000's single-hit CNNs and a few-shot embedding. Importing this
package imports torch; ``import diffbench`` and the registry do not."""
