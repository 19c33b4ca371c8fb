"""Country packs: a country's gazetteer, ID formats, perpetrator bodies and facilities, as data."""
