"""Files diffbench writes and reads: CXI 1.6 with truth (:mod:`~diffbench.io.cxi`), sharded
indexes (:mod:`~diffbench.io.index`), merged-MX indexes and MTZ (:mod:`~diffbench.io.mx`),
Dragonfly EMC export (:mod:`~diffbench.io.emc`), and :func:`~diffbench.io.readers.open_any`,
which opens any of them by the data kind it records."""
