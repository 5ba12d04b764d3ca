"""The rest-json protocol the three services speak: models and their schema, wire conversion,
validation, commands, and requests and responses (``rest_json``)."""
