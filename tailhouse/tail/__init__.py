"""Generated protobuf code for the .proto files under proto/ (do not edit: `python -m tailhouse.collector.tail.codegen`)."""
