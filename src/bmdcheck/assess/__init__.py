"""Assessment: scenarios expanded into batches of engagements, locally or on a Dask cluster."""
