"""Bottom layer: the data model, errors, embedders, the vector store and the document library."""
